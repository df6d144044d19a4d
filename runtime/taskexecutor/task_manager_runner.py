"""TaskManager process main (Flink's TaskManagerRunner).

Starts the network environment (data port), connects the RPC service to the JobManager,
and runs the TaskExecutor until told to shut down or signalled. Every TaskManager runs with
``PYTHONHASHSEED=0`` so that key routing is identical on all of them (re-exec if needed).

Security: the TaskManager loads the ``taskmanager`` key pair and the JobManager's public key
from ``security.internal.keys-dir`` (missing keys: exit 1 with what to copy where); its
data port is a CURVE server for TaskManager keys only. Its RPC connection uses a random
routing id that is never published (the resource id is public on REST), so nobody can
take the connection over by connecting under its name.
"""
from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
from pathlib import Path

from runtime.configuration import options as opts
from runtime.configuration.errors import ConfigurationError
from runtime.configuration.loader import find_conf_dir, load_configuration
from runtime.configuration.sensitive import masked_items
from runtime.util.process_utils import (
    common_args,
    read_dynamic_properties,
    remove_pid_file,
    setup_logging,
    write_pid_file,
)

log = logging.getLogger("runtime.taskexecutor")

#: exit status of a TaskManager that ends itself on a fatal error (a task that would not stop)
FATAL_EXIT_CODE = 70


async def run_task_manager(config, jobmanager: str, pid_dir: Path) -> int:
    # A TaskManager keeps CPython's GIL switch interval (5 ms), as an embedded job does. A
    # 1 ms interval (this process's setting before issue 13) made the busy task threads of
    # one job hand the GIL to each other five times as often: on a 2-TaskManager cluster,
    # alternating runs, keyed p=1 took 0.69 instead of 0.59 us CPU per record (1.45 vs
    # 1.66 M rec/s) and keyed p=2 0.90 instead of 0.79 us at the same rate; the network
    # thread and the RPC loop wait for the GIL for a few ms at most, far below any timeout.
    from runtime.io.network.network_environment import NetworkEnvironment
    from runtime.messages.ids import ResourceID
    from runtime.rpc.service import RpcService
    from runtime.security.internal_keys import ROLE_TASKMANAGER
    from runtime.security.network_utils import is_loopback, resolve_bind_host
    from runtime.security.socket_security import SocketSecurity
    from runtime.taskexecutor.job_output_store import JobOutputStore
    from runtime.taskexecutor.output_capture import CapturingStream
    from runtime.taskexecutor.task_executor import TaskExecutor
    from runtime.util.log_files import process_log_files
    from runtime.util.log_rotation import OutFileRoller
    resource_id = ResourceID(config.get(opts.TASKMANAGER_RESOURCE_ID) or f"tm-{socket.gethostname()}-{os.getpid()}")
    security = SocketSecurity.from_config(config, ROLE_TASKMANAGER)  # ConfigurationError: reported by main
    host = config.get(opts.TASKMANAGER_HOST)
    bind_host = config.get(opts.TASKMANAGER_BIND_HOST) or host
    if not security.enabled and not is_loopback(bind_host):
        log.warning("security.internal.enabled is false and the data port binds to %s: anyone who can reach it can "
                    "read this TaskManager's records and feed it pickles; use this only on a trusted network",
                    bind_host)
    network = NetworkEnvironment(str(resource_id), resolve_bind_host(bind_host),
                                 config.get(opts.TASKMANAGER_DATA_PORT), advertised_host=host, security=security,
                                 max_pending_requests=config.get(opts.SECURITY_LIMITS_MAX_PENDING_PARTITION_REQUESTS))
    network.start()
    log_files = process_log_files()
    roller = OutFileRoller(log_files.out_file, config.get(opts.ENV_LOG_MAX_FILE_SIZE), config.get(opts.ENV_LOG_MAX))
    roller.check()
    capture = CapturingStream(sys.stdout, lambda: None, roller)
    sys.stdout = capture
    rpc = RpcService(config.get(opts.RPC_ASK_TIMEOUT) / 1000.0, security=security)
    jm_host, _, jm_port = jobmanager.rpartition(":")
    rpc.connect(f"tcp://{jm_host}:{jm_port}", b"tm-" + os.urandom(16).hex().encode())
    work_dir = Path(tempfile.mkdtemp(prefix=f"pyflink-{resource_id}-"))
    job_output = JobOutputStore(work_dir / "job-output", resource_id,
                                config.get(opts.TASKMANAGER_JOB_OUTPUT_MAX_FILE_SIZE),
                                config.get(opts.TASKMANAGER_JOB_OUTPUT_RETAINED_JOBS))
    capture.store = job_output
    forked_by = os.environ.get("PYFLINK_FORKED_BY")

    def fatal_error(message: str) -> None:
        # Flink's TaskManager ends its JVM on a fatal error; so does this process, at once
        # (a stuck task thread cannot be stopped any other way)
        logging.shutdown()
        shutil.rmtree(work_dir, ignore_errors=True)
        os._exit(FATAL_EXIT_CODE)

    te = TaskExecutor(rpc, resource_id, config.get(opts.TASKMANAGER_NUM_TASK_SLOTS), network,
                      config.get(opts.HEARTBEAT_TIMEOUT) / 1000.0,
                      config.get(opts.CLUSTER_REGISTRATION_INITIAL_TIMEOUT) / 1000.0,
                      config.get(opts.CLUSTER_REGISTRATION_MAX_TIMEOUT) / 1000.0, work_dir, capture,
                      config.get(opts.TASKMANAGER_NETWORK_BUFFERS_PER_CHANNEL),
                      config.get(opts.TASK_CANCELLATION_INTERVAL) / 1000.0,
                      config.get(opts.TASK_CANCELLATION_TIMEOUT) / 1000.0,
                      int(forked_by) if forked_by and forked_by.isdigit() else None, fatal_error,
                      job_output=job_output, log_files=log_files)
    pid_file = pid_dir / f"pyflink-taskmanager-{resource_id}.pid"
    write_pid_file(pid_file, {"resource_id": str(resource_id), "jobmanager": jobmanager, "forked_by": forked_by})
    refused: list[str] = []

    def on_refused(message: str) -> None:
        refused.append(message)
        log.error("%s", message)
        print(f"error: {message}", file=sys.stderr)
        te.terminate("refused by the JobManager")

    from runtime.security.handshake_probe import probe_handshake
    probe = asyncio.get_running_loop().create_task(
        probe_handshake(rpc.ctx, f"tcp://{jm_host}:{jm_port}", security, on_refused))
    from runtime.metrics.reporter_setup import start_reporters
    reporters = start_reporters(config, te.metric_registry, config.get(opts.TASKMANAGER_BIND_HOST) or None)
    try:
        await te.start()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, te.terminate, "signal")
        log.info("TaskManager %s started (pid %d, data %s, JobManager %s)", resource_id, os.getpid(),
                 network.address, jobmanager)
        assert te.terminated is not None
        reason = await te.terminated
        log.info("TaskManager %s stopping (%s)", resource_id, reason)
        return 1 if refused else 0
    finally:
        probe.cancel()
        for reporter in reporters:
            reporter.close()
        await te.stop()
        await rpc.close()
        network.stop()
        te.blob_cache.close()
        capture.store = None
        job_output.close()
        shutil.rmtree(work_dir, ignore_errors=True)
        remove_pid_file(pid_file)
        sys.stdout = capture.underlying


def main(argv: list[str] | None = None) -> int:
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.execve(sys.executable, [sys.executable, "-m", "runtime.taskexecutor.task_manager_runner"]
                  + (sys.argv[1:] if argv is None else argv), dict(os.environ, PYTHONHASHSEED="0"))
    parser = common_args("pyflink TaskManager")
    parser.add_argument("--jobmanager", default=None, help="HOST:PORT of the JobManager")
    args = parser.parse_args(argv)
    try:
        config = load_configuration(find_conf_dir(args.conf_dir), read_dynamic_properties(args),
                                    warn=lambda m: print(f"warning: {m}", file=sys.stderr))
    except (ConfigurationError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    setup_logging(args.log_file, config.get(opts.ENV_LOG_LEVEL), config.get(opts.ENV_LOG_MAX_FILE_SIZE),
                  config.get(opts.ENV_LOG_MAX))
    for key, value in masked_items(config.to_dict()):
        log.info("Loading configuration property: %s, %s", key, value)
    jobmanager = args.jobmanager or f"{config.get(opts.JOBMANAGER_RPC_ADDRESS)}:{config.get(opts.JOBMANAGER_RPC_PORT)}"
    pid_dir = Path(config.get(opts.ENV_PID_DIR)).expanduser()
    try:
        return asyncio.run(run_task_manager(config, jobmanager, pid_dir))
    except (ConfigurationError, OSError) as exc:
        log.error("TaskManager failed to start: %s", exc)
        print(f"error: TaskManager failed to start: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        log.exception("TaskManager failed")
        print(f"error: TaskManager failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    code = main()
    # Exit now: the pid file is gone, and `cluster stop` counts a process without one as
    # stopped. The interpreter's shutdown would join leftover non-daemon threads (a task
    # stuck in user code) and keep the process alive for an unknown time after that.
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)

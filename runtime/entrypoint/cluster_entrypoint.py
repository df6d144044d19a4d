"""JobManager process main (Flink's StandaloneSessionClusterEntrypoint).

Loads the configuration (``-D`` properties arrive on a pipe, never on the command line),
sets up security — the cluster's CURVE keys (created if missing), the input limits — and
initialises the cluster services — the RPC service on one ROUTER socket, HA services, blob
server, job stores — then the components (REST, ResourceManager service, Dispatcher
runner), and forks ``taskmanager.count`` TaskManagers. The TaskManagers are forked as soon
as the RPC socket is bound, before the components are even imported: a TaskManager takes
longer to start than the JobManager takes to build its components, so the two overlap and
``cluster start`` waits for the slower of them only (a TaskManager that asks before the
ResourceManager exists retries, see ``cluster.registration.initial-timeout``). SIGTERM/SIGINT or a
``shutdown_cluster`` call stop everything in reverse order. A failure part-way closes what
was already started and exits 1 with the cause on stderr and in the log.
"""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from runtime.configuration import options as opts
from runtime.configuration.errors import ConfigurationError
from runtime.configuration.loader import find_conf_dir, load_configuration
from runtime.configuration.sensitive import masked_items
from runtime.resourcemanager.task_manager_process import EarlyTaskManager, fork_task_managers, stop_early
from runtime.util.process_utils import (
    JOBMANAGER_PID_FILE,
    common_args,
    is_our_process,
    read_dynamic_properties,
    read_pid_file,
    remove_pid_file,
    roll_out_file_at_start,
    setup_logging,
    write_pid_file,
)

if TYPE_CHECKING:
    from runtime.security.socket_security import SocketSecurity

# Everything else of the JobManager (asyncio, pyzmq, the components) is imported inside the
# functions below, after ``main`` has forked the TaskManagers (see the module docstring).

log = logging.getLogger("runtime.entrypoint")

class StartupError(Exception):
    pass


def jobmanager_security(config) -> SocketSecurity:
    """The JobManager's socket security: keys created if missing (``jobmanager start``
    without ``cluster start``), limits installed, a warning when CURVE is off on a
    non-loopback address."""
    from runtime.jobgraph.job_graph import set_max_parallelism_cap
    from runtime.messages.taskmanager_messages import set_max_slots_per_task_manager
    from runtime.security.internal_keys import ROLE_JOBMANAGER, ensure_keys
    from runtime.security.network_utils import is_loopback
    from runtime.security.socket_security import SocketSecurity
    set_max_parallelism_cap(config.get(opts.SECURITY_LIMITS_MAX_PARALLELISM))
    set_max_slots_per_task_manager(config.get(opts.SECURITY_LIMITS_MAX_SLOTS))
    if config.get(opts.SECURITY_INTERNAL_ENABLED) or (config.get(opts.SECURITY_REST_AUTHENTICATION_ENABLED)
                                                       and not config.get(opts.SECURITY_REST_TOKEN)):
        keys_dir = Path(config.get(opts.SECURITY_INTERNAL_KEYS_DIR)).expanduser()
        try:
            if ensure_keys(keys_dir):
                log.info("created the cluster's CURVE keys and REST token in %s", keys_dir)
        except (ConfigurationError, OSError) as exc:
            raise StartupError(f"cannot create the cluster's keys in {keys_dir} (security.internal.keys-dir): "
                               f"{exc}") from None
    if config.get(opts.SECURITY_INTERNAL_ENABLED):
        try:
            return SocketSecurity.from_config(config, ROLE_JOBMANAGER)
        except ConfigurationError as exc:
            raise StartupError(str(exc)) from None
    bind_host = config.get(opts.JOBMANAGER_BIND_HOST) or config.get(opts.JOBMANAGER_RPC_ADDRESS)
    if not is_loopback(bind_host):
        message = (f"security.internal.enabled is false and the RPC socket binds to {bind_host}: anyone who can reach "
                   "it can submit code that TaskManagers run and shut the cluster down; use this only on a trusted "
                   "network")
        log.warning(message)
        print(f"warning: {message}", file=sys.stderr)
    return SocketSecurity.from_config(config, ROLE_JOBMANAGER)


async def run_cluster(config, conf_dir: str | None, dynamic: list[str], pid_file: Path,
                      early: list[EarlyTaskManager] | None = None) -> int:
    """``early``: the TaskManagers ``main`` forked already (else they are forked here, once
    the RPC socket is bound)."""
    import asyncio
    import signal

    from runtime.resourcemanager.task_manager_launcher import TaskManagerLauncher
    from runtime.rpc.service import RpcService
    from runtime.security.network_utils import resolve_bind_host
    host = config.get(opts.JOBMANAGER_RPC_ADDRESS)
    port = config.get(opts.JOBMANAGER_RPC_PORT)
    bind_host = config.get(opts.JOBMANAGER_BIND_HOST) or host
    security = jobmanager_security(config)
    # large calls are decoded in a worker thread; a short GIL switch interval lets the loop
    # answer small calls in between (CPython's default 5 ms would let one decode hold it longer)
    sys.setswitchinterval(0.001)
    rpc = RpcService(config.get(opts.RPC_ASK_TIMEOUT) / 1000.0, security=security)
    stop = asyncio.Event()
    whole_cluster = {"stop": False}

    def shutdown_cluster() -> None:
        whole_cluster["stop"] = True
        stop.set()
    components = None
    try:
        try:
            bound = rpc.bind(f"tcp://{resolve_bind_host(bind_host)}:{port}")
        except Exception as exc:
            raise StartupError(f"cannot bind the JobManager RPC port {bind_host}:{port} (jobmanager.rpc.port): {exc}. "
                               "Is another cluster running? Stop it with `pyflink cluster stop` or choose another "
                               "port with -D jobmanager.rpc.port=...") from None
        address = f"tcp://{host}:{bound.rsplit(':', 1)[1]}"
        log.info("JobManager RPC endpoint bound at %s (%s)", bound,
                 "CURVE on" if security.enabled else "CURVE OFF: unauthenticated, unencrypted")
        log_dir = Path(config.get(opts.ENV_LOG_DIR)).expanduser()
        # fork the TaskManagers now; the ResourceManager hears about their exits once it exists
        launcher = TaskManagerLauncher(f"{host}:{bound.rsplit(':', 1)[1]}", conf_dir, dynamic, log_dir,
                                       on_exit=lambda pid, code: None)
        count = config.get(opts.TASKMANAGER_COUNT)
        if early:
            launcher.adopt(early)
        elif count:
            await launcher.launch(count)

        def launcher_factory(on_exit):
            launcher.on_exit = on_exit
            return launcher

        from runtime.entrypoint.component_factory import create_components  # the whole runtime: after the fork
        try:
            components = await create_components(rpc, config, address, launcher_factory, on_shutdown=shutdown_cluster)
        except OSError as exc:
            await launcher.stop_all(timeout=0.0)
            raise StartupError(str(exc)) from None
        except BaseException:
            await launcher.stop_all(timeout=0.0)
            raise
        rest_port = components.rest.port if components.rest is not None else None
        write_pid_file(pid_file, {"address": address, "rpc_port": int(bound.rsplit(":", 1)[1]),
                                  "rest_port": rest_port, "log_dir": str(log_dir)})
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        log.info("cluster started: %s, REST on port %s, %d local TaskManager(s)", address, rest_port, count)
        await stop.wait()
        log.info("shutting down")
        return 0
    finally:
        if components is not None:
            dispatcher = components.dispatcher
            if dispatcher is not None and not whole_cluster["stop"]:
                try:
                    await asyncio.wait_for(dispatcher.suspend_jobs(), 10)
                except Exception:
                    log.exception("suspending jobs failed")
            rm = components.resource_manager
            if rm is not None:
                try:
                    await asyncio.wait_for(rm.shutdown_task_managers(only_forked=not whole_cluster["stop"]), 10)
                except Exception:
                    log.exception("stopping TaskManagers failed")
            await components.close()
        await rpc.close()
        remove_pid_file(pid_file)


def _fork_early(config) -> bool:
    """Whether ``main`` can fork the TaskManagers before the RPC socket is bound: their
    JobManager address is known (a fixed port, not 0) and so are their keys (created by
    ``cluster start``; a JobManager started on its own creates them itself, later)."""
    if not config.get(opts.TASKMANAGER_COUNT) or not config.get(opts.JOBMANAGER_RPC_PORT):
        return False
    return not config.get(opts.SECURITY_INTERNAL_ENABLED) or \
        Path(config.get(opts.SECURITY_INTERNAL_KEYS_DIR)).expanduser().is_dir()


def log_configuration(config) -> None:
    """Flink's "Loading configuration property: key, value" lines; secrets masked."""
    for key, value in masked_items(config.to_dict()):
        log.info("Loading configuration property: %s, %s", key, value)


def main(argv: list[str] | None = None) -> int:
    args = common_args("pyflink JobManager").parse_args(argv)
    try:
        dynamic = read_dynamic_properties(args)
        config = load_configuration(find_conf_dir(args.conf_dir), dynamic,
                                    warn=lambda m: print(f"warning: {m}", file=sys.stderr))
    except (ConfigurationError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    setup_logging(args.log_file, config.get(opts.ENV_LOG_LEVEL), config.get(opts.ENV_LOG_MAX_FILE_SIZE),
                  config.get(opts.ENV_LOG_MAX))
    roll_out_file_at_start(args.log_file, config.get(opts.ENV_LOG_MAX_FILE_SIZE), config.get(opts.ENV_LOG_MAX))
    log_configuration(config)
    pid_file = Path(config.get(opts.ENV_PID_DIR)).expanduser() / JOBMANAGER_PID_FILE
    existing = read_pid_file(pid_file)
    if existing and existing["pid"] != os.getpid() and is_our_process(existing["pid"]):
        msg = f"a JobManager is already running (pid {existing['pid']}, pid file {pid_file})"
        log.error(msg)
        print(f"error: {msg}", file=sys.stderr)
        return 1
    early: list[EarlyTaskManager] = []
    if _fork_early(config):
        host, port = config.get(opts.JOBMANAGER_RPC_ADDRESS), config.get(opts.JOBMANAGER_RPC_PORT)
        try:
            early = fork_task_managers(config.get(opts.TASKMANAGER_COUNT), f"{host}:{port}", args.conf_dir, dynamic,
                                       Path(config.get(opts.ENV_LOG_DIR)).expanduser())
        except OSError as exc:
            log.warning("could not fork the TaskManagers early (%s); forking them once the JobManager is up", exc)
    import asyncio
    try:
        return asyncio.run(run_cluster(config, args.conf_dir, dynamic, pid_file, early))
    except StartupError as exc:
        log.error("JobManager failed to start: %s", exc)
        print(f"error: JobManager failed to start: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        log.exception("JobManager failed")
        print(f"error: JobManager failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        stop_early([child for child in early if not child.adopted])  # the JobManager failed before adopting them


if __name__ == "__main__":
    sys.exit(main())

"""MiniCluster: the whole cluster inside the job's own process (``python job.py``).

The same Dispatcher, ResourceManager, JobMaster and TaskExecutor classes run on one asyncio
loop in a background thread, talking over ZeroMQ ``inproc://`` sockets; tasks run in their
own threads as on a real TaskManager and print straight to this process's stdout. It starts
on the first ``execute()`` with as many slots as the job needs and grows if a later job
needs more; it stops when the process exits.

Its stores (job graphs, results, blobs) live in its own temporary directory whatever the
configuration says: an embedded run never reads a cluster's stores (it would recover that
cluster's jobs) and never writes into them (a cluster would later run its jobs).
"""
from __future__ import annotations

import asyncio
import atexit
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

from runtime.common.job_client import JobClient
from runtime.configuration import options as opts
from runtime.configuration.configuration import Configuration
from runtime.jobgraph.job_graph import JobGraph


class MiniCluster:
    _instance: MiniCluster | None = None
    _lock = threading.Lock()

    def __init__(self, config: Configuration) -> None:
        self.config = Configuration(config)
        self.name = uuid.uuid4().hex[:12]
        self.address = f"inproc://pyflink-minicluster-{self.name}"
        self.tmp = Path(tempfile.mkdtemp(prefix="pyflink-minicluster-"))
        self.config.set_string(opts.HIGH_AVAILABILITY_STORAGE_DIR.key, str(self.tmp / "ha"))
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="minicluster", daemon=True)
        self.task_executors: list[Any] = []
        self.slots = 0

    @classmethod
    def get(cls, config: Configuration, slots: int) -> MiniCluster:
        with cls._lock:
            if cls._instance is None:
                mc = MiniCluster(config)
                mc.start()
                cls._instance = mc
                # threading's exit hooks run before concurrent.futures refuses new work (the
                # Dispatcher's I/O executor is still needed to record the last job's result)
                register = getattr(threading, "_register_atexit", atexit.register)
                register(mc.close)
            mc = cls._instance
        mc.ensure_slots(slots)
        return mc

    def _run(self, coro, timeout: float = 30.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self) -> None:
        import logging
        engine = logging.getLogger("runtime")
        if engine.level == logging.NOTSET:
            # the engine's INFO chatter (registrations, deployments) must not land in a job's
            # output when its program calls logging.basicConfig(stream=sys.stdout, level=INFO)
            engine.setLevel(logging.WARNING)
        if not engine.handlers and not logging.getLogger().handlers:
            # embedded runs report failures through execute()'s exception; the engine's own
            # warnings would only repeat them on stderr
            engine.addHandler(logging.NullHandler())
            engine.propagate = False
        self.thread.start()
        self._run(self._start())

    async def _start(self) -> None:
        from runtime.entrypoint.component_factory import create_components
        from runtime.rpc.service import RpcService
        self.rpc = RpcService(self.config.get(opts.RPC_ASK_TIMEOUT) / 1000.0)
        self.rpc.bind(self.address)
        self.components = await create_components(self.rpc, self.config, self.address, None, with_rest=False)

    def ensure_slots(self, slots: int) -> None:
        if slots > self.slots:
            self._run(self._add_task_executor(slots - self.slots))

    async def _add_task_executor(self, slots: int) -> None:
        from runtime.io.network.network_environment import NetworkEnvironment
        from runtime.messages.ids import ResourceID
        from runtime.rpc.service import RpcService
        from runtime.taskexecutor.task_executor import TaskExecutor
        rid = f"minicluster-tm-{len(self.task_executors)}-{self.name}"
        network = NetworkEnvironment(rid, inproc=True)
        network.start()
        rpc = RpcService(self.config.get(opts.RPC_ASK_TIMEOUT) / 1000.0)
        rpc.connect(self.address, rid.encode())
        # no fatal exit here: the process is the user's program; a task that will not stop
        # is reported in the log and its thread is left to end with the process
        te = TaskExecutor(rpc, ResourceID(rid), slots, network, self.config.get(opts.HEARTBEAT_TIMEOUT) / 1000.0,
                          0.01, 0.1, self.tmp / rid, None,
                          self.config.get(opts.TASKMANAGER_NETWORK_BUFFERS_PER_CHANNEL),
                          self.config.get(opts.TASK_CANCELLATION_INTERVAL) / 1000.0,
                          self.config.get(opts.TASK_CANCELLATION_TIMEOUT) / 1000.0)
        await te.start()
        self.task_executors.append((te, rpc, network))
        rm = self.components.resource_manager
        assert rm is not None
        ok = await rm.wait_for_workers(len(self.task_executors), 10.0)
        if not ok:
            raise RuntimeError("the mini cluster's TaskManager did not register")
        self.slots += slots

    def close(self) -> None:
        if not self.thread.is_alive():
            return
        import logging
        logging.getLogger("runtime").setLevel(logging.ERROR)  # in-flight calls cut off at exit are expected
        try:
            self._run(self._close(), timeout=10)
        except Exception:
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        import shutil
        shutil.rmtree(self.tmp, ignore_errors=True)
        with MiniCluster._lock:
            if MiniCluster._instance is self:
                MiniCluster._instance = None

    async def _close(self) -> None:
        for te, rpc, network in self.task_executors:
            await te.stop()
            await rpc.close()
            network.stop()
        await self.components.close()
        await self.rpc.close()


class MiniClusterExecutor:
    """PipelineExecutor for the local target."""

    def __init__(self, config: Configuration) -> None:
        self.config = config
        self.attached = config.get(opts.EXECUTION_ATTACHED)

    def submit(self, job_graph: JobGraph, detached: bool = False, python_dependencies: object = None) -> JobClient:
        """``python_dependencies`` are prepared in this process by the environment already."""
        from runtime.dispatcher.dispatcher_client import dispatcher_client
        mc = MiniCluster.get(self.config, job_graph.slots_needed())
        gateway = dispatcher_client(mc.address, self.config.get(opts.CLIENT_TIMEOUT) / 1000.0)
        job_id = gateway.submit_job(job_graph, None)
        return JobClient(gateway, str(job_id))

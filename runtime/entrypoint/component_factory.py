"""DispatcherResourceManagerComponentFactory: builds the JobManager's components in the
order of seed 004 — services first (blob server, job stores, HA), then the REST endpoint,
the ResourceManager service and the Dispatcher runner, each started through its standalone
leader election. Used by the standalone entrypoint and, unchanged, by the mini cluster.

If anything fails part-way, everything already started is closed again (in reverse order)
before the error propagates.
"""
from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runtime.blob.blob_server import BlobServer
from runtime.configuration import options as opts
from runtime.dispatcher.dispatcher import Dispatcher, DispatcherRunner
from runtime.dispatcher.dispatcher_gateway import NAME as DISPATCHER, DispatcherGateway
from runtime.dispatcher.execution_graph_info_store import ExecutionGraphInfoStore
from runtime.highavailability.job_stores import FileJobGraphStore, FileJobResultStore
from runtime.highavailability.leader_election import StandaloneHaServices
from runtime.jobgraph.job_graph import JobGraph
from runtime.jobmaster.job_manager_runner import JobManagerRunner
from runtime.jobmaster.job_master import JobMaster
from runtime.messages.taskmanager_messages import ResourceOverview
from runtime.metrics.metric_dump import MetricScope, MetricScopeKind
from runtime.metrics.metric_group import MetricGroup
from runtime.metrics.metric_registry import MetricRegistry
from runtime.metrics.reporter_setup import start_reporters
from runtime.metrics.system_metrics import register_system_metrics
from runtime.resourcemanager.resource_manager import ResourceManager, ResourceManagerService
from runtime.resourcemanager.resource_manager_gateway import NAME as RESOURCE_MANAGER, ResourceManagerGateway
from runtime.resourcemanager.task_manager_launcher import TaskManagerLauncher
from runtime.rpc.service import RpcService

log = logging.getLogger(__name__)


@dataclass
class JobManagerComponents:
    rpc: RpcService
    ha: StandaloneHaServices
    blob_server: BlobServer
    graph_store: FileJobGraphStore
    result_store: FileJobResultStore
    rm_service: ResourceManagerService
    dispatcher_runner: DispatcherRunner
    rest: Any = None
    launcher: TaskManagerLauncher | None = None
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    #: the JobManager process's metrics (its own, and each job's on the JobManager)
    metric_registry: MetricRegistry | None = None

    @property
    def dispatcher(self) -> Dispatcher | None:
        return self.dispatcher_runner.dispatcher

    @property
    def resource_manager(self) -> ResourceManager | None:
        return self.rm_service.resource_manager

    async def close(self) -> None:
        while self.closers:
            closer = self.closers.pop()
            try:
                await closer()
            except Exception:  # keep closing the rest
                log.exception("error while shutting down")


async def create_components(rpc: RpcService, config: Any, jobmanager_address: str,
                            launcher_factory: Callable[[Callable], TaskManagerLauncher | None] | None = None,
                            on_shutdown: Callable[[], Any] | None = None,
                            with_rest: bool = True) -> JobManagerComponents:
    storage = Path(config.get(opts.HIGH_AVAILABILITY_STORAGE_DIR)).expanduser()
    hb_interval = config.get(opts.HEARTBEAT_INTERVAL) / 1000.0
    hb_timeout = config.get(opts.HEARTBEAT_TIMEOUT) / 1000.0
    slot_timeout = config.get(opts.SLOT_REQUEST_TIMEOUT) / 1000.0
    closers: list[Callable[[], Awaitable[None]]] = []
    components: JobManagerComponents | None = None
    try:
        ha = StandaloneHaServices(jobmanager_address)
        await ha.start(rpc)  # TaskManagers and clients learn the leader session ids from it
        closers.append(ha.close)
        blob_server = BlobServer(rpc, storage)
        await blob_server.start()
        closers.append(blob_server.stop)
        graph_store = FileJobGraphStore(storage)
        result_store = FileJobResultStore(storage)
        metric_registry = MetricRegistry()
        register_jobmanager_metrics(metric_registry, lambda: components)

        rest = None
        fetcher = None
        if with_rest:
            from runtime.rest.metric_fetcher import MetricFetcher
            from runtime.rest.web_monitor_endpoint import WebMonitorEndpoint

            def dispatcher_gateway() -> Any:
                d = components.dispatcher if components is not None else None
                return rpc.gateway(None, DISPATCHER, d.fencing_token, DispatcherGateway) if d is not None else None

            def taskmanager_queries() -> dict[str, Any]:
                rm = components.resource_manager if components is not None else None
                return rm.metric_queries(timeout=METRIC_QUERY_TIMEOUT) if rm is not None else {}
            fetcher = MetricFetcher(config.get(opts.METRICS_FETCHER_UPDATE_INTERVAL) / 1000.0,
                                    metric_registry.dump, taskmanager_queries, METRIC_QUERY_TIMEOUT)
            rest = WebMonitorEndpoint(config, dispatcher_gateway, fetcher)
            await rest.start()
            closers.append(rest.stop)

        launcher = None
        if launcher_factory is not None:
            def on_exit(pid: int, code: int) -> Any:
                rm = rm_service.resource_manager
                return rm.on_process_exit(pid, code) if rm is not None else None
            launcher = launcher_factory(on_exit)

        rm_service = ResourceManagerService(lambda session: ResourceManager(
            rpc, session, hb_interval, hb_timeout, launcher))
        await ha.leader_election("resource_manager").start(rm_service)
        closers.append(rm_service.revoke_leadership)
        rm = rm_service.resource_manager
        assert rm is not None
        rm_gateway = rpc.gateway(None, RESOURCE_MANAGER, rm.fencing_token, ResourceManagerGateway)

        def jobmaster_factory(job_graph: JobGraph, on_terminal: Callable) -> JobMaster:
            return JobMaster(rpc, job_graph, rm_gateway, slot_timeout, hb_interval, hb_timeout, on_terminal,
                             config.get(opts.TASK_CANCELLATION_TIMEOUT) / 1000.0, config, metric_registry)

        def runner_factory(job_graph: JobGraph) -> JobManagerRunner:
            component = f"job-{job_graph.job_id}"
            runner = JobManagerRunner(job_graph, ha.leader_election(component), result_store, jobmaster_factory)
            runner.on_close = lambda: ha.release(component)
            return runner

        job_store = ExecutionGraphInfoStore(storage, config.get(opts.JOBSTORE_MAX_CAPACITY),
                                            config.get(opts.JOBSTORE_EXPIRATION_TIME),
                                            config.get(opts.JOBSTORE_CACHE_SIZE))
        dispatcher_runner = DispatcherRunner(lambda session: Dispatcher(
            rpc, session, graph_store, result_store, blob_server, runner_factory, rm_gateway,
            job_store, on_shutdown, metric_store=fetcher.update if fetcher is not None else None))
        await ha.leader_election("dispatcher").start(dispatcher_runner)
        closers.append(dispatcher_runner.revoke_leadership)

        reporters = start_reporters(config, metric_registry, config.get(opts.JOBMANAGER_BIND_HOST) or None)
        for reporter in reporters:
            closers.append(_closer(reporter.close))
        view_updater = asyncio.get_running_loop().create_task(_update_views(metric_registry))
        closers.append(_closer(view_updater.cancel))
        components = JobManagerComponents(rpc, ha, blob_server, graph_store, result_store, rm_service,
                                          dispatcher_runner, rest, launcher, closers, metric_registry)
        return components
    except BaseException:
        for closer in reversed(closers):
            try:
                await closer()
            except Exception:
                log.exception("error while cleaning up after a failed start")
        raise


#: seconds the MetricFetcher waits for one TaskManager's metric dump
METRIC_QUERY_TIMEOUT = 1.0


def _closer(fn: Callable[[], Any]) -> Callable[[], Awaitable[None]]:
    async def close() -> None:
        fn()
    return close


async def _update_views(registry: MetricRegistry) -> None:
    """Meters and per-second views sampled once a second (Flink's ViewUpdater)."""
    while True:
        registry.update_meters()
        await asyncio.sleep(1.0)


def register_jobmanager_metrics(registry: MetricRegistry, components: Callable[[], JobManagerComponents | None]
                                ) -> MetricGroup:
    """The JobManager's own metrics (Flink's JobManagerMetricGroup): the process's status,
    registered TaskManagers, slots and running jobs."""
    group = registry.group(MetricScope(MetricScopeKind.JOBMANAGER, host=socket.gethostname()))
    register_system_metrics(group)

    def overview() -> ResourceOverview:
        c = components()
        rm = c.resource_manager if c is not None else None
        return rm.request_resource_overview() if rm is not None else ResourceOverview(0, 0, 0)

    def running_jobs() -> int:
        c = components()
        d = c.dispatcher if c is not None else None
        return len(d.runners) if d is not None else 0
    group.gauge("numRegisteredTaskManagers", lambda: overview().taskmanagers)
    group.gauge("taskSlotsTotal", lambda: overview().slots_total)
    group.gauge("taskSlotsAvailable", lambda: overview().slots_available)
    group.gauge("numRunningJobs", running_jobs)
    return group

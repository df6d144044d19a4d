"""The JSON shapes of Flink's REST API (and of ``pyflink ... --json``) for the control plane's
messages: field names as Flink's clients, dashboards and scripts expect them
(``jid``, ``start-time``, ``slots-total``, ``timeSinceLastHeartbeat`` ...)."""
from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from runtime.messages.job_messages import JobDetails, JobDetailsInfo, JobResult
from runtime.messages.taskmanager_messages import ClusterOverview, TaskManagerInfo


def _tasks(counts: dict) -> dict[str, int]:
    return {state.name: n for state, n in counts.items()}


def job_details(job: JobDetails) -> dict[str, Any]:
    last = job.end_time if job.end_time > 0 else job.start_time
    return {"jid": str(job.job_id), "name": job.name, "state": job.state.name, "start-time": job.start_time,
            "end-time": job.end_time, "duration": job.duration, "last-modification": last,
            "tasks": _tasks(job.tasks)}


def job_result(result: JobResult) -> dict[str, Any]:
    return {"jid": str(result.job_id), "name": result.name, "state": result.state.name,
            "start-time": result.start_time, "end-time": result.end_time, "duration": result.duration,
            "failure": result.failure, "tasks": _tasks(result.tasks)}


def job_details_info(info: JobDetailsInfo) -> dict[str, Any]:
    out = job_details(info.details)
    out["now"] = int(time.time() * 1000)
    out["failure"] = info.failure
    out["timestamps"] = {status.name: ts for status, ts in info.timestamps.items()}
    out["vertices"] = [
        {"id": v.hex_id or str(v.id), "name": v.name, "parallelism": v.parallelism, "status": v.status.name,
         "subtasks": [{"subtask": s.subtask, "status": s.status.name, "attempt": s.attempt,
                       "taskmanager-id": str(s.taskmanager_id) if s.taskmanager_id else None}
                      for s in v.subtasks]}
        for v in info.vertices]
    return out


def cluster_overview(ov: ClusterOverview) -> dict[str, Any]:
    return {"taskmanagers": ov.taskmanagers, "slots-total": ov.slots_total, "slots-available": ov.slots_available,
            "jobs-running": ov.jobs_running, "jobs-finished": ov.jobs_finished,
            "jobs-cancelled": ov.jobs_cancelled, "jobs-failed": ov.jobs_failed, "flink-version": ov.flink_version,
            "flink-commit": ""}


#: Flink's TaskExecutorMemoryConfiguration keys; a Python TaskManager has no configured memory
#: budget, so only ``totalProcessMemory``/``totalFlinkMemory`` (its resident set, when known) are set
_MEMORY_KEYS = ("frameworkHeap", "taskHeap", "frameworkOffHeap", "taskOffHeap", "networkMemory", "managedMemory",
                "jvmMetaspace", "jvmOverhead", "totalFlinkMemory", "totalProcessMemory")


def _resource(cpu_cores: float) -> dict[str, Any]:
    """Flink's ResourceProfileInfo: one CPU core per slot, no memory budgets."""
    return {"cpuCores": float(cpu_cores), "taskHeapMemory": 0, "taskOffHeapMemory": 0, "managedMemory": 0,
            "networkMemory": 0, "extendedResources": {}}


#: (job id, slot index) -> tasks of the job not yet ended in that slot of a TaskManager
AssignedTasks = Mapping[tuple[str, int], int]


def task_manager(tm: TaskManagerInfo, assigned_tasks: AssignedTasks | None = None,
                 rss: int = 0) -> dict[str, Any]:
    """Flink's TaskManagerInfo (``/taskmanagers``), plus pyflink's ``pid``, ``host`` and ``forked``.

    ``assigned_tasks`` counts the running tasks per job and slot on this TaskManager; ``rss``
    is its resident memory (0: unknown)."""
    tasks = sum((assigned_tasks or {}).values())
    memory = {k: 0 for k in _MEMORY_KEYS}
    memory["totalFlinkMemory"] = memory["totalProcessMemory"] = rss
    return {"id": str(tm.id), "path": tm.path, "dataPort": tm.data_port, "jmxPort": -1,
            "timeSinceLastHeartbeat": tm.last_heartbeat, "slotsNumber": tm.slots_number, "freeSlots": tm.free_slots,
            "assignedTasks": tasks, "totalResource": _resource(tm.slots_number),
            "freeResource": _resource(tm.free_slots),
            "hardware": {"cpuCores": tm.hardware.cpu_cores, "physicalMemory": tm.hardware.physical_memory,
                         "freeMemory": tm.hardware.free_memory, "managedMemory": tm.hardware.managed_memory},
            "memoryConfiguration": memory, "pid": tm.pid, "host": tm.host, "forked": tm.forked}


def task_manager_details(tm: TaskManagerInfo, assigned_tasks: AssignedTasks,
                         metrics: Mapping[str, float]) -> dict[str, Any]:
    """Flink's TaskManagerDetailsInfo (``/taskmanagers/:id``): the TaskManagerInfo, its allocated
    slots (one per slot: the job and how many of its tasks the TaskManager runs) and process
    figures from the MetricStore (``metrics``: the TaskManager's ``Status.JVM.*`` values)."""
    rss = int(metrics.get("Status.JVM.Memory.RSS", 0))
    out = task_manager(tm, assigned_tasks, rss)
    slots = []
    for slot in tm.allocated_slots:
        jid = str(slot.job_id)
        slots.append({"jobId": jid, "resource": _resource(1), "assignedTasks": assigned_tasks.get((jid, slot.index), 0)})
    out["allocatedSlots"] = slots
    heap = int(metrics.get("Status.JVM.Memory.Heap.Used", rss))
    gcs = [{"name": f"gen{g}", "count": int(metrics.get(f"Status.JVM.GarbageCollector.gen{g}.Count", 0)), "time": 0}
           for g in range(3)]
    out["metrics"] = {"heapUsed": heap, "heapCommitted": heap, "heapMax": tm.hardware.physical_memory,
                      "nonHeapUsed": 0, "nonHeapCommitted": 0, "nonHeapMax": 0, "directCount": 0, "directUsed": 0,
                      "directMax": 0, "mappedCount": 0, "mappedUsed": 0, "mappedMax": 0,
                      "nettyShuffleMemorySegmentsAvailable": 0, "nettyShuffleMemorySegmentsUsed": 0,
                      "nettyShuffleMemorySegmentsTotal": 0, "nettyShuffleMemoryAvailable": 0,
                      "nettyShuffleMemoryUsed": 0, "nettyShuffleMemoryTotal": 0, "garbageCollectors": gcs}
    return out

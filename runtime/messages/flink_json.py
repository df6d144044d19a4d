"""The JSON shapes of Flink's REST API (and of ``pyflink ... --json``) for the control plane's
messages: field names as Flink's clients, dashboards and scripts expect them
(``jid``, ``start-time``, ``slots-total``, ``timeSinceLastHeartbeat`` ...)."""
from __future__ import annotations

import time
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


def task_manager(tm: TaskManagerInfo) -> dict[str, Any]:
    return {"id": str(tm.id), "path": tm.path, "dataPort": tm.data_port, "pid": tm.pid, "host": tm.host,
            "slotsNumber": tm.slots_number, "freeSlots": tm.free_slots,
            "timeSinceLastHeartbeat": tm.time_since_last_heartbeat,
            "hardware": {"cpuCores": tm.hardware.cpu_cores, "physicalMemory": tm.hardware.physical_memory},
            "forked": tm.forked}

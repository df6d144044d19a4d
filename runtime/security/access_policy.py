"""Who may call which RPC method over the wire (checked by the RPC service before a call
is decoded).

The caller's role comes from its authenticated CURVE key (``authorized_clients``):
``client`` is the CLI, ``taskmanager`` a TaskManager. Calls between endpoints of one
process (peer None) are always allowed; with ``security.internal.enabled = false`` nobody
is authenticated and nothing here applies.

Each endpoint has a default (the Dispatcher serves clients; the ResourceManager, the
JobMasters and the BlobServer serve TaskManagers), and single methods are narrowed to
"this process only" where only another endpoint of the JobManager calls them (slot
requirements, cancelling or suspending a JobMaster, ...). So ``shutdown_cluster`` and
every other Dispatcher call needs the client key, and a client cannot pose as a
TaskManager. A new endpoint is closed to the wire until it is listed here.
"""
from __future__ import annotations

from runtime.security.internal_keys import ROLE_CLIENT, ROLE_TASKMANAGER

__all__ = ["LOCAL_ONLY", "AccessPolicy", "DEFAULT_POLICY"]

LOCAL_ONLY: frozenset[str] = frozenset()
_CLIENTS = frozenset({ROLE_CLIENT})
_TASKMANAGERS = frozenset({ROLE_TASKMANAGER})

#: endpoint name (or prefix ending in '-') -> roles that may call its methods
_ENDPOINTS: dict[str, frozenset[str]] = {
    "dispatcher": _CLIENTS,
    "resourcemanager": _TASKMANAGERS,
    "jobmaster-": _TASKMANAGERS,
    "blobserver": _TASKMANAGERS,
    "leaderretrieval": frozenset({ROLE_CLIENT, ROLE_TASKMANAGER}),
}
#: (endpoint, method) -> roles, overriding the endpoint's default
_METHODS: dict[tuple[str, str], frozenset[str]] = {
    ("resourcemanager", "declare_resource_requirements"): LOCAL_ONLY,
    ("resourcemanager", "terminate_task_manager"): LOCAL_ONLY,
    ("resourcemanager", "request_resource_overview"): LOCAL_ONLY,
    ("resourcemanager", "request_task_manager_info"): LOCAL_ONLY,
    # the Dispatcher's and the REST endpoint's way to one TaskManager's files and job output
    ("resourcemanager", "request_task_manager_job_output"): LOCAL_ONLY,
    ("resourcemanager", "request_task_manager_log_list"): LOCAL_ONLY,
    ("resourcemanager", "request_task_manager_log_file"): LOCAL_ONLY,
    # pyflink logs (clients only; the TaskExecutor methods they reach are called by the
    # JobManager over each TaskManager's own connection, which no policy entry opens)
    ("dispatcher", "request_job_output"): _CLIENTS,
    ("dispatcher", "request_sink_records"): _CLIENTS,
    ("dispatcher", "request_task_manager_log_list"): _CLIENTS,
    ("dispatcher", "request_task_manager_log_file"): _CLIENTS,
    ("jobmaster-", "cancel"): LOCAL_ONLY,
    ("jobmaster-", "suspend"): LOCAL_ONLY,
    ("jobmaster-", "disconnect_task_manager"): LOCAL_ONLY,
    ("jobmaster-", "poll"): LOCAL_ONLY,
    ("jobmaster-", "request_job_status"): LOCAL_ONLY,
    ("jobmaster-", "request_job_details"): LOCAL_ONLY,
    ("jobmaster-", "request_job_result"): LOCAL_ONLY,
    ("jobmaster-", "request_execution_graph_info"): LOCAL_ONLY,
    ("dispatcher", "request_execution_graph_info"): LOCAL_ONLY,
}


class AccessPolicy:
    def __init__(self, endpoints: dict[str, frozenset[str]] | None = None,
                 methods: dict[tuple[str, str], frozenset[str]] | None = None) -> None:
        self.endpoints = dict(_ENDPOINTS if endpoints is None else endpoints)
        self.methods = dict(_METHODS if methods is None else methods)

    def _endpoint_key(self, target: str) -> str | None:
        if target in self.endpoints:
            return target
        head, sep, _ = target.partition("-")
        prefix = head + sep
        return prefix if sep and prefix in self.endpoints else None

    def roles(self, target: str, method: str) -> frozenset[str]:
        key = self._endpoint_key(target)
        if key is None:
            return LOCAL_ONLY
        return self.methods.get((key, method), self.endpoints[key])

    def allows(self, target: str, method: str, role: str | None) -> bool:
        return role is not None and role in self.roles(target, method)


DEFAULT_POLICY = AccessPolicy()

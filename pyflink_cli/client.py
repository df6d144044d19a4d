"""ClusterClient: the CLI's connection to a running JobManager's Dispatcher (Flink's
RestClusterClient, over the Dispatcher's gateway instead of REST).

ZeroMQ connects lazily and would wait forever for an absent server, so the client first
checks that the JobManager's port accepts connections; an absent cluster is reported at
once with the address tried and what to do. The connection is a CURVE client with the
``client`` key of ``security.internal.keys-dir``; a JobManager that refuses the key is
reported at once too (``AuthenticationFailed``). Calls return the typed messages of the
DispatcherGateway; an error from the JobManager becomes one line and exit code 1.
"""
from __future__ import annotations

from typing import Any

from pyflink_cli.frontend import CliFrontend, fail
from runtime.configuration import options as opts
from runtime.dispatcher.dispatcher_client import dispatcher_client
from runtime.rpc.client import tcp_reachable
from runtime.rpc.errors import RpcError, RpcTimeout


class ClusterClient:
    def __init__(self, frontend: CliFrontend) -> None:
        self.frontend = frontend
        host, port = frontend.jobmanager_host, frontend.jobmanager_port
        if not tcp_reachable("127.0.0.1" if host == "localhost" else host, port, timeout=1.0):
            fail(f"no JobManager is reachable at {host}:{port} (jobmanager.rpc.address/port); "
                 "start one with `pyflink cluster start`")
        # control calls (list, cancel, status) answer in milliseconds; a JobManager that does
        # not answer within rpc.ask-timeout is reported as hung rather than waited for
        self.address = f"tcp://{host}:{port}"
        self._gateway = dispatcher_client(self.address, frontend.config.get(opts.RPC_ASK_TIMEOUT) / 1000.0,
                                          security=frontend.security())

    def __getattr__(self, method: str) -> Any:
        if method.startswith("_"):
            raise AttributeError(method)
        call = getattr(self._gateway, method)

        def invoke(*args: Any, **kwargs: Any) -> Any:
            try:
                return call(*args, **kwargs)
            except RpcTimeout:
                fail(f"the JobManager at {self.frontend.jobmanager_address} did not answer {method} in time; "
                     "check its log or restart it with `pyflink cluster stop` and `pyflink cluster start`")
            except RpcError as exc:
                fail(str(exc))
        return invoke

    @property
    def gateway(self) -> Any:
        """The Dispatcher gateway itself: its errors are raised (RpcError), not reported and
        exited on (for best-effort calls such as the live status)."""
        return self._gateway

    def close(self) -> None:
        self._gateway.close()


def try_client(frontend: CliFrontend) -> Any:
    """A Dispatcher gateway if a JobManager answers at the configured address, else None
    (no error: for best-effort calls such as ``-sae`` cancelling on the way out)."""
    host, port = frontend.jobmanager_host, frontend.jobmanager_port
    if not tcp_reachable("127.0.0.1" if host == "localhost" else host, port, timeout=0.5):
        return None
    return dispatcher_client(f"tcp://{host}:{port}", 2.0, security=frontend.security())

"""PrometheusReporter (Flink's ``org.apache.flink.metrics.prometheus.PrometheusReporter``):
every process serves its metrics for Prometheus to scrape, named as Flink names them, so
dashboards and alerts written for Flink work unchanged.

A metric's Prometheus name is ``flink_<scope>_<name>``: the scope is Flink's
(``jobmanager``, ``jobmanager_job``, ``taskmanager``, ``taskmanager_job_task``,
``taskmanager_job_task_operator``), user groups join the name
(``flink_taskmanager_job_task_operator_mygroup_mycounter``), characters Prometheus does not
allow become ``_``; the scope's variables (``host``, ``tm_id``, ``job_id``, ``job_name``,
``task_id``, ``task_name``, ``subtask_index``, ``task_attempt_num``, ``operator_id``,
``operator_name``) and key/value groups are labels. Values are read when Prometheus scrapes
(a collector over the process's MetricRegistry): nothing is pushed and nothing runs on the
task threads.

The endpoint binds the first free port of ``metrics.reporter.<name>.port`` (a port or a
range, as Flink's), so a JobManager and several TaskManagers on one host each get one.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from runtime.metrics.metric_registry import MetricRegistry

log = logging.getLogger(__name__)

#: Flink's factory class name, as configured in ``metrics.reporter.<name>.factory.class``
FACTORY_CLASS = "org.apache.flink.metrics.prometheus.PrometheusReporterFactory"
DEFAULT_PORTS = "9249-9260"

_INVALID_NAME = re.compile(r"[^a-zA-Z0-9_:]")
_INVALID_LABEL_VALUE = re.compile(r"[^a-zA-Z0-9:_]")


def metric_name(scope_kind: str, components: tuple[str, ...]) -> str:
    name = "_".join(("flink", scope_kind, *components))
    return _INVALID_NAME.sub("_", name)


def parse_ports(spec: str) -> list[int]:
    """``9249`` or ``9249-9260`` or ``9249,9300-9310``."""
    ports: list[int] = []
    for part in str(spec).split(","):
        part = part.strip()
        if not part:
            continue
        lo, sep, hi = part.partition("-")
        if not lo.isdigit() or (sep and not hi.isdigit()):
            raise ValueError(f"port range {spec!r}: expected PORT or FROM-TO")
        a, b = int(lo), int(hi) if sep else int(lo)
        if not 0 < a <= b < 65536:
            raise ValueError(f"port range {spec!r}: ports must be 1..65535, the first not above the last")
        ports.extend(range(a, b + 1))
    if not ports:
        raise ValueError(f"port range {spec!r} is empty")
    return ports


class _RegistryCollector:
    """A prometheus_client collector reading the MetricRegistry at each scrape."""

    def __init__(self, registry: MetricRegistry, excludes: frozenset[str], filter_label_values: bool) -> None:
        self.registry = registry
        self.excludes = excludes
        self.filter = filter_label_values

    def describe(self) -> list[Any]:
        return []  # no fixed set: metrics come and go with tasks

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily
        families: dict[str, list[tuple[dict[str, str], float]]] = {}
        for dump in self.registry.dump().dumps:
            scope = dump.scope
            name = metric_name(scope.kind.value, (*scope.user, *dump.name.split(".")))
            labels = {k: v for k, v in scope.labels().items() if k not in self.excludes}
            if self.filter:
                labels = {k: _INVALID_LABEL_VALUE.sub("_", v) for k, v in labels.items()}
            families.setdefault(name, []).append((labels, float(dump.value)))
        for name, samples in families.items():
            keys = sorted({k for labels, _ in samples for k in labels})
            family = GaugeMetricFamily(name, name, labels=keys)
            for labels, value in samples:
                family.add_metric([labels.get(k, "") for k in keys], value)
            yield family


class PrometheusReporter:
    def __init__(self, registry: MetricRegistry, ports: str = DEFAULT_PORTS, host: str = "0.0.0.0",
                 excludes: frozenset[str] = frozenset(), filter_label_values: bool = True) -> None:
        self.registry = registry
        self.ports = parse_ports(ports)
        self.host = host
        self.excludes = excludes
        self.filter_label_values = filter_label_values
        self.port: int | None = None
        self._server: Any = None

    def open(self) -> int:
        """Bind the first free port of the range and serve in a daemon thread."""
        from prometheus_client import CollectorRegistry, start_http_server
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_RegistryCollector(self.registry, self.excludes, self.filter_label_values))  # type: ignore[arg-type]
        last: OSError | None = None
        for port in self.ports:
            try:
                self._server, _thread = start_http_server(port, self.host, registry)
            except OSError as exc:
                last = exc
                continue
            self.port = port
            log.info("Prometheus reporter listening on %s:%d", self.host, port)
            return port
        raise OSError(f"no free port for the Prometheus reporter in {self.ports[0]}-{self.ports[-1]} "
                      f"(metrics.reporter.<name>.port): {last}")

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

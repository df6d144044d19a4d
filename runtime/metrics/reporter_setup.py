"""ReporterSetup (Flink's): the metric reporters a process starts from its configuration.

A reporter is configured as in Flink: ``metrics.reporter.<name>.factory.class`` (or the 1.x
``metrics.reporter.<name>.class``) with its options under ``metrics.reporter.<name>.*``;
``metrics.reporters`` (comma separated), when set, limits which of the configured ones
start. The only reporter is Prometheus; another factory class is reported in the log and
skipped, as Flink skips a reporter it cannot load, so a typo does not take the process down.
"""
from __future__ import annotations

import logging
from typing import Any

from runtime.configuration import options as opts
from runtime.metrics.metric_registry import MetricRegistry
from runtime.metrics.prometheus_reporter import DEFAULT_PORTS, FACTORY_CLASS, PrometheusReporter

log = logging.getLogger(__name__)

_PROMETHEUS = {FACTORY_CLASS, "org.apache.flink.metrics.prometheus.PrometheusReporter"}


def configured_reporters(config: Any) -> dict[str, str]:
    """Reporter name -> its factory class, for every configured reporter that should start."""
    found: dict[str, str] = {}
    for key in sorted(config.keys()):
        parts = key.split(".", 3)
        if len(parts) == 4 and parts[0] == "metrics" and parts[1] == "reporter" and parts[3] in ("factory.class", "class"):
            found.setdefault(parts[2], config.get_string(key, ""))
    wanted = [n.strip() for n in str(config.get(opts.METRICS_REPORTERS) or "").split(",") if n.strip()]
    if wanted:
        found = {n: c for n, c in found.items() if n in wanted}
    return found


def start_reporters(config: Any, registry: MetricRegistry, host: str | None = None) -> list[PrometheusReporter]:
    reporters = []
    for name, factory in configured_reporters(config).items():
        if factory not in _PROMETHEUS:
            log.error("metric reporter %s: unknown factory class %r (metrics.reporter.%s.factory.class); "
                      "this engine has %s; the reporter is not started", name, factory, name, FACTORY_CLASS)
            continue
        prefix = f"metrics.reporter.{name}."
        ports = config.get_string(prefix + "port", "") or DEFAULT_PORTS
        bind = config.get_string(prefix + "host", "") or host or "0.0.0.0"
        excludes = frozenset(v.strip().strip("<>") for v in config.get_string(prefix + "scope.variables.excludes", "")
                             .split(";") if v.strip())
        filter_values = config.get_string(prefix + "filterLabelValueCharacters", "true").lower() != "false"
        reporter = PrometheusReporter(registry, ports, bind, excludes, filter_values)
        try:
            reporter.open()
        except (OSError, ValueError) as exc:
            log.error("metric reporter %s not started: %s", name, exc)
            continue
        reporters.append(reporter)
    return reporters

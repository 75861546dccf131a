"""The public pages' metrics: what they refused, by reason, without an audit row each.

Garbage (a link that was never ours, a flood from one address) is counted here and not
written to the audit trail: an audit row per refused request let anyone grow the trail,
under its global lock, as fast as they could send requests. What concerns a real link or
challenge is still audited (web.download, web.identity).

The counter goes through the Temporal runtime's meter, like the workers' metrics
(`workers/metrics.py`), so `DSAR_METRICS_BIND` serves it on `/metrics` for Prometheus; the
in-process tally is what tests and the log read.
"""

from __future__ import annotations

from collections import Counter

from temporalio.common import MetricMeter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

REFUSED = "dsar_public_pages_refused"


class PageMetrics:
    def __init__(self, meter: MetricMeter | None = None) -> None:
        self._counter = (meter or MetricMeter.noop).create_counter(
            REFUSED, "Requests the public pages refused, by reason (not audited unless a real link)"
        )
        self.refused: Counter[str] = Counter()

    def refuse(self, reason: str) -> None:
        self.refused[reason] += 1
        self._counter.with_additional_attributes({"reason": reason}).add(1)

    @classmethod
    def served_on(cls, bind: str | None) -> PageMetrics:
        """Metrics on `bind` (`host:port`, Prometheus `/metrics`), or only in process."""
        if not bind:
            return cls()
        runtime = Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=bind)))
        return cls(runtime.metric_meter)

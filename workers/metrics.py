"""Metrics: the SDK's own Prometheus metrics plus the product's, on one endpoint per worker.

The Temporal runtime serves `/metrics` on `DSAR_METRICS_BIND` (e.g. `0.0.0.0:9464`);
product metrics go through the same runtime's meter, so one scrape gets both. The control
worker also publishes case-store gauges (open requests by status, overdue, due soon).
It is also the container's health check: a worker whose runtime is alive answers it.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
import structlog
from temporalio.common import MetricMeter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from dsar.domain import Status

log = structlog.get_logger(__name__)


def runtime_with_metrics(bind: str | None) -> Runtime | None:
    if not bind:
        return None
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=bind)))


async def publish_case_metrics(
    pool: asyncpg.Pool, meter: MetricMeter, stop: asyncio.Event, every: timedelta = timedelta(seconds=15)
) -> None:
    """Gauges an operator alerts on: how many requests wait where, and how many are late."""
    by_status = meter.create_gauge("dsar_requests_open", "Open requests by status")
    overdue = meter.create_gauge("dsar_requests_overdue", "Open requests past their due date")
    due_soon = meter.create_gauge("dsar_requests_due_within_7_days", "Open requests due in the next 7 days")
    nearest = meter.create_gauge(
        "dsar_requests_min_days_to_due", "Days until the nearest due date of an open request"
    )
    open_statuses = [s.value for s in Status if s.is_open]
    while not stop.is_set():
        try:
            rows = await pool.fetch(
                "SELECT status, count(*) AS n, count(*) FILTER (WHERE due_on < current_date) AS late,"
                " count(*) FILTER (WHERE due_on BETWEEN current_date AND current_date + 7) AS soon,"
                " min(due_on - current_date) AS nearest"
                " FROM requests WHERE status = ANY($1::text[]) GROUP BY status",
                open_statuses,
            )
            counts = {r["status"]: int(r["n"]) for r in rows}
            for status in open_statuses:
                by_status.with_additional_attributes({"status": status}).set(counts.get(status, 0))
            overdue.set(sum(int(r["late"]) for r in rows))
            due_soon.set(sum(int(r["soon"]) for r in rows))
            days = [int(r["nearest"]) for r in rows if r["nearest"] is not None]
            if days:
                nearest.set(max(min(days), 0))
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("metrics.case_store_unavailable", error=type(exc).__name__)
        try:
            await asyncio.wait_for(stop.wait(), every.total_seconds())
        except TimeoutError:
            pass

"""What a year of requests needs, computed from one run's measured per-request costs.

The README's production section quotes this for 100,000 requests a year. Every input is a
figure of the same run (CPU seconds per delivered request for each part, memory per cached
request, Temporal's and the case store's bytes per request, the storm's drain rate); the
assumptions about the year are named here, once:

- requests arrive on 250 working days, and the busiest day brings BUSY_DAY_FACTOR times an
  average one, within an 8-hour working day;
- a request is open about a month until it is answered (the legal deadline) and then
  `PACKAGE_DAYS` more while its package is kept, so open requests ~ year x 61 / 365;
- each request gets its team reminders (4 by default) over its life, so a working morning
  sends year x 4 / 250 reminders at the reminder time;
- Temporal keeps a closed workflow's history for its namespace retention (RETENTION_DAYS);
- the case store keeps a closed case's copies for 30 days and its record for 3 years
  (docs/retention.md); the per-request bytes measured are the copies' and the record's
  together, so a year's growth is an upper bound before the purge.

Pure (no I/O), so the arithmetic is unit-tested.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

WORKING_DAYS = 250
BUSY_DAY_FACTOR = 3.0
WORKING_HOURS = 8.0
ANSWER_DAYS = 31
PACKAGE_DAYS = 30
RETENTION_DAYS = 30
COPIES_DAYS = 30  # the case store's copies are purged this long after closure (docs/retention.md)
TEAM_REMINDERS = 4
# Keep each process below this share of a core at the busiest hour, for headroom.
TARGET_LOAD = 0.5


@dataclass(frozen=True)
class Costs:
    """Per delivered access request, from one run (CPU seconds, kilobytes)."""

    control_cpu_s: float
    packaging_cpu_s: float
    company_cpu_s: float  # all company workers together
    temporal_cpu_s: float
    postgres_cpu_s: float
    temporal_kb: float  # Temporal's database, per request with its children
    case_store_kb: float
    cached_kb: float  # control-worker memory per request held in the workflow cache
    reminders_per_s: float  # the storm: reminders sent per second (0: not measured)


@dataclass(frozen=True)
class Sizing:
    per_year: int
    busy_hour_requests: float
    open_requests: float
    control_workers: int
    packaging_workers: int
    busy_hour_cores: dict[str, float]
    temporal_gb: float
    case_store_gb_per_year: float
    case_store_steady_gb: float  # the copies of the cases open or closed within COPIES_DAYS
    cache_all_open_mb: float
    reminders_per_morning: float
    reminder_minutes: float  # to send a morning's reminders at the measured rate


def size(costs: Costs, per_year: int) -> Sizing:
    busy_day = per_year / WORKING_DAYS * BUSY_DAY_FACTOR
    busy_hour = busy_day / WORKING_HOURS
    open_requests = per_year * (ANSWER_DAYS + PACKAGE_DAYS) / 365
    cores = {
        "control workers": busy_hour * costs.control_cpu_s / 3600,
        "packaging workers": busy_hour * costs.packaging_cpu_s / 3600,
        "company workers (all)": busy_hour * costs.company_cpu_s / 3600,
        "Temporal server": busy_hour * costs.temporal_cpu_s / 3600,
        "PostgreSQL (case store)": busy_hour * costs.postgres_cpu_s / 3600,
    }
    # Workflows kept: the open ones and the closed ones within the namespace's retention.
    kept = open_requests + per_year * RETENTION_DAYS / 365
    reminders = per_year * TEAM_REMINDERS / WORKING_DAYS
    return Sizing(
        per_year=per_year,
        busy_hour_requests=busy_hour,
        open_requests=open_requests,
        # Two of each at least, so one can stop (an upgrade, a node lost) without stalling.
        control_workers=max(2, math.ceil(cores["control workers"] / TARGET_LOAD)),
        packaging_workers=max(2, math.ceil(cores["packaging workers"] / TARGET_LOAD)),
        busy_hour_cores=cores,
        temporal_gb=kept * costs.temporal_kb / 1e6,
        case_store_gb_per_year=per_year * costs.case_store_kb / 1e6,
        case_store_steady_gb=per_year
        * (ANSWER_DAYS + PACKAGE_DAYS + COPIES_DAYS)
        / 365
        * costs.case_store_kb
        / 1e6,
        cache_all_open_mb=open_requests * costs.cached_kb / 1000,
        reminders_per_morning=reminders,
        reminder_minutes=reminders / costs.reminders_per_s / 60 if costs.reminders_per_s else math.nan,
    )


def sizing_rows(s: Sizing) -> list[tuple[str, str]]:
    """The sizing as table rows (label, value)."""
    rows = [
        (
            f"at {s.per_year:,} a year: busiest hour",
            f"{s.busy_hour_requests:.0f} requests"
            f" ({BUSY_DAY_FACTOR:g}x an average day in {WORKING_HOURS:g} h)",
        ),
        (f"at {s.per_year:,} a year: open at once", f"about {s.open_requests:,.0f} (answer + package kept)"),
    ]
    rows += [
        (f"at {s.per_year:,} a year: {part}", f"{cores:.2f} cores at the busiest hour")
        for part, cores in s.busy_hour_cores.items()
    ]
    rows += [
        (
            f"at {s.per_year:,} a year: workers",
            f"{s.control_workers} control, {s.packaging_workers} packaging"
            f" (at most {TARGET_LOAD:.0%} of a core each at the busiest hour, and two for availability),"
            " one pool per company",
        ),
        (
            f"at {s.per_year:,} a year: Temporal's store",
            f"{s.temporal_gb:.1f} GB (open requests and {RETENTION_DAYS} days of closed ones)",
        ),
        (
            f"at {s.per_year:,} a year: case store",
            f"{s.case_store_steady_gb:.1f} GB held with the purge"
            f" ({s.case_store_gb_per_year:.1f} GB a year without it)",
        ),
        (
            f"at {s.per_year:,} a year: every open request cached",
            f"{s.cache_all_open_mb:,.0f} MB of control-worker memory",
        ),
        (
            f"at {s.per_year:,} a year: team reminders a morning",
            f"{s.reminders_per_morning:,.0f}"
            + (
                f", sent in {s.reminder_minutes:.1f} min at the storm's rate"
                if not math.isnan(s.reminder_minutes)
                else " (no storm in this run to time them by)"
            ),
        ),
    ]
    return rows

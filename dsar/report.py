"""`dsar report`: how the group met its deadlines over a period.

Pure: it takes request rows (from the case store's mirror) and a `today`, so the figures
are table-tested without a database. A request closes on time when it closed on or before
its due date in the jurisdiction's own calendar.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

OPEN_STATUSES = frozenset({"received", "identity", "collecting", "review", "packaging", "delivery"})


@dataclass(frozen=True)
class RequestRow:
    reference: str
    rights: tuple[str, ...]
    jurisdiction: str
    timezone: str
    received_on: date
    due_on: date | None
    status: str
    extended: bool
    closed_at: datetime | None


@dataclass
class Figures:
    received: int = 0
    closed_on_time: int = 0
    closed_late: int = 0
    open_overdue: int = 0
    open: int = 0
    extended: int = 0
    median_days_to_close: float | None = None
    _days: list[int] = field(default_factory=list, repr=False)

    def add(self, row: RequestRow, today: date) -> None:
        self.received += 1
        self.extended += row.extended
        if row.status in OPEN_STATUSES:
            self.open += 1
            if row.due_on is not None and row.due_on < today:
                self.open_overdue += 1
            return
        if row.closed_at is None:
            return
        closed_on = row.closed_at.astimezone(ZoneInfo(row.timezone)).date()
        self._days.append((closed_on - row.received_on).days)
        if row.due_on is None or closed_on <= row.due_on:
            self.closed_on_time += 1
        else:
            self.closed_late += 1
        self.median_days_to_close = float(statistics.median(self._days))

    def as_dict(self) -> dict[str, int | float | None]:
        data = asdict(self)
        data.pop("_days")
        return data


@dataclass
class Report:
    start: date
    end: date
    total: Figures
    by_right: dict[str, Figures]
    by_jurisdiction: dict[str, Figures]


def summarise(rows: list[RequestRow], start: date, end: date, today: date) -> Report:
    total = Figures()
    by_right: dict[str, Figures] = defaultdict(Figures)
    by_jurisdiction: dict[str, Figures] = defaultdict(Figures)
    for row in rows:
        if not start <= row.received_on <= end:
            continue
        total.add(row, today)
        by_jurisdiction[row.jurisdiction].add(row, today)
        for right in row.rights:
            by_right[right].add(row, today)
    return Report(start, end, total, dict(sorted(by_right.items())), dict(sorted(by_jurisdiction.items())))

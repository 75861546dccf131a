"""The deadline report's arithmetic."""

from __future__ import annotations

from datetime import UTC, date, datetime

from dsar.report import RequestRow, summarise


def row(
    ref: str, received: date, due: date, status: str, closed: datetime | None, **kw: object
) -> RequestRow:
    base = {"rights": ("access",), "jurisdiction": "SE", "timezone": "Europe/Stockholm", "extended": False}
    base |= kw
    return RequestRow(ref, received_on=received, due_on=due, status=status, closed_at=closed, **base)  # type: ignore[arg-type]


def test_on_time_late_overdue_extended_and_median() -> None:
    rows = [
        # Closed 23:30 UTC on the due date is 00:30 the next day in Stockholm: late.
        row("A", date(2026, 1, 5), date(2026, 2, 5), "delivered", datetime(2026, 2, 5, 23, 30, tzinfo=UTC)),
        row("B", date(2026, 1, 10), date(2026, 2, 10), "delivered", datetime(2026, 1, 20, 9, tzinfo=UTC)),
        row("C", date(2026, 1, 12), date(2026, 4, 13), "review", None, extended=True),
        row("D", date(2026, 1, 2), date(2026, 2, 2), "identity", None, rights=("access", "erasure")),
        row(
            "E",
            date(2026, 1, 15),
            date(2026, 2, 16),
            "closed",
            datetime(2026, 2, 1, 12, tzinfo=UTC),
            jurisdiction="GB",
            timezone="Europe/London",
        ),
        row("Z", date(2025, 12, 31), date(2026, 1, 31), "delivered", None),  # outside the period
    ]
    report = summarise(rows, date(2026, 1, 1), date(2026, 1, 31), today=date(2026, 3, 1))
    t = report.total
    assert (t.received, t.closed_on_time, t.closed_late, t.open, t.open_overdue, t.extended) == (
        5,
        2,
        1,
        2,
        1,
        1,
    )
    # Days to close: A 32, B 10, E 17 -> median 17.
    assert t.median_days_to_close == 17
    assert report.by_jurisdiction["GB"].received == 1
    assert report.by_right["erasure"].received == 1 and report.by_right["access"].received == 5

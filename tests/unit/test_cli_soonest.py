"""`dsar list --overdue/--due-within` reads only the requests due by a bound that holds the
`--limit` soonest (cli.soonest): the bound must hold them all and be the tightest whole day."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

import pytest

from cli.soonest import EARLIEST, narrowest_bound

NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)


def bound_for(due: list[datetime], latest: datetime, limit: int) -> tuple[datetime, int]:
    counts = 0

    async def count_due_by(bound: datetime) -> int:
        nonlocal counts
        counts += 1
        return sum(1 for d in due if d <= bound)

    return asyncio.run(narrowest_bound(count_due_by, latest, limit)), counts


@pytest.mark.parametrize("seed", range(20))
def test_the_bound_holds_the_soonest_and_is_the_tightest_day(seed: int) -> None:
    rng = random.Random(seed)
    # 10,000 open requests due over 45 days back and 30 ahead, some on the same second.
    due = [NOW + timedelta(seconds=rng.randrange(-45 * 86400, 30 * 86400)) for _ in range(10_000)]
    latest = NOW + timedelta(days=7) if seed % 2 else NOW  # --due-within 7d, --overdue
    matching = sorted(d for d in due if d <= latest)
    limit = rng.choice([1, 10, 100, 1000])
    bound, counts = bound_for(matching, latest, limit)
    within = [d for d in matching if d <= bound]
    assert within[:limit] == matching[:limit], "the limit soonest are all read"
    assert sum(1 for d in matching if d <= bound - timedelta(days=1)) < limit, "a day less holds too few"
    assert len(within) < limit + 400, "about a day's worth more than shown, not all 10,000"
    assert counts <= 13


def test_requests_overdue_for_years_are_still_listed() -> None:
    ancient = [NOW - EARLIEST - timedelta(days=d) for d in range(5)]
    bound, counts = bound_for([*ancient, NOW - timedelta(days=1)], NOW, 3)
    assert bound == NOW - EARLIEST and counts == 1

"""The soonest-due requests of a deadline listing, without reading every match.

Visibility on SQL stores cannot sort by a custom search attribute, so `dsar list --overdue`
read every matching request (pages of a thousand) to keep the `--limit` soonest: with
10,000 open, about 2 s spent turning rows into Python objects. Counting is done by the
store and costs the CLI almost nothing, so the due date under which at least `--limit`
requests fall is found first by bisection over whole days (a dozen counts), and only the
requests due by then are read: the `limit` soonest are all among them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

# How far back the bisection starts: a request overdue by more than this is still listed
# (the first bound then holds `limit` already), only not narrowed further.
EARLIEST = timedelta(days=3650)


async def narrowest_bound(
    count_due_by: Callable[[datetime], Awaitable[int]], latest: datetime, limit: int
) -> datetime:
    """The earliest whole-day step `bound <= latest` with `count_due_by(bound) >= limit`,
    given that `latest` itself holds at least `limit` (else `latest`). Every one of the
    `limit` soonest-due requests is due by the returned bound."""
    low, high = 0, EARLIEST.days  # days before `latest`: `low` holds enough, `high` may not
    if await count_due_by(latest - timedelta(days=high)) >= limit:
        return latest - timedelta(days=high)
    while high - low > 1:
        middle = (low + high) // 2
        if await count_due_by(latest - timedelta(days=middle)) >= limit:
            low = middle
        else:
            high = middle
    return latest - timedelta(days=low)

"""Heartbeats for long activities, sent while they work.

Long work (the package, the redaction scan, uploads, actions, transmissions) runs with a
heartbeat timeout of at most 30 s (`dsar.activity_refs`): when its worker dies, Temporal
notices within that time and runs the activity again elsewhere, instead of waiting for a
start-to-close timeout of hours. Much of that work waits on one long call (a PDF rendered
in a thread, an S3 upload, one UPDATE over a large table) between the points where a loop
could heartbeat, so `heartbeating` also sends one every few seconds from a task beside
the activity for as long as it runs. The SDK throttles what reaches the server.

An activity that reads its heartbeat details on retry (the PostgreSQL collector's
checkpoints) must not get a heartbeat without details, which would replace them: it uses
`beating(details)` around the part where those details hold.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, ParamSpec, TypeVar

from temporalio import activity

P = ParamSpec("P")
R = TypeVar("R")

# Well inside the shortest heartbeat timeout (30 s), even with a busy event loop.
EVERY_SECONDS = 5.0


async def _beat(every: float, details: tuple[Any, ...]) -> None:
    if not activity.in_activity():  # called directly, as in a unit test
        return
    while True:
        activity.heartbeat(*details)
        await asyncio.sleep(every)


@asynccontextmanager
async def beating(*details: Any) -> AsyncIterator[None]:
    """A heartbeat with `details` every few seconds while the block runs."""
    beats = asyncio.create_task(_beat(EVERY_SECONDS, details))
    try:
        yield
    finally:
        beats.cancel()


def heartbeating(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Run the activity with a heartbeat every few seconds until it returns or fails."""

    @functools.wraps(fn)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        async with beating():
            return await fn(*args, **kwargs)

    return run

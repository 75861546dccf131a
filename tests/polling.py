"""The one way tests wait for something that happens elsewhere: poll a probe until a deadline.

Workers, mail and visibility are eventually consistent, so a test asks again until the
probe answers something truthy, and fails with what it was waiting for when the deadline
passes. `eventually` is for async tests (the probe may be sync or async); `eventually_sync`
for tests driving the local stack through subprocesses.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

What = str | Callable[[], str]


class _Deadline:
    def __init__(self, timeout: float, what: What) -> None:
        self._at = time.monotonic() + timeout
        self._timeout = timeout
        self._what = what

    def check(self) -> None:
        """Raise once the deadline has passed, naming what never happened."""
        if time.monotonic() > self._at:
            what = self._what() if callable(self._what) else self._what
            raise TimeoutError(f"{what}: not within {self._timeout:g} s")


async def eventually(
    probe: Callable[[], Awaitable[T | None] | T | None],
    *,
    timeout: float,
    what: What,
    interval: float = 0.2,
) -> T:
    """The probe's first truthy answer; TimeoutError naming `what` after `timeout` seconds."""
    deadline = _Deadline(timeout, what)
    while True:
        value = probe()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value  # type: ignore[return-value]
        deadline.check()
        await asyncio.sleep(interval)


def eventually_sync(probe: Callable[[], T | None], *, timeout: float, what: What, interval: float = 0.5) -> T:
    """`eventually` for tests without an event loop."""
    deadline = _Deadline(timeout, what)
    while True:
        value = probe()
        if value:
            return value
        deadline.check()
        time.sleep(interval)

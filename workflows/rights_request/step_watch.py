"""Which of a request's steps are stuck, watched by one timer for all of them.

A step Temporal keeps retrying (the mail relay refuses, the case store is down) does not
fail the request, it waits; so that the team sees it, a step unfinished `STUCK_AFTER`
after it began is named in the `DsarFailedStep` search attribute until it completes.

Before this watch, every step carried its own timer, started with the step and cancelled
when it finished: about 30 timers an access request, each a timer task Temporal stores, a started
and a cancelled event in the history, and one more row its timer queue reads when the timer
would have fired, for steps that nearly always take under a second. Here one timer watches
every step in flight: it is started when a step begins and none is running, set for the
oldest step's `STUCK_AFTER`, kept while the steps that follow each other run, and
cancelled when nothing is left running (the request waits for a person or a child). A
stretch of steps costs one timer; one that lasts longer than `STUCK_AFTER` fires it, which
names the steps that are stuck and sets it again for the oldest one left.

The watch is exact: a step is named when its own `STUCK_AFTER` has passed, because the
timer is always due at or before the oldest running step's time (steps that begin later
are due later). Behind the patch `one-step-watch`: a request that began with a timer per
step keeps them (`RequestContext.call`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from temporalio import workflow

O = TypeVar("O")  # noqa: E741

# A step not finished after this long is shown as the request's failed step while it waits.
STUCK_AFTER = timedelta(minutes=2)
# The change that brought one timer for all steps instead of one per step.
ONE_WATCH_PATCH = "one-step-watch"


@dataclass
class _Running:
    name: str
    began: datetime
    stuck: bool = False


class StepWatch:
    """The steps in flight and the one timer watching them; `publish` is told the names of
    the stuck ones (the oldest first) whenever that list changes."""

    def __init__(self, publish: Callable[[list[str]], None]) -> None:
        self._publish = publish
        self._running: dict[int, _Running] = {}
        self._watcher: asyncio.Task[None] | None = None

    @property
    def stuck(self) -> list[str]:
        """The stuck steps' names, oldest first."""
        return [r.name for r in sorted(self._running.values(), key=lambda r: r.began) if r.stuck]

    async def run(self, seq: int, name: str, step: Awaitable[O]) -> O:
        """Await `step` (the activity of step number `seq`) while the watch looks at it."""
        self._running[seq] = _Running(name, workflow.now())
        if self._watcher is None or self._watcher.done():
            self._watcher = asyncio.create_task(self._watch())
        try:
            return await step
        finally:
            if self._running.pop(seq).stuck:
                self._publish(self.stuck)

    def _next_due(self) -> datetime | None:
        """When the oldest step not yet named stuck becomes stuck; None if there is none."""
        waiting = [r.began for r in self._running.values() if not r.stuck]
        return min(waiting) + STUCK_AFTER if waiting else None

    async def _watch(self) -> None:
        """Until no step is left to time: wait for the oldest one's time unless every step
        finishes first (the timer is then cancelled), then name the steps whose time has come.
        Steps that finish and begin in the same workflow task never make the set look empty:
        Temporal's SDK checks the wait's condition only once every ready coroutine has run.
        After the wait ends the loop looks again rather than returning: a step begun between
        the condition's check and this coroutine's turn (`run` saw the watcher not yet done)
        is watched here."""
        while (due := self._next_due()) is not None:
            left = due - workflow.now()
            if left > timedelta(0):
                try:
                    await workflow.wait_condition(lambda: self._next_due() is None, timeout=left)
                    continue
                except TimeoutError:
                    pass
            now = workflow.now()
            named = False
            for running in self._running.values():
                if not running.stuck and running.began + STUCK_AFTER <= now:
                    running.stuck = named = True
            if named:
                self._publish(self.stuck)

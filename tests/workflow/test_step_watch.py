"""One timer watches all of a request's steps (workflows/rights_request/step_watch.py).

A stretch of steps that follow each other costs one timer, cancelled when nothing is left
running; a step still running `STUCK_AFTER` after it began is named at that very time and
cleared when it finishes, also when several overlap. The steps here are workflow sleeps,
so the time-skipping server moves the clock without activities; the watch's own timers are
told apart by their duration (`STUCK_AFTER`, where the steps sleep 1-300 s). The request
workflow runs it sandboxed in every request test (test_packaging_queue counts its timers).
On a time-skipping server of its own: on the shared one, work left by earlier tests held
the clock and the test waited for ever in the full suite.
"""

from __future__ import annotations

import asyncio
import uuid

from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.workflow.conftest import watch_timers
from workflows.rights_request.step_watch import StepWatch

# (whole seconds since the start: each workflow task adds milliseconds, names stuck)
Published = list[tuple[int, list[str]]]


@workflow.defn(sandboxed=False)
class WatchedStepsWorkflow:
    """Three quick steps; a wait with nothing running; three overlapping steps of 300, 180
    and 1 s. Returns what the watch published: (seconds since the start, names stuck)."""

    @workflow.run
    async def run(self) -> Published:
        started = workflow.now()
        published: Published = []
        watch = StepWatch(
            lambda names: published.append((round((workflow.now() - started).total_seconds()), names))
        )
        for n in range(3):
            await watch.run(n, f"quick-{n}", asyncio.sleep(1))
        await asyncio.sleep(600)
        await asyncio.gather(
            watch.run(3, "long", asyncio.sleep(300)),
            watch.run(4, "middle", asyncio.sleep(180)),
            watch.run(5, "short", asyncio.sleep(1)),
        )
        return published


def count(history: WorkflowHistory, event_type: EventType.ValueType) -> int:
    return sum(1 for e in history.events if e.event_type == event_type)


async def test_one_timer_per_stretch_and_each_stuck_step_named_at_its_time(
    own_time_skipping_env: WorkflowEnvironment,
) -> None:
    client = own_time_skipping_env.client
    queue = f"step-watch-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=queue, workflows=[WatchedStepsWorkflow]):
        handle = await client.start_workflow(WatchedStepsWorkflow.run, id=queue, task_queue=queue)
        published = await handle.result()
        history = await handle.fetch_history()

    stretch = 3 + 600  # the three quick steps, then the wait
    assert published == [
        (stretch + 120, ["long", "middle"]),  # both began at 603 s, both named at 723 s
        (stretch + 180, ["long"]),  # the middle one finished: only the long one is left
        (stretch + 300, []),  # and cleared when it finished
    ]
    # One timer for the three quick steps (cancelled during the wait), one for the
    # overlapping three (fired at 723 s; nothing left to time after it).
    assert len(watch_timers(history)) == 2
    assert count(history, EventType.EVENT_TYPE_TIMER_CANCELED) == 1

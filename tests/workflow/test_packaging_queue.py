"""Packages are built on the packaging queue, by the packaging worker, not the control worker.

On the time-skipping server with the real activities: an access request delivered on
workers started as the tests start them (`running_workers`: control, packaging and company
workers on queues with one suffix). Its history says on which queue the package was built
and checked, and that the check is taken before the builds waiting on that queue (a
priority key); the recording of this run is the patched shape's replay fixture
(`rights_request_access_packaging_queue.json` is the shape before the priority).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import asyncpg
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory

from dsar.activity_refs import FIRST
from dsar.domain import Status
from dsar.messages.activity_names import Activity
from dsar.messages.state import RequestState
from dsar.task_queues import packaging_task_queue
from tests.conftest import record_history
from tests.workflow.conftest import running_workers
from tests.workflow.test_download import deliver

PACKAGE_ACTIVITIES = {str(Activity.BUILD_PACKAGE), str(Activity.ENSURE_PACKAGE)}
T = TypeVar("T")


def scheduled(history: WorkflowHistory, what: Callable[[Any], T]) -> dict[str, set[T]]:
    """Each activity type the workflow scheduled, with `what` of each scheduling (its
    `activity_task_scheduled_event_attributes`)."""
    found: dict[str, set[T]] = {}
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attributes = event.activity_task_scheduled_event_attributes
            found.setdefault(attributes.activity_type.name, set()).add(what(attributes))
    return found


def scheduled_queues(history: WorkflowHistory) -> dict[str, set[str]]:
    """The task queues each activity type was scheduled on."""
    return scheduled(history, lambda a: str(a.task_queue.name))


def scheduled_priorities(history: WorkflowHistory) -> dict[str, set[int]]:
    """The priority keys each activity type was given (0: none)."""
    return scheduled(history, lambda a: int(a.priority.priority_key))


async def test_the_package_is_built_and_checked_on_the_packaging_queue(
    own_time_skipping_env: Any, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool
) -> None:
    client = own_time_skipping_env.client
    async with running_workers(client, **workers_kwargs) as control_queue:
        handle = await deliver(own_time_skipping_env, control_queue, case_pool)
        # On to the package's deletion, so the recording is of a whole request.
        await own_time_skipping_env.sleep(timedelta(days=31))
        final: RequestState = await handle.result()
        await record_history(handle, "rights_request_access_ensure_first")
        history = await handle.fetch_history()

    assert final.status is Status.DELIVERED and final.package is not None
    queues = scheduled_queues(history)
    packaging = packaging_task_queue(control_queue)
    assert packaging != control_queue
    assert {name: queues.get(name) for name in PACKAGE_ACTIVITIES} == {
        name: {packaging} for name in PACKAGE_ACTIVITIES
    }
    # Nothing else goes to the packaging queue: the rest stays on the control queue (and the
    # companies' queues, for the identity search).
    others = {q for name, found in queues.items() if name not in PACKAGE_ACTIVITIES for q in found}
    assert control_queue in others and packaging not in others
    # The check before the link goes first on the packaging queue; everything else has
    # Temporal's default.
    priorities = scheduled_priorities(history)
    assert priorities.pop(str(Activity.ENSURE_PACKAGE)) == {FIRST}
    assert set().union(*priorities.values()) == {0}

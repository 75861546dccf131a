"""Packages are built on the packaging queue, by the packaging worker, not the control worker.

On the time-skipping server with the real activities: an access request delivered on
workers started as the tests start them (`running_workers`: control, packaging and company
workers on queues with one suffix). Its history says on which queue the package was built,
and that approval -> link takes two rounds (patch `fewer-rounds-to-link`): the status
record goes in the same workflow task as the build, and the next one as the link; a
package built moments ago is not checked again. One whose build waited long (no packaging
worker for a while) is checked before its link, first on its queue (a priority key). The
recordings are the patched shape's replay fixtures (`rights_request_access_packaging_queue`
and `_ensure_first` are the shapes before).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, TypeVar

import asyncpg
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.exceptions import ApplicationError
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from dsar.activity_refs import FIRST
from dsar.domain import Status
from dsar.messages.activity_names import Activity
from dsar.messages.identity import IdentityDecision
from dsar.messages.review import ReviewDecision
from dsar.messages.state import RequestState
from dsar.task_queues import packaging_task_queue
from tests.conftest import record_history
from tests.workflow.conftest import (
    packaging_on,
    reach_review,
    running_workers,
    start_request_for,
    wait_for_status,
)
from tests.workflow.test_download import deliver
from workflows.rights_request import RightsRequestWorkflow
from workflows.rights_request.delivery import RECHECK_AFTER

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


def workflow_task_of(history: WorkflowHistory) -> list[tuple[str, int]]:
    """Each activity the workflow scheduled, in order: its type and the workflow task
    (its completed event's id) that scheduled it."""
    return [
        (a.activity_type.name, a.workflow_task_completed_event_id)
        for a in (
            e.activity_task_scheduled_event_attributes
            for e in history.events
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        )
    ]


async def test_the_package_is_built_on_the_packaging_queue_in_two_rounds(
    own_time_skipping_env: Any, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool
) -> None:
    client = own_time_skipping_env.client
    async with running_workers(client, **workers_kwargs) as control_queue:
        handle = await deliver(own_time_skipping_env, control_queue, case_pool)
        # On to the package's deletion, so the recording is of a whole request.
        await own_time_skipping_env.sleep(timedelta(days=31))
        final: RequestState = await handle.result()
        await record_history(handle, "rights_request_access_fewer_rounds")
        history = await handle.fetch_history()

    assert final.status is Status.DELIVERED and final.package is not None
    queues = scheduled_queues(history)
    packaging = packaging_task_queue(control_queue)
    assert packaging != control_queue
    assert queues[str(Activity.BUILD_PACKAGE)] == {packaging}
    # Built moments ago: not checked again before the link.
    assert str(Activity.ENSURE_PACKAGE) not in queues
    # Nothing else goes to the packaging queue: the rest stays on the control queue (and the
    # companies' queues, for the identity search).
    others = {q for name, found in queues.items() if name != str(Activity.BUILD_PACKAGE) for q in found}
    assert control_queue in others and packaging not in others
    assert set().union(*scheduled_priorities(history).values()) == {0}
    # The build is scheduled in the workflow task that records "packaging", and the link
    # e-mail in the one that records "delivery" (the task the build's result woke).
    scheduled = workflow_task_of(history)
    build_task = next(task for name, task in scheduled if name == str(Activity.BUILD_PACKAGE))
    beside_build = [name for name, task in scheduled if task == build_task]
    assert set(beside_build) == {str(Activity.BUILD_PACKAGE), str(Activity.RECORD_STATUS)}
    link_task = min(
        task for name, task in scheduled if name == str(Activity.SEND_NOTIFICATION) and task > build_task
    )
    beside_link = [name for name, task in scheduled if task == link_task]
    assert set(beside_link) == {str(Activity.SEND_NOTIFICATION), str(Activity.RECORD_STATUS)}
    assert not [task for _, task in scheduled if build_task < task < link_task]


class BuildWaitsLong(Interceptor):
    """The first build attempt fails and asks to be retried after RECHECK_AFTER and more:
    the package is built long after the request asked for it (an outage, a long queue),
    in workflow time the time-skipping server can skip."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _FailFirstBuild(next)


class _FailFirstBuild(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        if info.activity_type == str(Activity.BUILD_PACKAGE) and info.attempt == 1:
            raise ApplicationError("packaging is down", next_retry_delay=RECHECK_AFTER + timedelta(minutes=1))
        return await super().execute_activity(input)


async def test_a_package_built_long_after_approval_is_checked_before_its_link(
    own_time_skipping_env: Any, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool
) -> None:
    """The object could have gone between a build long ago and the link: it is checked first."""
    env = own_time_skipping_env
    async with running_workers(env.client, **workers_kwargs, packaging=False) as control_queue:
        handle = await start_request_for(env.client, control_queue, case_pool, date(2026, 11, 20))
        await wait_for_status(handle, Status.IDENTITY)
        await handle.execute_update(RightsRequestWorkflow.verify_identity, IdentityDecision(actor="reviewer"))
        await reach_review(env.client, handle)
        async with packaging_on(env.client, control_queue, **workers_kwargs, interceptors=[BuildWaitsLong()]):
            await handle.execute_update(RightsRequestWorkflow.approve, ReviewDecision(actor="reviewer"))
            await wait_for_status(handle, Status.PACKAGING)
            await env.sleep(RECHECK_AFTER + timedelta(minutes=2))
            await wait_for_status(handle, Status.DELIVERED)
        history = await handle.fetch_history()
        await handle.terminate(reason="test finished")

    queues = scheduled_queues(history)
    assert queues[str(Activity.ENSURE_PACKAGE)] == {packaging_task_queue(control_queue)}
    assert scheduled_priorities(history)[str(Activity.ENSURE_PACKAGE)] == {FIRST}
    order = [name for name, _ in workflow_task_of(history)]
    build = order.index(str(Activity.BUILD_PACKAGE))
    assert order.index(str(Activity.ENSURE_PACKAGE)) > build
    # The check comes before the link: the first e-mail after the build is after the check.
    link = build + order[build:].index(str(Activity.SEND_NOTIFICATION))
    assert order.index(str(Activity.ENSURE_PACKAGE)) < link

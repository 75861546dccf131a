"""Packages are built on the packaging queue, by the packaging worker, not the control worker.

On the time-skipping server with the real activities: an access request delivered on
workers started as the tests start them (`running_workers`: control, packaging and company
workers on queues with one suffix). Its history says on which queue the package was built,
that it was built before review opened (patch `package-before-review`), and that approval ->
link takes two rounds: the status record goes in the same workflow task as the check that
the package is still current (on the control queue), and the next one as the link.
Packaging down, review opens after a while without the package; a decision in review has
it built again, and a build that waited long (no packaging worker for a while) is checked
before its link, first on its queue (a priority key). The recording is the patched shape's
replay fixture (`rights_request_access_names_among_candidates`; `_one_step_watch`,
`_package_before_review`, `_fewer_rounds`, `_packaging_queue` and `_ensure_first` are the
shapes before).
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

from casestore.review_overview import record_count
from dsar.activity_refs import FIRST
from dsar.domain import Status
from dsar.messages.activity_names import Activity
from dsar.messages.identity import IdentityDecision
from dsar.messages.review import ExcludeRecords, ExclusionReason, ReviewDecision
from dsar.messages.state import RequestState
from dsar.task_queues import packaging_task_queue
from tests.conftest import record_history
from tests.polling import eventually
from tests.workflow.conftest import (
    mark_manual_system,
    packaging_on,
    reach_review,
    running_workers,
    start_request_for,
    wait_for_status,
    watch_timers,
)
from tests.workflow.test_download import deliver
from workflows.rights_request import RightsRequestWorkflow
from workflows.rights_request.delivery import PREPARE_PATIENCE, RECHECK_AFTER

PACKAGE_ACTIVITIES = {str(Activity.BUILD_PACKAGE), str(Activity.ENSURE_PACKAGE)}
T = TypeVar("T")
# An access request's stretches of steps: intake, identity, the plan, collection's status,
# the scan and the package, approval, the link, the package's deletion (35 timers before).
WATCH_TIMERS_AT_MOST = 12


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


def event_of_update(history: WorkflowHistory, name: str) -> int:
    """The event id at which the workflow accepted the first Update called `name`."""
    return next(
        e.event_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
        and e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name == name
    )


def scheduled_events(history: WorkflowHistory, activity_type: str) -> list[int]:
    """The event ids at which activities of `activity_type` were scheduled."""
    return [
        e.event_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and e.activity_task_scheduled_event_attributes.activity_type.name == activity_type
    ]


async def test_the_package_is_built_before_review_and_sent_in_two_rounds(
    own_time_skipping_env: Any, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool
) -> None:
    client = own_time_skipping_env.client
    async with running_workers(client, **workers_kwargs) as control_queue:
        handle = await deliver(own_time_skipping_env, control_queue, case_pool)
        # On to the package's deletion, so the recording is of a whole request.
        await own_time_skipping_env.sleep(timedelta(days=31))
        final: RequestState = await handle.result()
        await record_history(handle, "rights_request_access_names_among_candidates")
        history = await handle.fetch_history()

    assert final.status is Status.DELIVERED and final.package is not None
    queues = scheduled_queues(history)
    packaging = packaging_task_queue(control_queue)
    assert packaging != control_queue
    assert queues[str(Activity.BUILD_PACKAGE)] == {packaging}
    # Built once, before anyone approved it; checked at approval on the control queue.
    builds = scheduled_events(history, str(Activity.BUILD_PACKAGE))
    assert len(builds) == 1 and builds[0] < event_of_update(history, "approve")
    assert queues[str(Activity.PACKAGE_STILL_CURRENT)] == {control_queue}
    assert str(Activity.ENSURE_PACKAGE) not in queues
    # Nothing else goes to the packaging queue: the rest stays on the control queue (and the
    # companies' queues, for the identity search).
    others = {q for name, found in queues.items() if name != str(Activity.BUILD_PACKAGE) for q in found}
    assert control_queue in others and packaging not in others
    assert set().union(*scheduled_priorities(history).values()) == {0}
    # The check is scheduled in the workflow task that records "packaging", and the link
    # e-mail in the one that records "delivery" (the task the check's result woke).
    scheduled = workflow_task_of(history)
    check_task = next(task for name, task in scheduled if name == str(Activity.PACKAGE_STILL_CURRENT))
    beside_check = [name for name, task in scheduled if task == check_task]
    assert set(beside_check) == {str(Activity.PACKAGE_STILL_CURRENT), str(Activity.RECORD_STATUS)}
    link_task = min(
        task for name, task in scheduled if name == str(Activity.SEND_NOTIFICATION) and task > check_task
    )
    beside_link = [name for name, task in scheduled if task == link_task]
    assert set(beside_link) == {str(Activity.SEND_NOTIFICATION), str(Activity.RECORD_STATUS)}
    assert not [task for _, task in scheduled if check_task < task < link_task]
    # One timer watches each stretch of steps (step_watch.py), not one timer per step.
    assert 0 < len(watch_timers(history)) <= WATCH_TIMERS_AT_MOST < len(scheduled) // 2


async def test_review_opens_without_a_package_that_cannot_be_built_and_approval_waits_for_it(
    own_time_skipping_env: Any, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool
) -> None:
    """Packaging down: review opens after PREPARE_PATIENCE all the same; once approved, the
    link waits for the build, and the package is checked before the link goes."""
    env = own_time_skipping_env
    down = BuildWaitsLong(PREPARE_PATIENCE + timedelta(minutes=30))
    async with (
        running_workers(env.client, **workers_kwargs, packaging=False) as control_queue,
        packaging_on(env.client, control_queue, **workers_kwargs, interceptors=[down]),
    ):
        handle = await start_request_for(env.client, control_queue, case_pool, date(2026, 11, 20))
        await wait_for_status(handle, Status.IDENTITY)
        await handle.execute_update(RightsRequestWorkflow.verify_identity, IdentityDecision(actor="reviewer"))
        await mark_manual_system(env.client, handle)
        await eventually(lambda: retrying(handle), timeout=60, what="the package's build to fail once")
        assert (await handle.query(RightsRequestWorkflow.state)).status is not Status.REVIEW
        await env.sleep(PREPARE_PATIENCE + timedelta(minutes=1))
        await wait_for_status(handle, Status.REVIEW)
        await handle.execute_update(RightsRequestWorkflow.approve, ReviewDecision(actor="reviewer"))
        await wait_for_status(handle, Status.PACKAGING)
        assert await retrying(handle)  # no link before the package exists
        await env.sleep(timedelta(minutes=30))
        await wait_for_status(handle, Status.DELIVERED)
        history = await handle.fetch_history()
        await handle.terminate(reason="test finished")

    order = [name for name, _ in workflow_task_of(history)]
    assert order.count(str(Activity.BUILD_PACKAGE)) == 1
    check = order.index(str(Activity.PACKAGE_STILL_CURRENT))
    link = check + order[check:].index(str(Activity.SEND_NOTIFICATION))
    assert order.index(str(Activity.BUILD_PACKAGE)) < check < link


async def retrying(handle: Any) -> bool | None:
    """The request's package build has failed once and waits to be retried."""
    pending = (await handle.describe()).raw_description.pending_activities
    return (
        True
        if any(a.activity_type.name == str(Activity.BUILD_PACKAGE) and a.attempt > 1 for a in pending)
        else None
    )


class BuildWaitsLong(Interceptor):
    """The first build attempt fails and asks to be retried after `delay` (RECHECK_AFTER and
    more unless told): the package is built long after the request asked for it (an outage,
    a long queue), in workflow time the time-skipping server can skip (it does not skip
    while an activity waits for a worker)."""

    def __init__(self, delay: timedelta = RECHECK_AFTER + timedelta(minutes=1)) -> None:
        self._delay = delay

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _FailFirstBuild(next, self._delay)


class _FailFirstBuild(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, delay: timedelta) -> None:
        super().__init__(next)
        self._delay = delay

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        if info.activity_type == str(Activity.BUILD_PACKAGE) and info.attempt == 1:
            raise ApplicationError("packaging is down", next_retry_delay=self._delay)
        return await super().execute_activity(input)


async def test_a_decision_in_review_has_the_package_built_again_and_checked_if_that_took_long(
    own_time_skipping_env: Any, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool
) -> None:
    """A record excluded after the package was built: approval finds it changed and builds
    it again. That build waits long (an outage, a long queue), so the object could have gone
    in the meantime: it is checked before its link, first on its queue."""
    env = own_time_skipping_env
    async with running_workers(env.client, **workers_kwargs, packaging=False) as control_queue:
        handle = await start_request_for(env.client, control_queue, case_pool, date(2026, 11, 20))
        reference = handle.id.removeprefix("dsar-")
        await wait_for_status(handle, Status.IDENTITY)
        await handle.execute_update(RightsRequestWorkflow.verify_identity, IdentityDecision(actor="reviewer"))
        async with packaging_on(env.client, control_queue, **workers_kwargs):
            await reach_review(env.client, handle)
        record = await case_pool.fetchval(
            "SELECT min(id) FROM collected_records WHERE reference = $1 AND NOT needs_confirmation", reference
        )
        exclude = ExcludeRecords(
            actor="reviewer",
            record_ids=[record],
            reason_code=ExclusionReason.TRADE_SECRET,
            note="a price list",
        )
        assert await handle.execute_update(RightsRequestWorkflow.exclude_records, exclude) == 1
        async with packaging_on(env.client, control_queue, **workers_kwargs, interceptors=[BuildWaitsLong()]):
            await handle.execute_update(RightsRequestWorkflow.approve, ReviewDecision(actor="reviewer"))
            await wait_for_status(handle, Status.PACKAGING)
            await env.sleep(RECHECK_AFTER + timedelta(minutes=2))
            final = await wait_for_status(handle, Status.DELIVERED)
        history = await handle.fetch_history()
        await handle.terminate(reason="test finished")

    sent = await case_pool.fetch(
        "SELECT object_key, data FROM collected_records WHERE reference = $1"
        " AND exclusion_reason IS NULL AND (NOT needs_confirmation OR confirmed_by IS NOT NULL)",
        reference,
    )
    assert final.package is not None and final.package.records == sum(record_count(r) for r in sent)
    builds = scheduled_events(history, str(Activity.BUILD_PACKAGE))
    approved = event_of_update(history, "approve")
    assert len(builds) == 2 and builds[0] < approved < builds[1]
    queues = scheduled_queues(history)
    assert queues[str(Activity.ENSURE_PACKAGE)] == {packaging_task_queue(control_queue)}
    assert scheduled_priorities(history)[str(Activity.ENSURE_PACKAGE)] == {FIRST}
    order = [name for name, _ in workflow_task_of(history)]
    check = order.index(str(Activity.PACKAGE_STILL_CURRENT))
    rebuild = check + order[check:].index(str(Activity.BUILD_PACKAGE))
    ensure = order.index(str(Activity.ENSURE_PACKAGE))
    # The check comes before the link: the first e-mail after the rebuild is after the check.
    link = rebuild + order[rebuild:].index(str(Activity.SEND_NOTIFICATION))
    assert check < rebuild < ensure < link

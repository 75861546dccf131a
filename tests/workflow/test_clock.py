"""The statutory clock inside the workflow, on the time-skipping server.

Months pass in seconds; each test checks the dates (workflow time) on which reminders,
escalations and closures went out, not just how many there were. Expected dates come
from the table-tested `dsar.clock` module and from the calendar.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from temporalio.client import WorkflowUpdateFailedError

from dsar import clock
from dsar.domain import Status
from dsar.messages import (
    ClarificationAnswer,
    ClarificationRequest,
    ExtensionDecision,
    IdentityDecision,
    NotificationKind,
    RequestState,
)
from tests.conftest import record_history
from tests.workflow.conftest import reach_review, running_workers, start_request_for, wait_for_status
from workflows.rights_request import RightsRequestWorkflow

STOCKHOLM = ZoneInfo("Europe/Stockholm")


async def server_today(env: Any) -> tuple[datetime, date]:
    """The session's server keeps its virtual clock between tests: "today" is its today."""
    now: datetime = await env.get_current_time()
    return now, now.astimezone(STOCKHOLM).date()


async def end(handle: Any) -> None:
    """A workflow left open after its workers stop would hold the shared server's clock:
    the time-skipping server does not skip past a task no worker will ever take."""
    await handle.terminate(reason="test finished")


def local_dates(state: RequestState, kind: NotificationKind) -> list[date]:
    return [n.at.astimezone(STOCKHOLM).date() for n in state.notices if n.kind == kind]


async def test_a_person_who_never_proves_identity_is_reminded_then_closed(
    time_skipping_env: Any, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool
) -> None:
    client = time_skipping_env.client
    _, today = await server_today(time_skipping_env)
    async with running_workers(client, **workers_kwargs) as queue:
        handle = await start_request_for(client, queue, case_pool, today)
        first = await wait_for_status(handle, Status.IDENTITY)
        started = next(n.at for n in first.notices if n.kind == NotificationKind.ACKNOWLEDGEMENT)
        # Skip ahead explicitly: a result long-poll on the time-skipping server can give up
        # while virtual time races past it.
        await time_skipping_env.sleep(timedelta(days=31))
        final: RequestState = await handle.result()
        await record_history(handle, "rights_request_identity_not_verified")

    assert final.status == Status.CLOSED and final.outcome == "identity_not_verified"
    reminders = [n.at for n in final.notices if n.kind == NotificationKind.IDENTITY_REMINDER]
    # Defaults: reminders 7 and 14 days after identity was asked for, closure after 30.
    assert [round((at - started) / timedelta(days=1)) for at in reminders] == [7, 14]
    closed = [n.at for n in final.notices if n.kind == NotificationKind.IDENTITY_NOT_VERIFIED]
    assert len(closed) == 1 and round((closed[0] - started) / timedelta(days=1)) == 30
    # Nothing was collected for a person whose identity was never established.
    assert final.companies == [] and final.package is None
    count = await case_pool.fetchval(
        "SELECT count(*) FROM collected_records WHERE reference = $1", final.reference
    )
    assert count == 0


async def test_an_overdue_request_escalates_every_working_day(
    time_skipping_env: Any, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool
) -> None:
    client = time_skipping_env.client
    _, today = await server_today(time_skipping_env)
    sweden = clock.get_jurisdiction("SE")
    received = today - timedelta(days=45)  # already past its one-month deadline
    async with running_workers(client, **workers_kwargs) as queue:
        handle = await start_request_for(client, queue, case_pool, received)
        state = await wait_for_status(handle, Status.IDENTITY)
        await handle.execute_update(RightsRequestWorkflow.verify_identity, IdentityDecision(actor="reviewer"))
        state = await reach_review(client, handle)
        due = state.due_on
        assert due is not None and due < today
        # The extension notice would come after the original due date: refused.
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(
                RightsRequestWorkflow.extend, ExtensionDecision(actor="reviewer", reason="many systems")
            )
        assert "too late" in str(refused.value.cause)
        await time_skipping_env.sleep(timedelta(days=12))
        state = await handle.query(RightsRequestWorkflow.state)
        await end(handle)

    escalations = [n for n in state.notices if n.kind == NotificationKind.ESCALATION]
    occasions = [date.fromisoformat(n.occasion) for n in escalations]
    # The first goes out at once for the latest missed working day (it was already
    # overdue); then one for each following working day, at 09:00 on that day.
    assert occasions[0] <= today <= occasions[0] + timedelta(days=5)
    assert occasions == [
        d for d in clock.escalation_dates(_deadline(due), sweden, occasions[-1]) if d >= occasions[0]
    ]
    assert len(occasions) >= 6, "twelve days hold at least six working days"
    assert all(sweden.is_working_day(d) for d in occasions)
    for notice, day in zip(escalations[1:], occasions[1:], strict=True):
        local = notice.at.astimezone(STOCKHOLM)
        assert local.date() == day and (local.hour, local.minute) == (9, 0)
    assert not any(n.kind == NotificationKind.EXTENSION for n in state.notices)


async def test_an_extension_moves_every_timer(
    time_skipping_env: Any, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool
) -> None:
    client = time_skipping_env.client
    _, today = await server_today(time_skipping_env)
    sweden = clock.get_jurisdiction("SE")
    received = today
    async with running_workers(client, **workers_kwargs) as queue:
        handle = await start_request_for(client, queue, case_pool, received)
        await wait_for_status(handle, Status.IDENTITY)
        await handle.execute_update(RightsRequestWorkflow.verify_identity, IdentityDecision(actor="reviewer"))
        before = await reach_review(client, handle)
        with pytest.raises(WorkflowUpdateFailedError) as no_reason:
            await handle.execute_update(
                RightsRequestWorkflow.extend, ExtensionDecision(actor="reviewer", reason=" ")
            )
        assert "needs a reason" in str(no_reason.value.cause)
        with pytest.raises(WorkflowUpdateFailedError) as no_role:
            await handle.execute_update(
                RightsRequestWorkflow.extend, ExtensionDecision(actor="tester", reason="x")
            )
        assert "reviewer role" in str(no_role.value.cause)

        after: RequestState = await handle.execute_update(
            RightsRequestWorkflow.extend,
            ExtensionDecision(actor="reviewer", reason="Your data is spread over many systems."),
        )
        with pytest.raises(WorkflowUpdateFailedError) as twice:
            await handle.execute_update(
                RightsRequestWorkflow.extend, ExtensionDecision(actor="reviewer", reason="x")
            )
        assert "already been extended" in str(twice.value.cause)
        description = await handle.describe()
        await time_skipping_env.sleep(timedelta(days=100))  # 3 months + holidays < 100 days
        state = await handle.query(RightsRequestWorkflow.state)
        await end(handle)

    expected_due = clock.compute_deadline(received, sweden, extended=True).due_on
    assert before.due_on == clock.compute_deadline(received, sweden).due_on
    assert after.due_on == expected_due and after.extended
    due_at = description.typed_search_attributes.get(_due_key())
    assert due_at is not None and due_at.astimezone(STOCKHOLM).date() == expected_due
    # Every reminder is counted back from the new due date; none from the old one.
    assert local_dates(state, NotificationKind.TEAM_REMINDER) == [
        expected_due - timedelta(days=d) for d in (14, 7, 3, 1)
    ]
    assert local_dates(state, NotificationKind.ESCALATION)[0] == expected_due
    assert [n.kind for n in state.notices].count(NotificationKind.EXTENSION) == 1


async def test_a_question_stops_the_clock_until_answered(
    time_skipping_env: Any, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool
) -> None:
    client = time_skipping_env.client
    now, today = await server_today(time_skipping_env)
    sweden = clock.get_jurisdiction("SE")
    async with running_workers(client, **workers_kwargs) as queue:
        handle = await start_request_for(client, queue, case_pool, today)
        await wait_for_status(handle, Status.IDENTITY)
        asked: RequestState = await handle.execute_update(
            RightsRequestWorkflow.clarify,
            ClarificationRequest(actor="reviewer", question="Which of our services do you use?"),
        )
        assert asked.clock_stopped and asked.due_on is None and asked.open_question
        await time_skipping_env.sleep(timedelta(days=10))
        answered: RequestState = await handle.execute_update(
            RightsRequestWorkflow.answer, ClarificationAnswer(actor="reviewer")
        )
        await end(handle)
    resumed = now + timedelta(days=10)
    restart = resumed.astimezone(STOCKHOLM).date()
    assert not answered.clock_stopped
    # The period starts again on the day the answer arrived (Sweden stops for questions).
    assert answered.due_on in {
        clock.compute_deadline(restart + timedelta(days=k), sweden).due_on for k in (0, 1)
    }


def _deadline(due: date) -> clock.Deadline:
    return clock.Deadline(
        start_on=due, due_on=due, due_at=None, extension_notice_by=due, extended=False, clock_stopped=False
    )


def _due_key() -> Any:
    from dsar.search_attributes import DSAR_DUE_AT

    return DSAR_DUE_AT

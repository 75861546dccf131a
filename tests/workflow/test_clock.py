"""The statutory clock inside the workflow, on the time-skipping server.

Months pass in seconds; each test checks the dates (workflow time) on which reminders,
escalations and closures went out, not just how many there were. Expected dates come
from the table-tested `dsar.clock` module and from the calendar. Each test has a server
of its own: a skip of weeks on the shared one can stall behind requests other test
files left open (their workers gone).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from dsar import clock
from dsar.domain import Status
from dsar.messages.clock import ClarificationAnswer, ClarificationRequest, ExtensionDecision
from dsar.messages.identity import IdentityDecision
from dsar.messages.notifications import NotificationKind
from dsar.messages.state import RequestState
from tests.conftest import record_history
from tests.workflow.conftest import (
    reach_review,
    refusal,
    request_on_workers,
    start_request_for,
    wait_for_status,
)
from workflows.rights_request import RightsRequestWorkflow

STOCKHOLM = ZoneInfo("Europe/Stockholm")
SWEDEN = clock.get_jurisdiction("SE")


@pytest.fixture
def env(own_time_skipping_env: WorkflowEnvironment) -> WorkflowEnvironment:
    return own_time_skipping_env


@pytest.fixture
def client(env: WorkflowEnvironment) -> Client:
    """The test's own server's client (not the shared server's, as elsewhere)."""
    return env.client


@pytest.fixture
async def now(env: WorkflowEnvironment) -> datetime:
    """The server's virtual clock: "now" is its now."""
    return await env.get_current_time()


@pytest.fixture
def today(now: datetime) -> date:
    return now.astimezone(STOCKHOLM).date()


@pytest.fixture
def opened(client: Client, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool) -> Any:
    """`async with opened(received) as handle`: Astrid's access request received that day,
    on workers of the test's own (terminated at the end if still open)."""

    def request(received: date) -> AbstractAsyncContextManager[WorkflowHandle[Any, Any]]:
        async def start(queue: str) -> WorkflowHandle[Any, Any]:
            return await start_request_for(client, queue, case_pool, received)

        return request_on_workers(client, workers_kwargs, start)

    return request


async def verified_in_review(client: Client, handle: WorkflowHandle[Any, Any]) -> RequestState:
    """Identity checked by a reviewer, collection done: the request waits in review."""
    await wait_for_status(handle, Status.IDENTITY)
    await handle.execute_update(RightsRequestWorkflow.verify_identity, IdentityDecision(actor="reviewer"))
    return await reach_review(client, handle)


def local_dates(state: RequestState, kind: NotificationKind) -> list[date]:
    return [n.at.astimezone(STOCKHOLM).date() for n in state.notices if n.kind == kind]


async def test_a_person_who_never_proves_identity_is_reminded_then_closed(
    opened: Any, env: WorkflowEnvironment, today: date, case_pool: asyncpg.Pool
) -> None:
    async with opened(today) as handle:
        first = await wait_for_status(handle, Status.IDENTITY)
        started = next(n.at for n in first.notices if n.kind == NotificationKind.ACKNOWLEDGEMENT)
        # Skip ahead explicitly: a result long-poll on the time-skipping server can give up
        # while virtual time races past it.
        await env.sleep(timedelta(days=31))
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
    opened: Any, client: Client, env: WorkflowEnvironment, today: date
) -> None:
    received = today - timedelta(days=45)  # already past its one-month deadline
    async with opened(received) as handle:
        state = await verified_in_review(client, handle)
        due = state.due_on
        assert due is not None and due < today
        # The extension notice would come after the original due date: refused.
        late = ExtensionDecision(actor="reviewer", reason="many systems")
        assert "too late" in await refusal(handle, RightsRequestWorkflow.extend, late)
        await env.sleep(timedelta(days=12))
        state = await handle.query(RightsRequestWorkflow.state)

    escalations = [n for n in state.notices if n.kind == NotificationKind.ESCALATION]
    occasions = [date.fromisoformat(n.occasion) for n in escalations]
    # The first goes out at once for the latest missed working day (it was already
    # overdue); then one for each following working day, at 09:00 on that day.
    assert occasions[0] <= today <= occasions[0] + timedelta(days=5)
    assert occasions == [
        d for d in clock.escalation_dates(_deadline(due), SWEDEN, occasions[-1]) if d >= occasions[0]
    ]
    assert len(occasions) >= 6, "twelve days hold at least six working days"
    assert all(SWEDEN.is_working_day(d) for d in occasions)
    for notice, day in zip(escalations[1:], occasions[1:], strict=True):
        local = notice.at.astimezone(STOCKHOLM)
        assert local.date() == day and (local.hour, local.minute) == (9, 0)
    assert not any(n.kind == NotificationKind.EXTENSION for n in state.notices)


async def test_an_extension_moves_every_timer(
    opened: Any, client: Client, env: WorkflowEnvironment, today: date
) -> None:
    received = today
    async with opened(received) as handle:
        before = await verified_in_review(client, handle)
        for refused, why in (
            (ExtensionDecision(actor="reviewer", reason=" "), "needs a reason"),
            (ExtensionDecision(actor="tester", reason="x"), "reviewer role"),
        ):
            assert why in await refusal(handle, RightsRequestWorkflow.extend, refused)

        after: RequestState = await handle.execute_update(
            RightsRequestWorkflow.extend,
            ExtensionDecision(actor="reviewer", reason="Your data is spread over many systems."),
        )
        again = ExtensionDecision(actor="reviewer", reason="x")
        assert "already been extended" in await refusal(handle, RightsRequestWorkflow.extend, again)
        description = await handle.describe()
        await env.sleep(timedelta(days=100))  # 3 months + holidays < 100 days
        state = await handle.query(RightsRequestWorkflow.state)

    expected_due = clock.compute_deadline(received, SWEDEN, extended=True).due_on
    assert before.due_on == clock.compute_deadline(received, SWEDEN).due_on
    assert after.due_on == expected_due and after.extended
    due_at = description.typed_search_attributes.get(_due_key())
    assert due_at is not None and due_at.astimezone(STOCKHOLM).date() == expected_due
    # The escalations count from the new due date; the team's reminders come in the
    # morning's list, chosen by the `DsarDueAt` above (tests/integration/test_team_reminders.py).
    assert local_dates(state, NotificationKind.ESCALATION)[0] == expected_due
    assert local_dates(state, NotificationKind.TEAM_REMINDER) == []
    assert [n.kind for n in state.notices].count(NotificationKind.EXTENSION) == 1


async def test_a_question_stops_the_clock_until_answered(
    opened: Any, env: WorkflowEnvironment, now: datetime, today: date
) -> None:
    async with opened(today) as handle:
        await wait_for_status(handle, Status.IDENTITY)
        asked: RequestState = await handle.execute_update(
            RightsRequestWorkflow.clarify,
            ClarificationRequest(actor="reviewer", question="Which of our services do you use?"),
        )
        assert asked.clock_stopped and asked.due_on is None and asked.open_question
        await env.sleep(timedelta(days=10))
        answered: RequestState = await handle.execute_update(
            RightsRequestWorkflow.answer, ClarificationAnswer(actor="reviewer")
        )
    resumed = now + timedelta(days=10)
    restart = resumed.astimezone(STOCKHOLM).date()
    assert not answered.clock_stopped
    # The period starts again on the day the answer arrived (Sweden stops for questions).
    assert answered.due_on in {
        clock.compute_deadline(restart + timedelta(days=k), SWEDEN).due_on for k in (0, 1)
    }


def _deadline(due: date) -> clock.Deadline:
    return clock.Deadline(
        start_on=due, due_on=due, due_at=None, extension_notice_by=due, extended=False, clock_stopped=False
    )


def _due_key() -> Any:
    from dsar.search_attributes import DSAR_DUE_AT

    return DSAR_DUE_AT

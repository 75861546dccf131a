"""DSAR_REMINDER_TIME end to end, on the time-skipping server: a control worker set to 14:37
sends a request's escalations at 14:37 Stockholm time on their days, and no team reminders
of its own: those come in the morning's list, whose Schedule runs at the same time
(tests/integration/test_team_reminders.py)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from temporalio.testing import WorkflowEnvironment

from dsar import clock
from dsar.messages.notifications import NotificationKind
from dsar.messages.state import RequestState
from tests.conftest import Servers, record_history
from tests.workflow.conftest import request_on_workers, start_request_for
from tests.workflow.test_clock import verified_in_review
from workflows.rights_request import RightsRequestWorkflow

STOCKHOLM = ZoneInfo("Europe/Stockholm")


async def test_escalations_fall_due_at_the_reminder_time(
    own_time_skipping_env: WorkflowEnvironment,
    workers_kwargs: dict[str, Any],
    servers: Servers,
    key_text: str,
    roles_file: Path,
    case_pool: asyncpg.Pool,
) -> None:
    env = own_time_skipping_env
    client = env.client
    settings = servers.settings(key_text, DSAR_ROLES_FILE=str(roles_file), DSAR_REMINDER_TIME="14:37")
    received = (await env.get_current_time()).astimezone(STOCKHOLM).date()

    async def start(queue: str) -> Any:
        return await start_request_for(client, queue, case_pool, received)

    async with request_on_workers(client, {**workers_kwargs, "settings": settings}, start) as handle:
        await verified_in_review(client, handle)
        await env.sleep(timedelta(days=40))  # past the due date and a few working days after
        state: RequestState = await handle.query(RightsRequestWorkflow.state)
        # The shape since team reminders went into the morning's list: escalations only.
        await record_history(handle, "rights_request_team_reminders_listed")

    due = clock.compute_deadline(received, clock.get_jurisdiction("SE")).due_on
    assert due is not None
    sent = [
        n for n in state.notices if n.kind in (NotificationKind.TEAM_REMINDER, NotificationKind.ESCALATION)
    ]
    assert not any(n.kind == NotificationKind.TEAM_REMINDER for n in sent)
    escalations = [n.at.astimezone(STOCKHOLM).date() for n in sent if n.kind == NotificationKind.ESCALATION]
    assert escalations and escalations[0] == due
    for notice in sent:
        local = notice.at.astimezone(STOCKHOLM)
        assert (local.hour, local.minute) == (14, 37), notice
        assert local.date() == date.fromisoformat(notice.occasion)

"""The morning's team reminders, on the Temporal dev server (visibility), the real case
store and the SMTP catcher, with the real workers in-process on a fresh task queue.

Requests are started with received dates whose deadlines have a team reminder today, and
one whose deadline has none; the list names the first and not the second, once, however
often it runs; and a run started by its Schedule, with no input, finds its jurisdiction.
The dev server is shared, so requests other tests left open may be listed too: the checks
are about this test's requests.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from email.message import EmailMessage
from typing import Any

import asyncpg
import pytest
from temporalio.client import Client, ScheduleActionExecutionStartWorkflow, WorkflowHandle

from bench.pipeline.storm import received_for_reminders_on
from dsar import clock
from dsar import search_attributes as sa
from dsar.config import Settings
from dsar.domain import Status
from dsar.messages.team_reminders import TeamRemindersInput, TeamRemindersResult
from tests.conftest import Servers
from tests.polling import eventually
from tests.workflow import conftest as workflow_fixtures
from tests.workflow.conftest import running_workers, start_request_for, wait_for_status
from workers.schedules import ensure_schedules
from workflows.team_reminders import TeamRemindersWorkflow, team_reminders_schedule_id

pytestmark = pytest.mark.integration
workers_kwargs = workflow_fixtures.workers_kwargs
SWEDEN = clock.get_jurisdiction("SE")


def lists(servers: Servers, day: date) -> list[EmailMessage]:
    return [
        m
        for m in servers.mail.messages()
        if m["X-DSAR-Kind"] == "team_reminder"
        and m["X-DSAR-Occasion"] == day.isoformat()
        and not m["X-DSAR-Reference"]
    ]


def body(mail: EmailMessage) -> str:
    part = mail.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


async def visible(client: Client, handles: list[WorkflowHandle[Any, Any]]) -> None:
    """Until visibility shows each request's due moment (it lags the workflow by a moment)."""

    async def shown() -> bool | None:
        for handle in handles:
            described = await handle.describe()
            if described.typed_search_attributes.get(sa.DSAR_DUE_AT) is None:
                return None
        return True

    await eventually(shown, timeout=30, what="the requests' due moments in visibility")


async def test_one_list_names_each_request_due_soon_once(
    dev_env: Any,
    workers_kwargs: dict[str, Any],
    case_pool: asyncpg.Pool,
    servers: Servers,
    settings: Settings,
) -> None:
    client: Client = dev_env.client
    now = datetime.now(UTC)
    today = now.astimezone(SWEDEN.zone).date()
    due_soon = received_for_reminders_on(today, settings.team_reminder_days)
    async with running_workers(client, **workers_kwargs) as queue:
        handles = [await start_request_for(client, queue, case_pool, received) for received in due_soon]
        not_due = await start_request_for(client, queue, case_pool, today)
        try:
            for handle in [*handles, not_due]:
                await wait_for_status(handle, Status.IDENTITY)
            await visible(client, [*handles, not_due])
            references = [h.id.removeprefix("dsar-") for h in handles]
            quiet = not_due.id.removeprefix("dsar-")

            async def run(n: int) -> TeamRemindersResult:
                return await client.execute_workflow(
                    TeamRemindersWorkflow.run,
                    TeamRemindersInput(jurisdiction="SE", at=now),
                    id=f"team-reminders-test-{uuid.uuid4().hex[:8]}-{n}",
                    task_queue=queue,
                )

            first = await run(1)
            assert first.day == today and first.listed >= len(references) and first.message_id
            mail = [m for m in lists(servers, today) if m["Message-ID"] == first.message_id]
            assert len(mail) == 1
            text = body(mail[0])
            assert all(r in text for r in references) and quiet not in text
            assert astrid_email_absent(text)
            rows = await case_pool.fetch(
                "SELECT reference, status, message_id FROM notifications"
                " WHERE kind = 'team_reminder' AND occasion = $1 AND reference = ANY($2::text[])",
                today.isoformat(),
                [*references, quiet],
            )
            assert {r["reference"] for r in rows} == set(references)
            assert {(r["status"], r["message_id"]) for r in rows} == {("sent", first.message_id)}

            again = await run(2)
            assert again.due >= len(references)  # still due, but reminded already
            mentioning = [m for m in lists(servers, today) if any(r in body(m) for r in references)]
            assert len(mentioning) == 1, "each request is listed once a day, however often the list runs"
        finally:
            for handle in [*handles, not_due]:
                await handle.terminate(reason="test finished")


def astrid_email_absent(text: str) -> bool:
    """Mail to the team names requests, never the person."""
    person = workflow_fixtures.astrid()
    return person.email not in text and person.full_name not in text


async def test_the_schedule_starts_a_run_that_finds_its_jurisdiction(
    dev_env: Any, workers_kwargs: dict[str, Any], settings: Settings, task_suffix: str
) -> None:
    client: Client = dev_env.client
    suffix = task_suffix.strip("-_.") or "test"
    async with running_workers(client, **workers_kwargs) as queue:
        ids = await ensure_schedules(client, settings, task_queue=queue, suffix=suffix)
        try:
            assert await ensure_schedules(client, settings, task_queue=queue, suffix=suffix) == ids
            sweden = client.get_schedule_handle(team_reminders_schedule_id("SE", suffix))
            described = await sweden.describe()
            calendar = described.schedule.spec.calendars[0]
            at = settings.reminder_time
            assert [r.start for r in calendar.hour] == [at.hour]
            assert [r.start for r in calendar.minute] == [at.minute]
            assert described.schedule.spec.time_zone_name == "Europe/Stockholm"
            assert {team_reminders_schedule_id(c, suffix) for c in clock.load_jurisdictions()} < set(ids)

            await sweden.trigger()

            async def ran() -> TeamRemindersResult | None:
                actions = (await sweden.describe()).info.recent_actions
                if not actions:
                    return None
                started = actions[-1].action
                assert isinstance(started, ScheduleActionExecutionStartWorkflow)
                handle = client.get_workflow_handle_for(
                    TeamRemindersWorkflow.run, started.workflow_id, run_id=started.first_execution_run_id
                )
                return await handle.result()

            result = await eventually(ran, timeout=60, what="the Schedule's run")
            assert result.day == datetime.now(SWEDEN.zone).date()
        finally:
            for schedule_id in ids:
                await client.get_schedule_handle(schedule_id).delete()

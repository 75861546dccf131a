"""The retention purge's Schedule and commands, on the Temporal dev server and the real stores.

The Schedule is created the way the control worker creates it at start, idempotently: a
second start changes nothing, and a Schedule paused by an operator stays paused. It is
listed by the client and by the stock `temporal schedule list`; started by `dsar purge`, its run removes
a case closed long enough ago. `dsar purge --dry-run`, `dsar hold-case`, `dsar
release-case` and `dsar report` run as their own processes, as a person runs them.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from temporalio.client import Client, ScheduleActionExecutionStartWorkflow

from devstack.local_servers import venv_binary
from dsar.config import Settings
from tests.integration import test_status_truth as status_fixtures
from tests.polling import eventually
from tests.workflow import conftest as workflow_fixtures
from tests.workflow.conftest import new_reference, running_workers
from workers.schedules import ensure_purge_schedule
from workflows.purge import PURGE_SCHEDULE_ID, PurgeWorkflow

pytestmark = pytest.mark.integration
workers_kwargs = workflow_fixtures.workers_kwargs
# `dsar`'s environment for these servers, as the status tests build it.
cli_env = status_fixtures.cli_env


@pytest.fixture
def retention_env(cli_env: dict[str, str], roles_file: Path) -> dict[str, str]:
    """`dsar status`'s test environment, with the roles file and the test bucket."""
    return cli_env | {"DSAR_ROLES_FILE": str(roles_file), "DSAR_S3_BUCKET": "dsar-test-packages"}


def dsar(env: dict[str, str], user: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        env=env | {"DSAR_USER": user},
        capture_output=True,
        text=True,
        timeout=120,
    )


async def closed_long_ago(pool: asyncpg.Pool) -> str:
    """A case delivered 40 days ago with one collected record, as the case store holds one."""
    reference = await new_reference(pool)
    await pool.execute(
        "INSERT INTO requests (reference, rights, jurisdiction, language, channel, received_on, status,"
        " subject_key_id, subject_ciphertext, email_lookup, closed_at)"
        " VALUES ($1, '{access}', 'SE', 'en', 'email', current_date - 70, 'delivered', 'k1', '\\x00',"
        " $2, now() - interval '40 days')",
        reference,
        f"test-{uuid.uuid4().hex}",
    )
    await pool.execute(
        "INSERT INTO collected_records (reference, company, system, source_table, source_key, category,"
        " matched_on, data) VALUES ($1, 'se01', 'crm', 'customers', '1', 'contact', 'email', '{}'::jsonb)",
        reference,
    )
    return reference


async def test_the_schedule_is_created_once_listed_kept_paused_and_its_run_purges(
    dev_env: Any,
    workers_kwargs: dict[str, Any],
    settings: Settings,
    case_pool: asyncpg.Pool,
    retention_env: dict[str, str],
) -> None:
    env = retention_env
    client: Client = dev_env.client
    schedule_id = PURGE_SCHEDULE_ID  # the one schedule on this dev server; deleted at the end
    reference = await closed_long_ago(case_pool)

    # The dry run names the case and counts what would go, and changes nothing.
    shown = dsar(env, "privacy-officer", "purge", "--dry-run", "--json")
    assert shown.returncode == 0, shown.stderr
    (row,) = [c for c in json.loads(shown.stdout)["cases"] if c["reference"] == reference]
    counted = {"stage": "copies", "records": 1, "files": 0, "packages": 0, "sealed_values": 0}
    assert row == {"reference": reference, **counted}
    assert "contact" not in shown.stdout and "customers" not in shown.stdout  # counts, never values

    # A hold: a reviewer places it (a requester may not), an administrator releases it.
    refused = dsar(env, "intruder", "hold-case", reference, "--reason", "complaint 2026:3")
    assert refused.returncode == 2 and "reviewer role" in refused.stderr
    assert dsar(env, "privacy-officer", "hold-case", reference, "--reason", " ").returncode == 2
    held = dsar(env, "privacy-officer", "hold-case", reference, "--reason", "complaint 2026:3")
    assert held.returncode == 0, held.stderr
    again = dsar(env, "privacy-officer", "hold-case", reference, "--reason", "another")
    assert again.returncode == 2 and "already on hold" in again.stderr
    listed = json.loads(dsar(env, "privacy-officer", "purge", "--dry-run", "--json").stdout)
    assert reference not in [c["reference"] for c in listed["cases"]]
    report = dsar(env, "privacy-officer", "report", "--from", "2026-01-01", "--to", "2026-12-31", "--json")
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["retention"]["on hold"] >= 1
    assert dsar(env, "privacy-officer", "release-case", reference).returncode == 2  # not an administrator
    released = dsar(env, "admin", "release-case", reference)
    assert released.returncode == 0, released.stderr
    trail = await case_pool.fetch(
        "SELECT actor, action, details FROM audit_log WHERE reference = $1 ORDER BY seq", reference
    )
    assert [(r["actor"], r["action"]) for r in trail] == [
        ("privacy-officer", "retention.hold_placed"),
        ("admin", "retention.hold_released"),
    ]
    assert "complaint" not in json.dumps([r["details"] for r in trail]).replace('"kind": "complaint"', "")

    async with running_workers(client, **workers_kwargs) as queue:
        handle = client.get_schedule_handle(schedule_id)
        try:
            await ensure_purge_schedule(client, settings, task_queue=queue, schedule_id=schedule_id)
            await ensure_purge_schedule(client, settings, task_queue=queue, schedule_id=schedule_id)
            await handle.pause(note="test: an operator pauses it")
            await ensure_purge_schedule(client, settings, task_queue=queue, schedule_id=schedule_id)
            described = await handle.describe()
            assert described.schedule.state.paused
            # The server keeps the cron as a calendar: 03:17 UTC, as DSAR_RETENTION_SCHEDULE says.
            (calendar,) = described.schedule.spec.calendars
            assert settings.retention_schedule == "17 3 * * *"
            assert [(r.start, r.end) for r in calendar.hour] == [(3, 3)]
            assert [(r.start, r.end) for r in calendar.minute] == [(17, 17)]

            async def in_list() -> bool | None:
                return True if schedule_id in [s.id async for s in await client.list_schedules()] else None

            found: bool = await eventually(in_list, timeout=30, what="the schedule in the client's list")
            assert found
            stock = await asyncio.to_thread(
                subprocess.run,
                [venv_binary("temporal"), "schedule", "list", "--address", env["DSAR_TEMPORAL_ADDRESS"]],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert stock.returncode == 0 and schedule_id in stock.stdout, stock.stderr

            # `dsar purge` starts a run now through the Schedule (paused or not), administrators only.
            refused = await asyncio.to_thread(dsar, env, "privacy-officer", "purge")
            assert refused.returncode == 2 and "administrator role" in refused.stderr
            started = await asyncio.to_thread(dsar, env, "admin", "purge")
            assert started.returncode == 0, started.stderr

            async def ran() -> str | None:
                actions = (await handle.describe()).info.recent_actions
                runs = [
                    a.action for a in actions if isinstance(a.action, ScheduleActionExecutionStartWorkflow)
                ]
                return runs[-1].workflow_id if runs else None

            run_id: str = await eventually(ran, timeout=30, what="the schedule's first run")
            result = await client.get_workflow_handle_for(PurgeWorkflow.run, run_id).result()
        finally:
            await handle.delete()
    assert result.copies_purged >= 1
    assert (
        await case_pool.fetchval("SELECT count(*) FROM collected_records WHERE reference = $1", reference)
        == 0
    )
    assert await case_pool.fetchval("SELECT copies_purged_at FROM requests WHERE reference = $1", reference)

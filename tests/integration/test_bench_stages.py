"""The pipeline benchmark's driver learns where its requests stand from the case store's
mirror of their status, read with the team's own login, so it adds no load to the Temporal
server it measures: only requests registered since the batch began and at a stage the driver
acts on (or an end) are seen."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from bench.pipeline.drive import Stages
from tests.conftest import Servers
from tests.workflow.conftest import new_reference

pytestmark = pytest.mark.integration


async def registered(pool: asyncpg.Pool, status: str, ago: timedelta = timedelta(0)) -> str:
    reference = await new_reference(pool)
    await pool.execute(
        "INSERT INTO requests (reference, rights, jurisdiction, language, channel, received_on, status,"
        " subject_key_id, subject_ciphertext, email_lookup, created_at)"
        " VALUES ($1, '{access}', 'SE', 'en', 'email', current_date, $2, 'k1', '\\x00', $3,"
        " now() - $4::interval)",
        reference,
        status,
        f"test-{uuid.uuid4().hex}",
        ago,
    )
    return reference


async def test_stages_come_from_the_case_store_as_the_team_sees_them(
    servers: Servers, case_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    earlier = await registered(case_pool, "identity", ago=timedelta(hours=1))
    since = datetime.now(UTC) - timedelta(seconds=5)
    waiting = await registered(case_pool, "identity")
    reviewing = await registered(case_pool, "review")
    packaging = await registered(case_pool, "packaging")  # on its way: not a stage acted on
    stages = Stages(servers.role_dsns["team"], since, tmp_path)
    watching = asyncio.create_task(stages.watch())
    try:
        await stages.changed(timeout=10)
        assert stages.status(waiting) == "identity"
        assert stages.status(reviewing) == "review"
        assert stages.status(packaging) == ""
        assert stages.status(earlier) == ""  # registered before the batch
        await case_pool.execute("UPDATE requests SET status = 'collecting' WHERE reference = $1", waiting)
        await case_pool.execute("UPDATE requests SET status = 'closed' WHERE reference = $1", reviewing)
        await stages.wait(waiting, "collecting", timeout=10)
        assert stages.status(reviewing) == "closed"
        assert stages.awaiting(waiting) == set()
        # The company's workflow asks the system's owner and records that it waits: the
        # driver sees it without a Query, and only while the request is collecting.
        for system, status in (("signups", "awaiting_upload"), ("crm", "collected")):
            await case_pool.execute(
                "INSERT INTO collection_results (reference, company, system, kind, status)"
                " VALUES ($1, 'gb01', $2, 'manual', $3)",
                waiting,
                system,
                status,
            )
        await stages.changed(timeout=10)
        await stages.changed(timeout=10)
        assert stages.awaiting(waiting) == {("gb01", "signups")}
        await case_pool.execute("UPDATE requests SET status = 'review' WHERE reference = $1", waiting)
        await stages.wait(waiting, "review", timeout=10)
        assert stages.awaiting(waiting) == set()
    finally:
        watching.cancel()

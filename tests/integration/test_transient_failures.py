"""The case store stopped during collection costs time, not systems (issue #14).

Before, PostgreSQL stopped for 30 s during collection permanently failed seven systems:
their retry policy gave up after five attempts. Now transient errors are retried on a time
budget of hours (`dsar.activity_refs`), and while a system is retried `dsar.pending` reads
which one and why from Temporal's own description of the company's workflow.

Real servers: the Temporal dev server, a PostgreSQL of this test's own (case store and the
demo companies' databases, stopped and started again), the session's S3, SMTP and HTTP
stand-ins, and the real workers. One system (gb01/crm) is held mid-collection by a table
lock, so the outage is sure to hit a collection under way, not only the steps around it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from temporalio.client import Client

from casestore.db import create_pool
from casestore.storage import ensure_bucket, s3_client
from devstack.demo_group import seed_demo_group
from devstack.local_servers import LocalPostgres, free_port
from dsar.config import Settings
from dsar.domain import Status, company_workflow_id
from dsar.group import GroupRegistry
from dsar.messages.collection import SystemStatus
from dsar.messages.identity import IdentityDecision
from dsar.pending import PendingStep, pending_with_errors
from tests.conftest import Servers, prepare_case_store
from tests.polling import eventually
from tests.workflow.conftest import reach_review, running_workers, start_request_for, wait_for_status
from workflows.rights_request import RightsRequestWorkflow

pytestmark = pytest.mark.integration

OUTAGE_SECONDS = 35


@dataclasses.dataclass
class OwnCaseStore:
    postgres: LocalPostgres
    servers: Servers


@pytest.fixture
def own_case_store(servers: Servers, registry: GroupRegistry, tmp_path: Path) -> Iterator[OwnCaseStore]:
    """A PostgreSQL of this test's own, so stopping it disturbs no other test."""
    postgres = LocalPostgres(tmp_path / "pg", free_port(), tmp_path / "logs" / "pg.log")
    postgres.start()
    try:
        postgres.create_database("dsar")
        asyncio.run(prepare_case_store(postgres))
        databases = asyncio.run(seed_demo_group(postgres.admin_dsn, registry))
        outside = {k: v for k, v in servers.connections.items() if not v.startswith("postgres")}
        own = dataclasses.replace(
            servers, postgres=postgres, case_dsn=postgres.dsn("dsar", "dsar"), connections=databases | outside
        )
        yield OwnCaseStore(postgres, own)
    finally:
        postgres.stop()


@pytest_asyncio.fixture
async def pools(own_case_store: OwnCaseStore) -> AsyncIterator[tuple[asyncpg.Pool, dict[str, asyncpg.Pool]]]:
    own = own_case_store.servers
    # Its references must not repeat the shared case store's on the shared dev server
    # (workflow ids are dsar-<reference>), whichever tests ran before; the owner moves it.
    admin = await asyncpg.connect(own_case_store.postgres.dsn("dsar"))
    try:
        await admin.execute("SELECT setval('request_number_seq', 900000 + (random() * 90000)::int)")
    finally:
        await admin.close()
    case_pool = await create_pool(own.case_dsn)
    sources = {
        n: await create_pool(d, max_size=4) for n, d in own.connections.items() if d.startswith("postgres")
    }
    yield case_pool, sources
    for pool in [case_pool, *sources.values()]:
        pool.terminate()


async def held_system_pending(client: Client, reference: str) -> list[PendingStep]:
    child = client.get_workflow_handle(company_workflow_id(reference, "gb01"))
    try:
        steps = await pending_with_errors(await child.describe(), client.data_converter)
        return [s for s in steps if s.where == "gb01/crm"]
    except Exception:  # not started yet
        return []


async def test_case_store_stopped_during_collection_fails_no_system(
    dev_env: Any,
    own_case_store: OwnCaseStore,
    pools: tuple[asyncpg.Pool, dict[str, asyncpg.Pool]],
    key_text: str,
    roles_file: Path,
    ring: Any,
    registry: GroupRegistry,
    task_suffix: str,
) -> None:
    client: Client = dev_env.client
    case_pool, sources = pools
    own = own_case_store.servers
    settings: Settings = own.settings(key_text, DSAR_ROLES_FILE=str(roles_file))
    ensure_bucket(s3_client(settings), settings.s3_bucket, settings.s3_region)
    workers = {
        "suffix": task_suffix,
        "settings": settings,
        "ring": ring,
        "registry": registry,
        "case_pool": case_pool,
        "source_pools": sources,
    }
    async with running_workers(client, **workers) as queue:
        handle = await start_request_for(client, queue, case_pool, date.today())
        reference = handle.id.removeprefix("dsar-")
        await wait_for_status(handle, Status.IDENTITY)

        # gb01/crm's collection waits on this lock until the case store goes down.
        lock_holder = await asyncpg.connect(own.connections["GB01_DB"])
        lock = lock_holder.transaction()
        await lock.start()
        await lock_holder.execute("LOCK TABLE crm_customers IN ACCESS EXCLUSIVE MODE")
        await handle.execute_update(RightsRequestWorkflow.verify_identity, IdentityDecision(actor="reviewer"))

        async def being_collected() -> list[PendingStep] | None:
            return await held_system_pending(client, reference) or None

        async def shown_retrying() -> PendingStep | None:
            found = [s for s in await held_system_pending(client, reference) if s.retrying and s.last_error]
            return found[0] if found else None

        collecting: list[PendingStep] = await eventually(
            being_collected, timeout=60, what="gb01/crm collected"
        )
        assert collecting[0].step == "collect"
        stopped = time.monotonic()
        own_case_store.postgres.stop()
        with_error: PendingStep = await eventually(
            shown_retrying, timeout=OUTAGE_SECONDS, what="gb01/crm shown retrying"
        )
        assert "gb01/crm" in with_error.last_error  # the error class and where, nothing more
        lock_holder.terminate()
        await asyncio.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped)))
        own_case_store.postgres.start()

        state = await reach_review(client, handle)
        systems = [s for c in state.companies for s in c.systems]
        assert systems and not [s for s in systems if s.status is SystemStatus.FAILED]
        assert {s.status for s in systems} <= {SystemStatus.COLLECTED, SystemStatus.NOT_APPLICABLE}
        crm = await case_pool.fetchval(
            "SELECT status FROM collection_results"
            " WHERE reference = $1 AND company = 'gb01' AND system = 'crm'",
            reference,
        )
        assert crm == SystemStatus.COLLECTED.value

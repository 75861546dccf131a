"""Helpers for workflow tests: workers on fresh task queues with the real activities."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiohttp.test_utils import TestClient, TestServer
from temporalio.api.enums.v1 import EventType
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowHistory,
    WorkflowUpdateFailedError,
)
from temporalio.service import RPCError
from temporalio.worker import Interceptor, Worker
from typer.testing import CliRunner, Result

from casestore.db import create_pool
from casestore.storage import s3_client
from cli import app, start_request
from devstack.demo_group import DEMO_PEOPLE
from dsar.codec import KeyRing
from dsar.config import Settings
from dsar.domain import (
    Channel,
    Language,
    RequestSubmission,
    Right,
    Status,
    SubjectIdentity,
    company_workflow_id,
    format_reference,
)
from dsar.download_links import LinkSigner
from dsar.group import GroupRegistry, SystemKind
from dsar.messages.collection import CompanyCollectionState, SystemDecision, SystemStatus
from dsar.messages.state import RequestState
from dsar.task_queues import CONTROL_TASK_QUEUE, packaging_task_queue
from tests.conftest import DOWNLOAD_SIGNING_KEY
from tests.polling import eventually
from web.download import Config, create_app
from workers.company import company_worker
from workers.control import control_worker
from workers.packaging import packaging_worker
from workflows.company_collection import CompanyCollectionWorkflow
from workflows.rights_request import RightsRequestWorkflow
from workflows.rights_request.step_watch import STUCK_AFTER


async def new_reference(pool: asyncpg.Pool) -> str:
    number = await pool.fetchval("SELECT nextval('request_number_seq')")
    return format_reference(2026, int(number))


@asynccontextmanager
async def running_workers(
    client: Client,
    *,
    suffix: str,
    settings: Settings,
    ring: KeyRing,
    registry: GroupRegistry,
    case_pool: asyncpg.Pool,
    source_pools: dict[str, asyncpg.Pool],
    packaging: bool = True,
) -> AsyncIterator[str]:
    """Control, packaging and company workers on queues ending in `suffix`; without the
    packaging worker (`packaging=False`) a test starts its own (`packaging_on`) when it wants
    the packages built."""
    control_queue = CONTROL_TASK_QUEUE + suffix
    async with AsyncExitStack() as stack:
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=10))
        await stack.enter_async_context(
            control_worker(
                client,
                settings=settings,
                ring=ring,
                registry=registry,
                pool=case_pool,
                task_queue=control_queue,
                company_queue_suffix=suffix,
                http=http,
            )
        )
        if packaging:
            await stack.enter_async_context(
                packaging_on(
                    client,
                    control_queue,
                    settings=settings,
                    ring=ring,
                    registry=registry,
                    case_pool=case_pool,
                )
            )
        for company in registry.companies:
            sources = {
                s.connection: source_pools[s.connection]
                for s in company.systems
                if s.connection and s.kind is SystemKind.POSTGRES
            }
            await stack.enter_async_context(
                company_worker(
                    client,
                    company=company,
                    settings=settings,
                    http=http,
                    ring=ring,
                    registry=registry,
                    case_pool=case_pool,
                    sources=sources,
                    task_queue=company.task_queue + suffix,
                )
            )
        yield control_queue


def packaging_on(
    client: Client,
    control_queue: str,
    *,
    settings: Settings,
    ring: KeyRing,
    registry: GroupRegistry,
    case_pool: asyncpg.Pool,
    interceptors: Sequence[Interceptor] = (),
    **_: Any,
) -> Worker:
    """The packaging worker beside `control_queue` (takes `workers_kwargs` as they are)."""
    return packaging_worker(
        client,
        settings=settings,
        ring=ring,
        registry=registry,
        pool=case_pool,
        task_queue=packaging_task_queue(control_queue),
        interceptors=interceptors,
    )


@asynccontextmanager
async def request_on_workers(
    client: Client,
    workers_kwargs: dict[str, Any],
    start: Callable[[str], Awaitable[WorkflowHandle[Any, Any]]],
) -> AsyncIterator[WorkflowHandle[Any, Any]]:
    """Workers on a fresh task queue and a request `start(queue)` started on them.

    A request still open when the block ends is terminated: a workflow left open after
    its workers stop would hold the shared server's clock, since the time-skipping server
    does not skip past a task no worker will ever take.
    """
    async with running_workers(client, **workers_kwargs) as queue:
        handle = await start(queue)
        try:
            yield handle
        finally:
            if (await handle.describe()).status is WorkflowExecutionStatus.RUNNING:
                await handle.terminate(reason="test finished")


async def wait_for_status(handle: WorkflowHandle[Any, Any], status: Status) -> RequestState:
    async def reached() -> RequestState | None:
        state: RequestState = await handle.query(RightsRequestWorkflow.state)
        return state if state.status == status else None

    result: RequestState = await eventually(reached, timeout=60, what=f"{handle.id} to reach {status}")
    return result


async def refusal(handle: WorkflowHandle[Any, Any], update: Any, argument: Any) -> str:
    """Why the Update's validator refuses `argument`; the test fails if it is accepted."""
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(update, argument)
    return str(refused.value.cause)


async def manual_task_waiting(client: Client, reference: str, company: str = "gb01") -> str:
    """Wait until the company's manual system has sent its task and waits; return its code."""
    child = client.get_workflow_handle_for(
        CompanyCollectionWorkflow.run, company_workflow_id(reference, company)
    )

    async def waiting() -> str | None:
        try:
            progress: CompanyCollectionState = await child.query(CompanyCollectionWorkflow.progress)
        except RPCError:
            return None  # not started yet
        found = [s.system for s in progress.systems if s.status is SystemStatus.AWAITING_UPLOAD]
        return found[0] if found else None

    system: str = await eventually(waiting, timeout=60, what=f"a manual system of {company} waiting")
    return system


async def reach_review(client: Client, handle: WorkflowHandle[Any, Any]) -> RequestState:
    """Collection up to review, with the demo's manual system (gb01/signups) marked not applicable."""
    await mark_manual_system(client, handle)
    return await wait_for_status(handle, Status.REVIEW)


async def mark_manual_system(client: Client, handle: WorkflowHandle[Any, Any]) -> None:
    """The demo's manual system (gb01/signups) marked not applicable, once it is asked for."""
    reference = handle.id.removeprefix("dsar-")
    system = await manual_task_waiting(client, reference)
    await handle.execute_update(
        RightsRequestWorkflow.mark_not_applicable,
        SystemDecision(
            actor="privacy-officer", company="gb01", system=system, reason="binder searched: none"
        ),
    )


def cli_environment(
    settings: Settings, key_text: str, roles_file: Path, team_keys_dir: Path, temporal: str, state: Path
) -> dict[str, str]:
    """The settings the workers run with, as the `dsar` command reads them from the
    environment, acting as the privacy officer with the test team's keys."""
    return {
        "DSAR_TEMPORAL_ADDRESS": temporal,
        "DSAR_DATABASE_URL": settings.database_url,
        "DSAR_S3_ENDPOINT_URL": settings.s3_endpoint_url or "",
        "DSAR_S3_BUCKET": settings.s3_bucket,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test-secret",
        "DSAR_CODEC_KEYS": key_text.replace("\n", ","),
        "DSAR_ROLES_FILE": str(roles_file),
        "DSAR_DOWNLOAD_SIGNING_KEY": DOWNLOAD_SIGNING_KEY,
        "DSAR_STATE_DIR": str(state),
        "DSAR_USER": "privacy-officer",
        "DSAR_KEYS_DIR": str(team_keys_dir),
    }


async def dsar(env: dict[str, str], *args: str) -> Result:
    """`dsar ...` in-process; in a thread, since the CLI runs its own event loop."""
    return await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)


def said(result: Result) -> str:
    return " ".join((result.stdout + result.stderr).split())


def astrid() -> Any:
    return next(p for p in DEMO_PEOPLE if p.full_name == "Astrid Lindqvist")


@pytest.fixture
def client(time_skipping_env: Any) -> Client:
    """The shared time-skipping server's client."""
    return time_skipping_env.client  # type: ignore[no-any-return]


@pytest.fixture
def workers_kwargs(
    settings: Settings,
    ring: KeyRing,
    registry: GroupRegistry,
    case_pool: asyncpg.Pool,
    source_pools: dict[str, asyncpg.Pool],
    task_suffix: str,
) -> dict[str, Any]:
    return {
        "suffix": task_suffix,
        "settings": settings,
        "ring": ring,
        "registry": registry,
        "case_pool": case_pool,
        "source_pools": source_pools,
    }


async def start_request_for(
    client: Client,
    queue: str,
    pool: asyncpg.Pool,
    received: date,
    jurisdiction: str = "SE",
    language: Language = Language.EN,
) -> WorkflowHandle[Any, Any]:
    """Astrid's access request, started by the same code the CLI uses."""
    person = astrid()
    reference = await new_reference(pool)
    submission = RequestSubmission(
        rights=[Right.ACCESS],
        subject=SubjectIdentity(full_name=person.full_name, email=person.email),
        language=language,
        jurisdiction=jurisdiction,
        channel=Channel.EMAIL,
        received_on=received,
    )
    await start_request(client, reference, submission, "tester", task_queue=queue)
    return client.get_workflow_handle_for(RightsRequestWorkflow.run, f"dsar-{reference}")


class ShiftedClock:
    """The page's clock, moved forward by tests to reach an expiry without waiting."""

    def __init__(self) -> None:
        self.shift = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.shift


@asynccontextmanager
async def page_client(
    case_pool: asyncpg.Pool, settings: Settings, *, public_login: bool = True, **extra: Any
) -> AsyncIterator[tuple[TestClient[Any, Any], ShiftedClock]]:
    """The download (and verification) page in-process, on the real case store (as the public
    pages' own login, as deployed) and S3; `public_login=False` serves from `case_pool` as
    given (a pool to a case store that is down, say)."""
    from tests.conftest import ROLE_DSNS

    clock = ShiftedClock()
    own = public_login and "public" in ROLE_DSNS
    pool = await create_pool(ROLE_DSNS["public"], max_size=4) if own else case_pool
    config = Config(
        pool=pool,
        s3=s3_client(settings),
        signer=LinkSigner.from_setting(settings.download_signing_keys),
        privacy_email=settings.privacy_team_email,
        clock=clock,
        **extra,
    )
    client: TestClient[Any, Any] = TestClient(TestServer(create_app(config)))
    await client.start_server()
    try:
        yield client, clock
    finally:
        await client.close()
        if pool is not case_pool:
            await pool.close()


def watch_timers(history: WorkflowHistory) -> list[int]:
    """The event ids of the timers of the step watch's duration (`STUCK_AFTER`) started."""
    return [
        e.event_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED
        and e.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta() == STUCK_AFTER
    ]

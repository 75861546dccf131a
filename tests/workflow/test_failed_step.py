"""A step that keeps failing on a transient error waits, and says so (issue #14).

The acknowledgement cannot be mailed while the mail relay refuses connections: the request
does not fail and does not move on, it retries; after two minutes the `DsarFailedStep`
search attribute names the step (`notify:acknowledgement`, nothing about the person) and
Temporal's description shows the attempt and the last error (`dsar.pending`). Once the
relay is back, the e-mail goes out, the attribute is cleared and the request carries on.

On a time-skipping server of the test's own, with the real activities and a real SMTP
server started only halfway through.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from devstack.local_servers import MailCatcher, free_port
from dsar import search_attributes as sa
from dsar.config import Settings
from dsar.domain import Status
from dsar.pending import PendingStep, pending_with_errors
from tests.polling import eventually
from tests.workflow.conftest import request_on_workers, start_request_for, wait_for_status
from workflows.rights_request import RightsRequestWorkflow


@pytest.fixture
def env(own_time_skipping_env: WorkflowEnvironment) -> WorkflowEnvironment:
    return own_time_skipping_env


async def failed_step(handle: WorkflowHandle[Any, Any]) -> str | None:
    description = await handle.describe()
    return description.typed_search_attributes.get(sa.DSAR_FAILED_STEP)


async def test_an_acknowledgement_the_relay_refuses_is_shown_then_sent(
    env: WorkflowEnvironment,
    settings: Settings,
    workers_kwargs: dict[str, Any],
    case_pool: asyncpg.Pool,
    tmp_path: Path,
) -> None:
    client: Client = env.client
    relay = MailCatcher(tmp_path / "mail", free_port())  # not started: connections refused
    kwargs = workers_kwargs | {"settings": settings.model_copy(update={"smtp_url": relay.url})}

    async def start(queue: str) -> WorkflowHandle[Any, Any]:
        today = (await env.get_current_time()).date()
        return await start_request_for(client, queue, case_pool, today)

    try:
        async with request_on_workers(client, kwargs, start) as handle:

            async def shown_retrying() -> PendingStep | None:
                steps = await pending_with_errors(await handle.describe(), client.data_converter)
                found = [s for s in steps if s.retrying and s.step == "notify:acknowledgement"]
                return found[0] if found else None

            step: PendingStep = await eventually(
                shown_retrying, timeout=30, what="the acknowledgement retrying"
            )
            assert step.activity_type == "send_notification" and step.company == ""
            assert "ConnectionRefusedError" in step.last_error
            assert await failed_step(handle) is None  # not yet: a step may take a minute or two

            await env.sleep(timedelta(minutes=3))
            assert await failed_step(handle) == "notify:acknowledgement"
            state = await handle.query(RightsRequestWorkflow.state)
            assert state.status is Status.RECEIVED  # waiting, not failed and not moved on

            relay.start()
            await env.sleep(timedelta(minutes=2))
            await wait_for_status(handle, Status.IDENTITY)
            cleared: bool = await eventually(
                lambda: _cleared(handle), timeout=30, what="DsarFailedStep cleared"
            )
            assert cleared
            assert [m["X-DSAR-Kind"] for m in relay.messages()][:1] == ["acknowledgement"]
    finally:
        relay.stop()


async def _cleared(handle: WorkflowHandle[Any, Any]) -> bool:
    return await failed_step(handle) is None

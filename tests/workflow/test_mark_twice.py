"""A second `dsar mark-na` that reaches the request just after the company's child finished.

The first mark settles the company's last manual system, so its child workflow records
the decision and completes; until the request workflow has seen that completion, its
state still shows the system waiting, the validator lets a second mark through, and the
signal to the child finds no workflow. The race is made certain here: the control worker
is stopped while the child finishes, and started again with the second mark waiting, so
the child's completion and the second mark arrive in one workflow task.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from datetime import date
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.api.enums.v1 import WorkflowTaskFailedCause
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.worker import Worker

from dsar.domain import Status, company_workflow_id
from dsar.group import SystemKind
from dsar.messages.collection import SystemDecision, SystemStatus
from dsar.messages.identity import IdentityDecision
from dsar.task_queues import CONTROL_TASK_QUEUE
from tests.polling import eventually
from tests.workflow.conftest import manual_task_waiting, packaging_on, start_request_for, wait_for_status
from workers.company import company_worker
from workers.control import control_worker
from workflows.rights_request import RightsRequestWorkflow


def company(client: Client, http: httpx.AsyncClient, kw: dict[str, Any], code: str) -> Worker:
    found = next(c for c in kw["registry"].companies if c.code == code)
    return company_worker(
        client,
        company=found,
        settings=kw["settings"],
        http=http,
        ring=kw["ring"],
        registry=kw["registry"],
        case_pool=kw["case_pool"],
        sources={
            s.connection: kw["source_pools"][s.connection]
            for s in found.systems
            if s.connection and s.kind is SystemKind.POSTGRES
        },
        task_queue=found.task_queue + kw["suffix"],
    )


def control(client: Client, http: httpx.AsyncClient, kw: dict[str, Any]) -> Worker:
    return control_worker(
        client,
        settings=kw["settings"],
        ring=kw["ring"],
        registry=kw["registry"],
        pool=kw["case_pool"],
        task_queue=CONTROL_TASK_QUEUE + kw["suffix"],
        company_queue_suffix=kw["suffix"],
        http=http,
    )


async def idle(child: WorkflowHandle[Any, Any]) -> bool | None:
    """The child has asked the owner (an e-mail, sent by the control worker) and only waits."""
    raw = (await child.describe()).raw_description
    return True if not raw.pending_activities and not raw.HasField("pending_workflow_task") else None


@pytest.mark.timeout(180)
async def test_a_second_mark_after_the_company_finished_is_answered_already_settled(
    dev_env: Any, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool
) -> None:
    client: Client = dev_env.client
    async with AsyncExitStack() as stack:
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=10))
        for other in workers_kwargs["registry"].companies:
            if other.code != "gb01":
                await stack.enter_async_context(company(client, http, workers_kwargs, other.code))
        gb01 = company(client, http, workers_kwargs, "gb01")
        first_control = control(client, http, workers_kwargs)
        async with first_control:
            handle = await start_request_for(
                client, CONTROL_TASK_QUEUE + workers_kwargs["suffix"], case_pool, date(2026, 11, 23)
            )
            reference = handle.id.removeprefix("dsar-")
            async with gb01:  # identity searched everywhere; the child asks the manual system's owner
                await wait_for_status(handle, Status.IDENTITY)
                await handle.execute_update(
                    RightsRequestWorkflow.verify_identity,
                    IdentityDecision(actor="privacy-officer", method="customer_record", note="passport seen"),
                )
                system = await manual_task_waiting(client, reference)
                child = client.get_workflow_handle(company_workflow_id(reference, "gb01"))

                async def child_idle() -> bool | None:
                    return await idle(child)

                waits: bool = await eventually(child_idle, timeout=30, what="the child to wait for the owner")
                assert waits
            decision = SystemDecision(
                actor="privacy-officer", company="gb01", system=system, reason="binder searched: none"
            )
            # The company's worker is stopped: the mark reaches the child, which cannot act on it yet.
            await handle.execute_update(RightsRequestWorkflow.mark_not_applicable, decision)
        async with company(client, http, workers_kwargs, "gb01"):
            await child.result()  # settled and finished, while no worker runs the request
        assert (await child.describe()).status is WorkflowExecutionStatus.COMPLETED

        second = asyncio.create_task(
            handle.execute_update(
                RightsRequestWorkflow.mark_not_applicable,
                decision.model_copy(update={"reason": "asked twice"}),
            )
        )

        # The mark waits at the server (no worker runs the request) beside the child's result.
        await asyncio.sleep(2)
        async with (
            control(client, http, workers_kwargs),
            # The package is built before review opens.
            packaging_on(client, CONTROL_TASK_QUEUE + workers_kwargs["suffix"], **workers_kwargs),
            company(client, http, workers_kwargs, "gb01"),
        ):
            with pytest.raises(WorkflowUpdateFailedError) as refused:
                await second
            state = await wait_for_status(handle, Status.REVIEW)
            await handle.terminate("test done")
    cause = str(refused.value.cause)
    assert "already settled" in cause and f"gb01/{system}" in cause
    gb01_progress = next(c for c in state.companies if c.company == "gb01")
    settled = next(s for s in gb01_progress.systems if s.system == system)
    assert settled.status is SystemStatus.NOT_APPLICABLE and settled.note == "binder searched: none"
    # The request's own workflow task never failed on the second mark. The test's own
    # terminate can land while a task is in flight (review opening); the server then
    # records that task failed with FORCE_CLOSE_COMMAND, which says nothing about the mark.
    history = await handle.fetch_history()
    failed = [
        (WorkflowTaskFailedCause.Name(a.cause), a.failure.message)
        for a in (e.workflow_task_failed_event_attributes for e in history.events)
        if a.ByteSize() and a.cause != WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND
    ]
    assert not failed

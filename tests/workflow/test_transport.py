"""Transport: what does not come through the product's codec is refused, and the workflow
does not act on it (issue #15: a plain `temporal workflow update execute --input '{...}'`
extended a request and mailed the person the attacker's text).

The attacker here is a client with the stock data converter (plain JSON payloads, exactly
what the Temporal CLI sends) and no codec key; Updates are named by string as the CLI does.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg
import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.client import Client, WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.common import RawValue
from temporalio.converter import DataConverter, WorkflowSerializationContext
from temporalio.exceptions import FailureError

from dsar.codec import METADATA_WORKFLOW_ID, KeyRing, data_converter
from dsar.domain import Status
from dsar.messages.clock import ExtensionDecision
from dsar.messages.state import RequestState
from tests.workflow.conftest import running_workers, start_request_for, wait_for_status
from workflows.rights_request import RightsRequestWorkflow

EXTEND = "extend"  # as typed on the stock CLI: `--name extend`
FORGED = {"actor": "reviewer", "reason": "Attacker's text on the company's letterhead"}


def stock_client(client: Client) -> Client:
    """The same server, the SDK's default converter: no codec, plain JSON."""
    return Client(**{**client.config(), "data_converter": DataConverter.default})


async def sealed_for(ring: KeyRing, workflow_id: str, value: Any) -> Payload:
    """`value` sealed by the product's own converter, for the workflow `workflow_id`."""
    converter = data_converter(ring).with_context(
        WorkflowSerializationContext(namespace="default", workflow_id=workflow_id)
    )
    [payload] = await converter.encode([value])
    return payload


async def read_by_team(ring: KeyRing, workflow_id: str, error: BaseException | None) -> str:
    """The refusal as the attacker gets it (its type; the message is sealed like every failure
    message) and as the team reads it with the codec."""
    assert isinstance(error, FailureError) and error.failure is not None
    assert error.failure.application_failure_info.type == "RefusedPayload"
    failure = Failure()
    failure.CopyFrom(error.failure)
    converter = data_converter(ring).with_context(
        WorkflowSerializationContext(namespace="default", workflow_id=workflow_id)
    )
    return str(await converter.decode_failure(failure))


async def update_refusal(ring: KeyRing, handle: Any, argument: Any) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(EXTEND, argument)
    return await read_by_team(ring, handle.id, refused.value.cause)


async def test_plaintext_and_moved_updates_are_refused_and_not_acted_on(
    time_skipping_env: Any, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool, ring: KeyRing
) -> None:
    client = time_skipping_env.client
    async with running_workers(client, **workers_kwargs) as queue:
        handle = await start_request_for(client, queue, case_pool, date(2026, 11, 20))
        before: RequestState = await wait_for_status(handle, Status.IDENTITY)
        attacker = stock_client(client).get_workflow_handle(handle.id)

        # 1. Plain JSON, as the stock CLI sends it.
        assert "payload refused: it is not encrypted" in await update_refusal(ring, attacker, FORGED)

        # 2. A genuinely sealed decision, copied from another request's history.
        decision = ExtensionDecision(actor="reviewer", reason="Complex request: three companies")
        moved = await sealed_for(ring, "dsar-DSAR-2026-999999", decision)
        assert "belongs to another workflow" in await update_refusal(ring, attacker, RawValue(moved))

        # 3. The same, with the workflow id in the metadata edited to this request's.
        relabelled = Payload(metadata=dict(moved.metadata), data=moved.data)
        relabelled.metadata[METADATA_WORKFLOW_ID] = handle.id.encode()
        assert "does not open" in await update_refusal(ring, attacker, RawValue(relabelled))

        after: RequestState = await handle.query(RightsRequestWorkflow.state)
        assert not after.extended and after.due_on == before.due_on
        await handle.terminate(reason="test finished")


async def test_a_plaintext_start_fails_before_the_workflow_does_anything(
    time_skipping_env: Any, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool, ring: KeyRing
) -> None:
    client = time_skipping_env.client
    async with running_workers(client, **workers_kwargs) as queue:
        reference = "DSAR-2026-999998"
        forged = await stock_client(client).start_workflow(
            "RightsRequestWorkflow",
            {"reference": reference, "submission": {}, "submitted_by": "privacy-officer"},
            id=f"dsar-{reference}-forged",
            task_queue=queue,
        )
        with pytest.raises(WorkflowFailureError) as failed:
            await forged.result()
    assert "payload refused: it is not encrypted" in await read_by_team(ring, forged.id, failed.value.cause)
    assert await case_pool.fetchval("SELECT count(*) FROM requests WHERE reference = $1", reference) == 0

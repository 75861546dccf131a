"""Rotating the payload key: requests started under the old key finish under the new one."""

from __future__ import annotations

import base64
import json
from datetime import date
from typing import Any

import asyncpg
import pytest
from temporalio.client import Client

from dsar.codec import METADATA_KEY_ID, KeyRing, RefusedPayload, data_converter, new_key_file_text
from dsar.domain import Language, Status
from dsar.messages.identity import IdentityDecision
from dsar.messages.review import ReviewDecision
from dsar.messages.state import RequestState
from tests.workflow.conftest import reach_review, running_workers, start_request_for, wait_for_status
from workflows.rights_request import RightsRequestWorkflow


def payload_key_ids(history: Any) -> set[str]:
    """Every key id stamped on any payload anywhere in a history."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == METADATA_KEY_ID and isinstance(value, str):
                    found.add(base64.b64decode(value).decode())
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(json.loads(history.to_json()))
    return found


async def test_requests_started_under_the_old_key_finish_after_rotation(
    dev_env: Any, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool, key_text: str
) -> None:
    # The dev server: workers stop at once there, as they do in production.
    old_client: Client = dev_env.client
    async with running_workers(old_client, **workers_kwargs) as control_queue:
        handle = await start_request_for(
            old_client, control_queue, case_pool, date(2026, 11, 2), jurisdiction="GB", language=Language.SV
        )
        reference = handle.id.removeprefix("dsar-")
        await wait_for_status(handle, Status.IDENTITY)

    # Rotation: a new active key in front, the old one kept for reading.
    rotated = KeyRing.parse(new_key_file_text("test2").split("\n")[0] + "\n" + key_text)
    assert rotated.active_id == "test2"
    new_client = Client(**{**old_client.config(), "data_converter": data_converter(rotated)})
    async with running_workers(new_client, **{**workers_kwargs, "ring": rotated}):
        handle = new_client.get_workflow_handle_for(RightsRequestWorkflow.run, f"dsar-{reference}")
        await handle.execute_update(RightsRequestWorkflow.verify_identity, IdentityDecision(actor="reviewer"))
        await reach_review(new_client, handle)
        await handle.execute_update(RightsRequestWorkflow.approve, ReviewDecision(actor="reviewer"))
        # Delivered; the workflow then keeps the package for weeks (real time on this server).
        final: RequestState = await wait_for_status(handle, Status.DELIVERED)
        history = await handle.fetch_history()
        # The old key alone can no longer read what was written after the rotation.
        old_ring = KeyRing.parse(key_text)
        old_only = Client(**{**old_client.config(), "data_converter": data_converter(old_ring)})
        with pytest.raises(RefusedPayload, match="no key with id 'test2'"):
            await old_only.get_workflow_handle_for(RightsRequestWorkflow.run, f"dsar-{reference}").query(
                RightsRequestWorkflow.state
            )
        await handle.terminate(reason="test finished")

    assert final.status == Status.DELIVERED
    assert payload_key_ids(history) == {"test1", "test2"}

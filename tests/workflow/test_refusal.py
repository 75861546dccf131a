"""Art. 12(5): a manifestly unfounded or excessive request is refused with reasons and remedies."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg
import pytest
from botocore.exceptions import ClientError
from temporalio.client import WorkflowUpdateFailedError

from casestore.storage import s3_client
from dsar.domain import Language, Status
from dsar.messages.identity import IdentityDecision
from dsar.messages.review import RefusalDecision
from dsar.messages.state import RequestState
from tests.workflow.conftest import reach_review, running_workers, start_request_for, wait_for_status
from workflows.rights_request import RightsRequestWorkflow

REASON = "This is the twelfth identical request this month; each was answered in full."


async def refused_because(handle: Any, decision: RefusalDecision) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(RightsRequestWorkflow.refuse, decision)
    return str(refused.value.cause)


async def test_a_request_is_refused_during_identity_with_reasons_and_remedies(
    time_skipping_env: Any, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool, servers: Any
) -> None:
    client = time_skipping_env.client
    async with running_workers(client, **workers_kwargs) as queue:
        handle = await start_request_for(client, queue, case_pool, date(2026, 11, 20), language=Language.SV)
        reference = handle.id.removeprefix("dsar-")
        await wait_for_status(handle, Status.IDENTITY)
        assert "reviewer role" in await refused_because(
            handle, RefusalDecision(actor="intruder", reason=REASON)
        )
        assert "reason" in await refused_because(handle, RefusalDecision(actor="reviewer", reason="  "))
        await handle.execute_update(
            RightsRequestWorkflow.refuse, RefusalDecision(actor="reviewer", reason=REASON)
        )
        final: RequestState = await handle.result()
    assert final.status is Status.REJECTED and final.outcome == "refused_unfounded_or_excessive"
    assert not final.companies  # nothing was collected
    letters = [m for m in servers.mail.messages() if m["X-DSAR-Reference"] == reference]
    refusal = [m for m in letters if m["X-DSAR-Kind"] == "refusal"]
    assert len(refusal) == 1
    body = " ".join(refusal[0].get_content().split())  # wrapped at 72 columns
    assert REASON in body and "Integritetsskyddsmyndigheten" in body and "domstol" in body
    collected = await case_pool.fetchval(
        "SELECT count(*) FROM collected_records WHERE reference = $1", reference
    )
    assert collected == 0
    audit = await case_pool.fetch(
        "SELECT actor, action FROM audit_log WHERE reference = $1 ORDER BY seq", reference
    )
    assert ("reviewer", "status.rejected") in [(r["actor"], r["action"]) for r in audit]


async def test_a_request_is_refused_at_review_and_nothing_is_sent(
    time_skipping_env: Any, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool, servers: Any
) -> None:
    client = time_skipping_env.client
    async with running_workers(client, **workers_kwargs) as queue:
        handle = await start_request_for(client, queue, case_pool, date(2026, 11, 20), jurisdiction="GB")
        reference = handle.id.removeprefix("dsar-")
        await wait_for_status(handle, Status.IDENTITY)
        await handle.execute_update(
            RightsRequestWorkflow.verify_identity,
            IdentityDecision(actor="reviewer"),
        )
        await reach_review(client, handle)
        await handle.execute_update(
            RightsRequestWorkflow.refuse, RefusalDecision(actor="reviewer", reason=REASON)
        )
        final: RequestState = await handle.result()  # closed: nothing is packaged or sent
    assert final.status is Status.REJECTED and final.outcome == "refused_unfounded_or_excessive"
    assert final.package is None and final.approved_by is None
    refusal = [
        m for m in servers.mail.messages()
        if m["X-DSAR-Reference"] == reference and m["X-DSAR-Kind"] == "refusal"
    ]  # fmt: skip
    assert len(refusal) == 1 and "Information Commissioner" in refusal[0].get_content()
    assert "court" in refusal[0].get_content()
    # The package built for review was never approved to leave: it is deleted, object and all.
    package = await case_pool.fetchrow(
        "SELECT bucket, s3_key, deleted_at FROM artefacts WHERE reference = $1 AND kind = 'access-package'",
        reference,
    )
    assert package is not None and package["deleted_at"] is not None
    s3 = s3_client(workers_kwargs["settings"])
    with pytest.raises(ClientError):
        s3.head_object(Bucket=package["bucket"], Key=package["s3_key"])
    links = await case_pool.fetchval("SELECT count(*) FROM download_links WHERE reference = $1", reference)
    assert links == 0

"""An erasure request covers the person's earlier closed cases in the case store (Art. 17).

A person of the test's own makes an access request, which is delivered (closed) with its
collected rows, files and package; then an erasure request. When the erasure is done the
earlier case's copies are gone at once (no retention period waited for), its identifying
fields are pseudonymised, its accountability record and audit trail stay and verify, and
the outcome letter says so in the person's language.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from temporalio.client import Client

from casestore.audit import verify_chain
from dsar.config import Settings
from dsar.domain import Language, Right, Status
from dsar.group import GroupRegistry
from dsar.messages.actions import Action
from dsar.messages.review import ReviewDecision
from tests.conftest import record_history
from tests.rights_people import plant_person
from tests.workflow.conftest import reach_review, running_workers, wait_for_status
from tests.workflow.test_retention import copies
from tests.workflow.test_rights import confirm_manual, mails, start_rights, text_of, verify
from workflows.rights_request import RightsRequestWorkflow


@pytest.mark.timeout(900)
async def test_erasure_removes_the_copies_of_earlier_closed_cases_and_keeps_their_record(
    client: Client,
    workers_kwargs: dict[str, Any],
    case_pool: asyncpg.Pool,
    source_pools: dict[str, asyncpg.Pool],
    registry: GroupRegistry,
    settings: Settings,
    servers: Any,
) -> None:
    person = await plant_person(source_pools, registry)
    async with running_workers(client, **workers_kwargs) as queue:
        earlier_handle = await start_rights(client, queue, case_pool, person, [Right.ACCESS])
        earlier = earlier_handle.id.removeprefix("dsar-")
        await verify(earlier_handle)
        await reach_review(client, earlier_handle)
        await earlier_handle.execute_update(RightsRequestWorkflow.approve, ReviewDecision(actor="reviewer"))
        await wait_for_status(earlier_handle, Status.DELIVERED)
        before = await copies(case_pool, settings, earlier)
        assert before["records"] > 0 and before["package"] == 1
        lookup = await case_pool.fetchval("SELECT email_lookup FROM requests WHERE reference = $1", earlier)

        handle = await start_rights(client, queue, case_pool, person, [Right.ERASURE], language=Language.SV)
        reference = handle.id.removeprefix("dsar-")
        await verify(handle, "document_check")
        await reach_review(client, handle)
        await handle.execute_update(RightsRequestWorkflow.approve, ReviewDecision(actor="reviewer"))
        await confirm_manual(client, handle, Action.ERASE)
        await wait_for_status(handle, Status.DELIVERED)
        await record_history(handle, "rights_request_erasure_earlier_cases")
        await earlier_handle.terminate("test done")  # it would keep its (now deleted) package 30 days

    # The earlier case's copies went at once: rows, files, package.
    assert await copies(case_pool, settings, earlier) == {
        "records": 0, "checkpoints": 0, "recorded_files": 0, "files": 0, "package": 0,
    }  # fmt: skip
    row = await case_pool.fetchrow(
        "SELECT rights, received_on, status, subject_key_id, email_lookup, copies_purged_at, pseudonymised_at"
        " FROM requests WHERE reference = $1",
        earlier,
    )
    assert row is not None
    # Its record is reduced: the identity is gone, what was asked, decided and when stays.
    assert list(row["rights"]) == ["access"] and row["status"] == "delivered"
    assert row["subject_key_id"] == "pseudonymised" and row["email_lookup"] != lookup
    assert row["copies_purged_at"] is not None and row["pseudonymised_at"] is not None
    actions = [
        (r["action"], r["details"])
        for r in await case_pool.fetch(
            "SELECT action, details FROM audit_log WHERE reference = $1 ORDER BY seq", earlier
        )
    ]
    names = [a for a, _ in actions]
    assert "request.registered" in names and "status.delivered" in names
    assert names[-2:] == ["retention.copies_purged", "retention.pseudonymised"]
    assert actions[-2][1]["rule"] == "erasure" and actions[-2][1]["erasure"] == reference
    assert actions[-2][1]["records"] == before["records"]
    assert (
        await case_pool.fetchval(
            "SELECT outcome FROM earlier_case_erasures"
            " WHERE erasure_reference = $1 AND earlier_reference = $2",
            reference,
            earlier,
        )
        == "reduced"
    )
    async with case_pool.acquire() as conn:
        assert await verify_chain(conn) == []

    # The erasure's own case is untouched by it, and its letter tells the person.
    own = await case_pool.fetchval("SELECT subject_key_id FROM requests WHERE reference = $1", reference)
    assert own != "pseudonymised"
    (outcome,) = mails(servers, reference, "outcome")
    letter = " ".join(text_of(outcome).split())
    assert "Din radering gäller också din tidigare begäran till oss" in letter

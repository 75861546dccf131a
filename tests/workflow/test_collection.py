"""Fan-out across every connector kind, on the time-skipping server with the real activities.

The person's data sits in PostgreSQL systems, S3 objects, a SaaS API and a paper binder
searched by hand, spread over three companies; everything must arrive in the case store,
a system that breaks must be reported and be retryable, and a name-and-postcode match
must wait for a reviewer.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date, timedelta
from typing import Any

import asyncpg
import pytest
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError

from casestore.storage import s3_client, upload_key
from cli import start_request
from dsar.config import Settings
from dsar.domain import Channel, Language, RequestSubmission, Right, Status, SubjectIdentity
from dsar.messages.collection import SystemDecision, SystemStatus, UploadedFile
from dsar.messages.identity import IdentityDecision
from dsar.messages.review import MatchDecision, ReviewDecision
from dsar.messages.state import RequestState
from tests.polling import eventually
from tests.workflow.conftest import (
    astrid,
    manual_task_waiting,
    new_reference,
    reach_review,
    running_workers,
    wait_for_status,
)
from workflows.rights_request import RightsRequestWorkflow


async def start_astrid(
    client: Client,
    queue: str,
    pool: asyncpg.Pool,
    postcode: str | None = None,
    language: Language = Language.SV,
) -> WorkflowHandle[Any, Any]:
    person = astrid()
    reference = await new_reference(pool)
    submission = RequestSubmission(
        rights=[Right.ACCESS],
        subject=SubjectIdentity(
            full_name=person.full_name,
            email=person.email,
            phone=person.phone,
            customer_number=person.customer_number,
            postcode=postcode,
        ),
        language=language,
        jurisdiction="SE",
        channel=Channel.EMAIL,
        received_on=date(2026, 11, 20),
    )
    await start_request(client, reference, submission, "tester", task_queue=queue)
    handle = client.get_workflow_handle_for(RightsRequestWorkflow.run, f"dsar-{reference}")
    await wait_for_status(handle, Status.IDENTITY)
    await handle.execute_update(RightsRequestWorkflow.verify_identity, IdentityDecision(actor="reviewer"))
    return handle


def sheet_export() -> bytes:
    """What the events team typed in from the binder: two sign-ups of Astrid's."""
    person = astrid()
    out = io.StringIO()
    writer = csv.DictWriter(out, ["fair", "date", "name", "email", "interest"])
    writer.writeheader()
    writer.writerow(
        {"fair": "Elmia Subcontractor", "date": "2025-11-12", "name": person.full_name,
         "email": person.email, "interest": "Field Service demo"}
    )  # fmt: skip
    writer.writerow(
        {"fair": "Nordic ERP Days", "date": "2026-04-22", "name": person.full_name,
         "email": person.email, "interest": "Payroll"}
    )  # fmt: skip
    return out.getvalue().encode("utf-8")


async def refusal(handle: WorkflowHandle[Any, Any], update: Any, arg: Any) -> str:
    """The validator's message for an Update that must be refused."""
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(update, arg)
    return str(refused.value.cause)


async def results(pool: asyncpg.Pool, reference: str) -> dict[str, asyncpg.Record]:
    rows = await pool.fetch("SELECT * FROM collection_results WHERE reference = $1", reference)
    return {f"{r['company']}/{r['system']}": r for r in rows}


async def test_every_kind_of_system_arrives_in_the_case_store(
    time_skipping_env: Any,
    workers_kwargs: dict[str, Any],
    case_pool: asyncpg.Pool,
    servers: Any,
    settings: Settings,
) -> None:
    client = time_skipping_env.client
    servers.newsletter.throttle_next = 2  # the vendor rate-limits the first two calls
    calls_before = servers.newsletter.requests
    async with running_workers(client, **workers_kwargs) as queue:
        handle = await start_astrid(client, queue, case_pool)
        reference = handle.id.removeprefix("dsar-")

        # The manual system: the owner is asked, the export is uploaded the way the CLI does it.
        system = await manual_task_waiting(client, reference)
        assert system == "signups"

        async def task_mail() -> list[Any] | None:
            found = [
                m for m in servers.mail.messages()
                if m["X-DSAR-Reference"] == reference and m["X-DSAR-Kind"] == "manual_task"
            ]  # fmt: skip
            return found or None

        task = await eventually(task_mail, timeout=30, what="the manual task mail")
        assert len(task) == 1 and task[0]["To"] == "events-team@ecisolutions.com"
        assert astrid().email in task[0].get_content() and "dsar upload" in task[0].get_content()

        raw = sheet_export()
        sha = hashlib.sha256(raw).hexdigest()
        key = upload_key(reference, "gb01", "signups", sha)
        s3_client(settings).put_object(
            Bucket=settings.s3_bucket, Key=key, Body=raw, ServerSideEncryption="AES256"
        )
        upload = UploadedFile(
            actor="privacy-officer", company="gb01", system="signups", object_key=key, sha256=sha,
            bytes=len(raw), media_type="text/csv",
        )  # fmt: skip
        assert "reviewer role" in await refusal(
            handle, RightsRequestWorkflow.attach_upload, upload.model_copy(update={"actor": "intruder"})
        )
        await handle.execute_update(RightsRequestWorkflow.attach_upload, upload)
        state = await wait_for_status(handle, Status.REVIEW)
        await handle.terminate("test done")

    found = await results(case_pool, reference)
    collected = {k: r for k, r in found.items() if r["status"] == "collected" and r["records"] > 0}
    assert {"gb01/signups", "gb01/photos", "se01/recordings", "dk01/newsletter"} <= set(collected)
    assert {k.split("/")[0] for k in collected} == {"gb01", "se01", "dk01"}
    assert len(collected) >= 5
    assert collected["gb01/signups"]["records"] == 2 and collected["gb01/signups"]["kind"] == "manual"
    assert collected["gb01/photos"]["records"] == 3
    assert collected["se01/recordings"]["records"] == 2
    assert collected["dk01/newsletter"]["records"] == 1
    assert servers.newsletter.requests - calls_before >= 3  # two 429s, then the answer

    # Files were copied into the case bucket; the rows point at them, never at the source.
    s3 = s3_client(settings)
    files = await case_pool.fetch(
        "SELECT object_key, data FROM collected_records WHERE reference = $1 AND object_key IS NOT NULL"
        " AND system IN ('photos', 'recordings')",
        reference,
    )
    assert len(files) == 5
    for row in files:
        assert astrid().email not in row["object_key"] and astrid().phone not in row["object_key"]
        head = s3.head_object(Bucket=settings.s3_bucket, Key=row["object_key"])
        assert head["ContentLength"] > 0 and head.get("ServerSideEncryption") == "AES256"
    sheets = await case_pool.fetch(
        "SELECT data FROM collected_records WHERE reference = $1 AND system = 'signups'", reference
    )
    assert sorted(r["data"]["fair"] for r in sheets) == ["Elmia Subcontractor", "Nordic ERP Days"]

    # The parent workflow saw counts only, and the per-system view the CLI shows.
    gb01 = next(c for c in state.companies if c.company == "gb01")
    assert {s.system: s.status for s in gb01.systems}["signups"] is SystemStatus.COLLECTED
    audit = await case_pool.fetch("SELECT action FROM audit_log WHERE reference = $1", reference)
    assert "system.upload_attached" in [r["action"] for r in audit]


async def test_a_broken_system_is_reported_and_can_be_retried(
    time_skipping_env: Any, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool, servers: Any
) -> None:
    client = time_skipping_env.client
    real_token = servers.newsletter.token
    servers.newsletter.token = "rotated-by-the-vendor"  # our token no longer works: HTTP 401
    try:
        async with running_workers(client, **workers_kwargs) as queue:
            handle = await start_astrid(client, queue, case_pool)
            reference = handle.id.removeprefix("dsar-")
            state = await reach_review(client, handle)

            dk01 = next(c for c in state.companies if c.company == "dk01")
            assert dk01.failed_systems == ["newsletter"]
            failed = next(s for s in dk01.systems if s.system == "newsletter")
            assert failed.status is SystemStatus.FAILED and "401" in (failed.error or "")
            # The other systems' results are all there.
            assert dk01.records > 0 and all(c.done for c in state.companies)
            described = await handle.describe()
            assert "dk01/newsletter" in str(
                described.raw_description.workflow_execution_info.search_attributes
            )

            decision = SystemDecision(actor="reviewer", company="dk01", system="newsletter")
            assert "reviewer role" in await refusal(
                handle, RightsRequestWorkflow.retry_system, decision.model_copy(update={"actor": "intruder"})
            )
            assert "not applicable" in await refusal(
                handle,
                RightsRequestWorkflow.mark_not_applicable,
                decision.model_copy(update={"system": "crm", "reason": "no"}),
            )
            assert "reason" in await refusal(handle, RightsRequestWorkflow.mark_not_applicable, decision)

            servers.newsletter.token = real_token  # the team fixed the token
            after: RequestState = await handle.execute_update(RightsRequestWorkflow.retry_system, decision)
            dk01 = next(c for c in after.companies if c.company == "dk01")
            assert dk01.failed_systems == [] and dk01.rounds == 1
            assert next(s for s in dk01.systems if s.system == "newsletter").records == 1
            await handle.execute_update(RightsRequestWorkflow.approve, ReviewDecision(actor="reviewer"))
            final = await wait_for_status(handle, Status.DELIVERED)
            await handle.terminate("test done; the package's retention period is not under test")
    finally:
        servers.newsletter.token = real_token
    assert final.status is Status.DELIVERED
    row = (await results(case_pool, reference))["dk01/newsletter"]
    assert row["status"] == "collected" and row["records"] == 1


async def test_a_name_and_postcode_match_waits_for_a_reviewer(
    time_skipping_env: Any,
    workers_kwargs: dict[str, Any],
    case_pool: asyncpg.Pool,
    source_pools: dict[str, asyncpg.Pool],
) -> None:
    client = time_skipping_env.client
    gb01 = source_pools["GB01_DB"]
    person = astrid()
    postcode = await gb01.fetchval("SELECT postcode FROM crm_customers WHERE email = $1", person.email)
    assert postcode
    # An old customer record with a misspelt name and no e-mail: only name + postcode find it.
    row_id = await gb01.fetchval(
        "INSERT INTO crm_customers (customer_number, full_name, email, postcode, customer_since, status,"
        " created_at, updated_at) VALUES ('C-0900001', 'Astrid Lindquist', NULL, $1, '2015-03-01',"
        " 'churned', now(), now()) RETURNING id",
        postcode.lower().replace(" ", ""),
    )
    try:
        async with running_workers(client, **workers_kwargs) as queue:
            handle = await start_astrid(client, queue, case_pool, postcode=postcode)
            reference = handle.id.removeprefix("dsar-")
            state = await reach_review(client, handle)
            gb01_state = next(c for c in state.companies if c.company == "gb01")
            crm = next(s for s in gb01_state.systems if s.system == "crm")
            assert crm.fuzzy_matches == 1
            fuzzy = await case_pool.fetch(
                "SELECT id, matched_on, confidence, needs_confirmation, source_key FROM collected_records"
                " WHERE reference = $1 AND needs_confirmation",
                reference,
            )
            assert [(r["source_key"], r["matched_on"]) for r in fuzzy] == [(str(row_id), "name+postcode")]
            assert 0.85 <= fuzzy[0]["confidence"] < 1
            count = await handle.execute_update(
                RightsRequestWorkflow.confirm_matches,
                MatchDecision(actor="reviewer", record_ids=[fuzzy[0]["id"]], accept=True),
            )
            assert count == 1
            # Confirmed matches go into the package like any other record (packaging's query).
            await handle.terminate("test done")
    finally:
        await gb01.execute("DELETE FROM crm_customers WHERE id = $1", row_id)
    confirmed = await case_pool.fetchval(
        "SELECT confirmed_by FROM collected_records WHERE id = $1", fuzzy[0]["id"]
    )
    assert confirmed == "reviewer"


async def test_the_owner_of_a_manual_system_is_reminded_until_it_is_answered(
    own_time_skipping_env: Any, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool, servers: Any
) -> None:
    client = own_time_skipping_env.client
    async with running_workers(client, **workers_kwargs) as queue:
        handle = await start_astrid(client, queue, case_pool)
        reference = handle.id.removeprefix("dsar-")
        await manual_task_waiting(client, reference)
        await own_time_skipping_env.sleep(timedelta(days=8))  # past both reminder days (3 and 7)

        async def reminders() -> list[str] | None:
            found = sorted(
                m["X-DSAR-Occasion"]
                for m in servers.mail.messages()
                if m["X-DSAR-Reference"] == reference and m["X-DSAR-Kind"] == "manual_reminder"
            )
            return found if len(found) >= 2 else None

        assert await eventually(reminders, timeout=30, what="two manual reminders") == [
            "gb01/signups/day-3",
            "gb01/signups/day-7",
        ]
        reminder = next(
            m for m in servers.mail.messages()
            if m["X-DSAR-Reference"] == reference and m["X-DSAR-Kind"] == "manual_reminder"
        )  # fmt: skip
        assert reminder["To"] == "events-team@ecisolutions.com"
        await handle.execute_update(
            RightsRequestWorkflow.mark_not_applicable,
            SystemDecision(actor="reviewer", company="gb01", system="signups", reason="binder lost in 2024"),
        )
        state = await wait_for_status(handle, Status.REVIEW)
        gb01 = next(c for c in state.companies if c.company == "gb01")
        signups = next(s for s in gb01.systems if s.system == "signups")
        assert signups.status is SystemStatus.NOT_APPLICABLE and signups.note == "binder lost in 2024"
        await handle.terminate("test done")
    row = await case_pool.fetchrow(
        "SELECT status, decided_by, note FROM collection_results"
        " WHERE reference = $1 AND company = 'gb01' AND system = 'signups'",
        reference,
    )
    assert row is not None and tuple(row) == ("not_applicable", "reviewer", "binder lost in 2024")

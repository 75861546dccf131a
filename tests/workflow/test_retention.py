"""Retention of the case store's own copies, on the time-skipping server and the real stores.

Three of Astrid's requests run on one set of workers: one delivered and left alone, one
delivered and put on hold, one left open in review. A month and a day later (skipped)
the purge workflow runs, in batches of one: the delivered case's collected rows, its
files (recorded ones, a bulk part and an upload no row names) and its package are gone,
its accountability record and audit trail stay and the chain verifies; the held case and
the open case keep everything. Released, the held case goes on the next run; past the
accountability period the delivered case's identifying fields are pseudonymised.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import asyncpg
import pytest
from botocore.exceptions import ClientError
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle

from casestore.audit import verify_chain
from casestore.case_holds import HoldKind, place_hold, release_hold
from casestore.retention import RetentionState, retention_counts
from casestore.storage import reference_folder, s3_client, upload_key
from dsar.config import Settings
from dsar.domain import Status
from dsar.messages.identity import IdentityDecision
from dsar.messages.retention import PurgeInput, PurgeRunResult
from dsar.messages.review import ReviewDecision
from tests.conftest import record_history
from tests.workflow.conftest import reach_review, running_workers, start_request_for, wait_for_status
from workflows.purge import PurgeWorkflow
from workflows.rights_request import RightsRequestWorkflow


async def to_review(client: Client, queue: str, pool: asyncpg.Pool) -> WorkflowHandle[Any, Any]:
    handle = await start_request_for(client, queue, pool, date(2026, 11, 20))
    await wait_for_status(handle, Status.IDENTITY)
    await handle.execute_update(RightsRequestWorkflow.verify_identity, IdentityDecision(actor="reviewer"))
    await reach_review(client, handle)
    return handle


async def delivered(client: Client, queue: str, pool: asyncpg.Pool) -> str:
    handle = await to_review(client, queue, pool)
    await handle.execute_update(RightsRequestWorkflow.approve, ReviewDecision(actor="reviewer"))
    await wait_for_status(handle, Status.DELIVERED)
    return handle.id.removeprefix("dsar-")


async def copies(pool: asyncpg.Pool, settings: Settings, reference: str) -> dict[str, int]:
    """What the case holds: rows per table, and files in S3 (the recorded ones and its folders)."""
    s3 = s3_client(settings)
    keys = [
        r["object_key"]
        for r in await pool.fetch(
            "SELECT object_key FROM collected_records WHERE reference = $1 AND object_key IS NOT NULL",
            reference,
        )
    ]
    listed = [
        o["Key"]
        for prefix in folders(reference)
        for o in s3.list_objects_v2(Bucket=settings.s3_bucket, Prefix=prefix).get("Contents", [])
    ]
    package = await pool.fetchrow(
        "SELECT bucket, s3_key, deleted_at FROM artefacts WHERE reference = $1 AND kind = 'access-package'",
        reference,
    )
    return {
        "records": await pool.fetchval(
            "SELECT count(*) FROM collected_records WHERE reference = $1", reference
        ),
        "checkpoints": await pool.fetchval(
            "SELECT count(*) FROM collection_checkpoints WHERE reference = $1", reference
        ),
        "recorded_files": len(keys),
        "files": len(set(keys) | set(listed)),
        "package": int(package is not None and package["deleted_at"] is None and exists(s3, package)),
    }


def folders(reference: str) -> list[str]:
    """Where a case's collected files and uploads live (as the collectors and `dsar upload` write)."""
    return [f"collected/{reference_folder(reference)}/", f"uploads/{reference_folder(reference)}/"]


def exists(s3: Any, package: Any) -> bool:
    try:
        s3.head_object(Bucket=package["bucket"], Key=package["s3_key"])
    except ClientError:
        return False
    return True


def plant_unrecorded_files(settings: Settings, reference: str) -> None:
    """A bulk part a killed collector wrote but never recorded, and an upload never attached."""
    s3 = s3_client(settings)
    collected, _ = folders(reference)
    for key in (f"{collected}orphan/part-00007.csv", upload_key(reference, "gb01", "signups", "0" * 64)):
        s3.put_object(Bucket=settings.s3_bucket, Key=key, Body=b"email\nastrid@example.com\n")


async def purge(client: Client, queue: str, record_as: str | None = None, **given: Any) -> PurgeRunResult:
    handle = await client.start_workflow(
        PurgeWorkflow.run,
        PurgeInput(batch_size=1, **given),
        id=f"purge-test-{uuid.uuid4().hex[:8]}",
        task_queue=queue,
    )
    result: PurgeRunResult = await handle.result()
    if record_as:
        await record_history(handle, record_as)
    return result


async def trail(pool: asyncpg.Pool, reference: str) -> list[tuple[str, str, dict[str, Any]]]:
    rows = await pool.fetch(
        "SELECT actor, action, details FROM audit_log WHERE reference = $1 ORDER BY seq", reference
    )
    return [(r["actor"], r["action"], r["details"]) for r in rows]


@pytest.mark.timeout(900)
async def test_purge_removes_a_delivered_cases_copies_and_keeps_held_and_open_cases_whole(
    own_time_skipping_env: Any,
    workers_kwargs: dict[str, Any],
    case_pool: asyncpg.Pool,
    settings: Settings,
) -> None:
    env = own_time_skipping_env
    client: Client = env.client
    async with running_workers(client, **workers_kwargs) as queue:
        done = await delivered(client, queue, case_pool)
        held = await delivered(client, queue, case_pool)
        open_handle = await to_review(client, queue, case_pool)
        still_open = open_handle.id.removeprefix("dsar-")
        for reference in (done, held, still_open):
            plant_unrecorded_files(settings, reference)
        async with case_pool.acquire() as conn, conn.transaction():
            await place_hold(conn, held, HoldKind.COMPLAINT, "complaint to the authority 2026:41", "reviewer")

        before = {r: await copies(case_pool, settings, r) for r in (done, held, still_open)}
        for reference in (done, held, still_open):
            assert before[reference]["records"] > 0 and before[reference]["recorded_files"] > 0
            assert before[reference]["files"] == before[reference]["recorded_files"] + 2
        trail_before = await trail(case_pool, done)
        results_before = await case_pool.fetchval(
            "SELECT count(*) FROM collection_results WHERE reference = $1", done
        )

        # Nothing of these cases is due on the day of delivery. (The shared test database may
        # hold other tests' cases closed long enough ago; they may go, these may not.)
        early = await purge(client, queue)
        assert early.batches >= 2  # at least one batch per stage
        for reference in (done, held, still_open):
            assert await copies(case_pool, settings, reference) == before[reference]

        await env.sleep(timedelta(days=settings.retention_copies_days + 1))
        run = await purge(client, queue, record_as="purge_run")
        assert run.copies_purged >= 1 and run.batches >= 2  # one case per batch, then the last

        after = {r: await copies(case_pool, settings, r) for r in (done, held, still_open)}
        assert after[done] == {"records": 0, "checkpoints": 0, "recorded_files": 0, "files": 0, "package": 0}
        assert after[held] | {"package": 0} == before[held] | {"package": 0}
        assert after[still_open] == before[still_open]

        # The accountability record stays: the request, its per-system counts, its trail.
        request = await case_pool.fetchrow(
            "SELECT rights, received_on, status, closed_at, copies_purged_at, pseudonymised_at"
            " FROM requests WHERE reference = $1",
            done,
        )
        assert request is not None
        assert list(request["rights"]) == ["access"] and request["status"] == "delivered"
        assert request["copies_purged_at"] is not None and request["pseudonymised_at"] is None
        assert (
            await case_pool.fetchval("SELECT count(*) FROM collection_results WHERE reference = $1", done)
            == results_before
        )
        entries = await trail(case_pool, done)
        assert entries[: len(trail_before)] == trail_before
        (purged,) = [d for _, a, d in entries if a == "retention.copies_purged"]
        assert purged["records"] == before[done]["records"] and purged["files"] >= before[done]["files"]
        assert all(isinstance(v, int) for k, v in purged.items() if k not in ("rule", "run"))
        async with case_pool.acquire() as conn:
            assert await verify_chain(conn) == []
        for reference in (held, still_open):
            assert "retention.copies_purged" not in [a for _, a, _ in await trail(case_pool, reference)]

        # Released, the held case goes on the next run; a second run finds nothing more of it.
        async with case_pool.acquire() as conn, conn.transaction():
            await release_hold(conn, held, "admin")
        await purge(client, queue)
        assert (await copies(case_pool, settings, held))["records"] == 0
        again = await purge(client, queue)
        assert again.copies_purged == 0

        # Past the accountability period: identifying fields pseudonymised, statistics kept.
        lookup = await case_pool.fetchval("SELECT email_lookup FROM requests WHERE reference = $1", done)
        # The run's moment is given rather than skipped to: three years of the open request's
        # clock would be skipped through for nothing.
        as_of = await env.get_current_time() + timedelta(days=settings.retention_record_days)
        # Two batches per run: the run continues as new with its place and totals.
        final_handle = await client.start_workflow(
            PurgeWorkflow.run,
            PurgeInput(batch_size=1, batches_per_run=2, as_of=as_of),
            id=f"purge-test-{uuid.uuid4().hex[:8]}",
            task_queue=queue,
        )
        final: PurgeRunResult = await final_handle.result()
        first_run = client.get_workflow_handle(final_handle.id, run_id=final_handle.result_run_id)
        assert (await first_run.describe()).status is WorkflowExecutionStatus.CONTINUED_AS_NEW
        assert final.pseudonymised >= 2
        row = await case_pool.fetchrow(
            "SELECT subject_key_id, length(subject_ciphertext) AS sealed, email_lookup, rights, received_on,"
            " pseudonymised_at FROM requests WHERE reference = $1",
            done,
        )
        assert row is not None
        assert row["subject_key_id"] == "pseudonymised" and row["sealed"] == 0
        assert row["email_lookup"] != lookup and row["pseudonymised_at"] is not None
        assert row["received_on"] == request["received_on"] and list(row["rights"]) == ["access"]
        assert "retention.pseudonymised" in [a for _, a, _ in await trail(case_pool, done)]
        assert (await copies(case_pool, settings, still_open))["records"] == before[still_open]["records"]
        async with case_pool.acquire() as conn:
            assert await verify_chain(conn) == []
            counts = await retention_counts(conn)
        assert counts[RetentionState.PSEUDONYMISED] >= 2 and counts[RetentionState.OPEN] >= 1
        await open_handle.terminate("test done")

"""The purge's batch on the real case store and S3: resumable, idempotent, and hold-safe.

The activity runs in Temporal's activity environment (heartbeats and all) against a case
that closed 40 days ago, with collected files and a package in the case bucket.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from botocore.exceptions import ClientError
from temporalio.testing import ActivityEnvironment

from activities.retention import RetentionActivities
from casestore.case_holds import HoldKind, place_hold
from casestore.storage import artefact_id, package_key, reference_folder, s3_client
from dsar.codec import KeyRing
from dsar.config import Settings
from dsar.messages.retention import PurgeBatchInput, PurgeStage, RetentionRules
from tests.workflow.conftest import new_reference

pytestmark = pytest.mark.integration


async def closed_case_with_files(pool: asyncpg.Pool, settings: Settings) -> tuple[str, list[str]]:
    """A case delivered 40 days ago: two collected files, their rows, and its package."""
    reference = await new_reference(pool)
    await pool.execute(
        "INSERT INTO requests (reference, rights, jurisdiction, language, channel, received_on, status,"
        " subject_key_id, subject_ciphertext, email_lookup, closed_at)"
        " VALUES ($1, '{access}', 'SE', 'en', 'email', current_date - 70, 'delivered', 'k1', '\\x00',"
        " $2, now() - interval '40 days')",
        reference,
        f"test-{uuid.uuid4().hex}",
    )
    s3 = s3_client(settings)
    keys = [f"collected/{reference_folder(reference)}/{n}" for n in ("photo-1", "part-00001.csv")]
    for n, key in enumerate(keys):
        s3.put_object(Bucket=settings.s3_bucket, Key=key, Body=b"a copy")
        await pool.execute(
            "INSERT INTO collected_records (reference, company, system, source_table, source_key, category,"
            " matched_on, data, object_key) VALUES ($1, 'gb01', 'photos', 'objects', $2, 'photo', 'email',"
            " '{}'::jsonb, $3)",
            reference,
            str(n),
            key,
        )
    package = artefact_id(reference, "access-package")
    s3.put_object(Bucket=settings.s3_bucket, Key=package_key(package), Body=b"zip")
    await pool.execute(
        "INSERT INTO artefacts (id, reference, kind, bucket, s3_key, sha256, bytes)"
        " VALUES ($1, $2, 'access-package', $3, $4, $5, 3)",
        uuid.UUID(package),
        reference,
        settings.s3_bucket,
        package_key(package),
        "0" * 64,
    )
    return reference, [*keys, package_key(package)]


def present(settings: Settings, keys: list[str]) -> list[str]:
    s3 = s3_client(settings)
    found = []
    for key in keys:
        try:
            s3.head_object(Bucket=settings.s3_bucket, Key=key)
            found.append(key)
        except ClientError:
            pass
    return found


@pytest.fixture
def retention(case_pool: asyncpg.Pool, ring: KeyRing, settings: Settings) -> RetentionActivities:
    return RetentionActivities(case_pool, ring, s3_client(settings), settings.s3_bucket, RetentionRules())


async def purged_entries(pool: asyncpg.Pool, reference: str) -> list[Any]:
    return list(
        await pool.fetch(
            "SELECT details FROM audit_log WHERE reference = $1 AND action = 'retention.copies_purged'",
            reference,
        )
    )


async def test_a_batch_that_died_after_deleting_files_resumes_and_a_repeat_removes_nothing_more(
    case_pool: asyncpg.Pool, settings: Settings, retention: RetentionActivities
) -> None:
    reference, keys = await closed_case_with_files(case_pool, settings)
    # The first attempt deleted one file in S3, then its worker died before the rows went.
    s3_client(settings).delete_object(Bucket=settings.s3_bucket, Key=keys[0])
    batch = PurgeBatchInput(stage=PurgeStage.COPIES, as_of=datetime.now(UTC), batch_size=1000)

    first = await ActivityEnvironment().run(retention.purge_batch, batch)
    assert reference in first.cases
    assert present(settings, keys) == []
    assert (
        await case_pool.fetchval("SELECT count(*) FROM collected_records WHERE reference = $1", reference)
        == 0
    )
    assert await case_pool.fetchval(
        "SELECT deleted_at FROM artefacts WHERE reference = $1", reference
    ) is not None  # fmt: skip
    (entry,) = await purged_entries(case_pool, reference)
    assert entry["details"]["records"] == 2 and entry["details"]["packages"] == 1

    again = await ActivityEnvironment().run(retention.purge_batch, batch)
    assert reference not in again.cases
    assert len(await purged_entries(case_pool, reference)) == 1  # recorded once


async def test_a_hold_placed_after_the_batch_chose_the_case_keeps_it_whole(
    case_pool: asyncpg.Pool, settings: Settings, retention: RetentionActivities
) -> None:
    reference, keys = await closed_case_with_files(case_pool, settings)
    async with case_pool.acquire() as conn, conn.transaction():
        await place_hold(conn, reference, HoldKind.CLAIM, "claim 2026:9", "reviewer")
    # What the batch does for each case it chose before the hold landed.
    assert await retention.purge_copies(reference, {"rule": "copies"}) is None
    assert present(settings, keys) == keys
    assert (
        await case_pool.fetchval("SELECT count(*) FROM collected_records WHERE reference = $1", reference)
        == 2
    )
    assert await purged_entries(case_pool, reference) == []

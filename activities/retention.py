"""Retention's side effects: a batch of the purge, and an erasure's earlier cases.

Each case is handled in one transaction that first locks the case's row and checks it is
still closed and not held (`casestore.retention.lock_removable`), then deletes its files
in S3, its rows, stamps it and appends one audit entry with counts, never values. A purge
that dies half-way leaves every case either done (stamped, not due again) or untouched
but for files that were going anyway; the next attempt deletes what is left. The audit
entry's idempotency key makes a retried case recorded once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

import asyncpg
import structlog
from temporalio import activity

from activities._heartbeat import beating
from casestore.audit import append_audit
from casestore.db import Conn
from casestore.retention import (
    PSEUDONYM_LABEL,
    case_copies,
    due_cases,
    earlier_cases_outcome,
    earlier_closed_cases,
    email_lookup,
    lock_removable,
    record_earlier_case,
    reduce_record,
    remove_copies,
)
from casestore.retention_files import copy_prefixes, delete_keys, listed_keys, record_prefixes
from dsar.codec import KeyRing
from dsar.messages.activity_names import Activity
from dsar.messages.retention import (
    EarlierCasesResult,
    PurgeBatchInput,
    PurgeBatchResult,
    PurgeStage,
    RetentionRules,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = structlog.get_logger(__name__)

ACTOR = "dsar-retention"


@dataclass(frozen=True)
class Removed:
    """What one case lost: rows and files, counted."""

    records: int = 0
    files: int = 0


class RetentionActivities:
    def __init__(
        self,
        pool: asyncpg.Pool,
        ring: KeyRing,
        s3: S3Client,
        bucket: str,
        rules: RetentionRules,
        batch_size: int = 50,
    ) -> None:
        self._batch_size = batch_size
        self._pool = pool
        self._ring = ring
        self._s3 = s3
        self._bucket = bucket
        self._rules = rules

    @activity.defn(name=Activity.PURGE_BATCH)
    async def purge_batch(self, inp: PurgeBatchInput) -> PurgeBatchResult:
        """The next cases due for `inp.stage`, each removed or reduced; heartbeats per case."""
        async with self._pool.acquire() as conn:
            size = inp.batch_size or self._batch_size
            due = await due_cases(conn, inp.stage, inp.as_of, self._rules, inp.after, size)
        result = PurgeBatchResult(next_after=due[-1] if due else inp.after, last=len(due) < size)
        cause = {"rule": inp.stage.value, "run": inp.run_id}
        async with beating():
            for reference in due:
                if inp.stage is PurgeStage.COPIES:
                    removed = await self.purge_copies(reference, cause)
                else:
                    removed = await self.reduce(reference, cause)
                if removed is not None:
                    result.cases.append(reference)
                    result.records += removed.records
                    result.files += removed.files
        log.info(
            "retention.batch",
            stage=inp.stage.value,
            cases=len(result.cases),
            records=result.records,
            files=result.files,
        )
        return result

    @activity.defn(name=Activity.ERASE_EARLIER_CASES)
    async def erase_earlier_cases(self, reference: str) -> EarlierCasesResult:
        """Art. 17: the erasure covers the person's earlier closed cases. Their copies go now and
        their record is reduced (pseudonymised); a case under a hold stays whole. Which case
        went which way is recorded against the erasure, so a retry (when the reduced cases no
        longer match the person) answers the same."""
        async with self._pool.acquire() as conn:
            earlier = await earlier_closed_cases(conn, reference)
        cause = {"rule": "erasure", "erasure": reference}
        async with beating():
            for earlier_reference, held in earlier:
                outcome = "held"
                if not held:
                    gone = await self.purge_copies(earlier_reference, cause)
                    reduced = gone is not None and await self.reduce(earlier_reference, cause) is not None
                    outcome = "reduced" if reduced else "held"
                async with self._pool.acquire() as conn:
                    await record_earlier_case(conn, reference, earlier_reference, outcome)
        async with self._pool.acquire() as conn:
            counts = await earlier_cases_outcome(conn, reference)
            await append_audit(
                conn,
                reference=reference,
                actor=ACTOR,
                action="retention.earlier_cases",
                details=counts,
                idempotency_key=f"{reference}:retention:earlier-cases",
            )
        return EarlierCasesResult(**counts)

    async def purge_copies(self, reference: str, cause: dict[str, str]) -> Removed | None:
        """Remove one case's copies; None if it is open or held now (it is left whole)."""
        async with self._pool.acquire() as conn, conn.transaction():
            if not await lock_removable(conn, reference, PurgeStage.COPIES):
                return None
            if await conn.fetchval("SELECT copies_purged_at FROM requests WHERE reference = $1", reference):
                return Removed()  # an erasure or an earlier attempt got here first
            copies = await case_copies(conn, reference)
            files = await asyncio.to_thread(
                self._delete_copy_files,
                reference,
                copies.object_keys,
                [(p.bucket, p.key) for p in copies.packages],
            )
            await remove_copies(conn, reference)
            await self._audit(
                conn,
                reference,
                "retention.copies_purged",
                {
                    **cause,
                    "records": copies.records,
                    "files": files,
                    "packages": len(copies.packages),
                    "checkpoints": copies.checkpoints,
                    "name_fingerprints": copies.name_fingerprints,
                },
            )
        return Removed(records=copies.records, files=files)

    async def reduce(self, reference: str, cause: dict[str, str]) -> Removed | None:
        """Pseudonymise one case's record; None if it is open, held or restricted now."""
        async with self._pool.acquire() as conn, conn.transaction():
            if not await lock_removable(conn, reference, PurgeStage.RECORD):
                return None
            lookup = await email_lookup(conn, reference)
            if await conn.fetchval("SELECT pseudonymised_at FROM requests WHERE reference = $1", reference):
                return Removed()
            files = await asyncio.to_thread(
                lambda: delete_keys(
                    self._s3, self._bucket, listed_keys(self._s3, self._bucket, record_prefixes(reference))
                )
            )
            cleared = await reduce_record(conn, reference, self._pseudonym(lookup))
            await self._audit(
                conn,
                reference,
                "retention.pseudonymised",
                {**cause, "sealed_values": cleared, "files": files},
            )
        return Removed(files=files)

    def _pseudonym(self, lookup: str) -> str:
        return self._ring.lookup_hash(PSEUDONYM_LABEL + lookup)

    def _delete_copy_files(self, reference: str, known: list[str], packages: list[tuple[str, str]]) -> int:
        listed = listed_keys(self._s3, self._bucket, copy_prefixes(reference))
        count = delete_keys(self._s3, self._bucket, [*known, *listed])
        for bucket, key in packages:
            count += delete_keys(self._s3, bucket, [key])
        return count

    async def _audit(self, conn: Conn, reference: str, action: str, details: dict[str, object]) -> None:
        await append_audit(
            conn,
            reference=reference,
            actor=ACTOR,
            action=action,
            details=details,
            idempotency_key=f"{reference}:{action}",
        )

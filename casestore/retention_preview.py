"""What the next purge would remove, case by case, counted: `dsar purge --dry-run`.

The same selection the purge's batches make (`casestore.retention.due_cases`) and the same
files it would delete (`casestore.retention_files`), read without changing anything.
Counts and references only: a preview never shows what a record or a file holds.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from casestore.db import Conn
from casestore.retention import case_copies, due_cases
from casestore.retention_files import copy_prefixes, listed_keys, record_prefixes
from dsar.messages.retention import PurgeStage, RetentionRules

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_PAGE = 500


@dataclass(frozen=True)
class CasePreview:
    """One case the next run would take, and how much it would remove from it."""

    reference: str
    stage: PurgeStage
    records: int
    files: int
    packages: int
    sealed_values: int


async def preview(
    conn: Conn, s3: S3Client, bucket: str, rules: RetentionRules, as_of: datetime
) -> list[CasePreview]:
    """Every case due at `as_of`, copies first, then records to pseudonymise."""
    found: list[CasePreview] = []
    for stage in (PurgeStage.COPIES, PurgeStage.RECORD):
        after = ""
        while True:
            page = await due_cases(conn, stage, as_of, rules, after, _PAGE, copies_first=False)
            for reference in page:
                found.append(await _case(conn, s3, bucket, stage, reference))
            if len(page) < _PAGE:
                break
            after = page[-1]
    return found


async def _case(conn: Conn, s3: S3Client, bucket: str, stage: PurgeStage, reference: str) -> CasePreview:
    if stage is PurgeStage.COPIES:
        copies = await case_copies(conn, reference)
        listed = await asyncio.to_thread(listed_keys, s3, bucket, copy_prefixes(reference))
        files = len(set(copies.object_keys) | set(listed)) + len(copies.packages)
        return CasePreview(reference, stage, copies.records, files, len(copies.packages), 0)
    sealed = await conn.fetchval(
        "SELECT count(*) FROM executed_changes WHERE reference = $1"
        " AND (before_sealed IS NOT NULL OR after_sealed IS NOT NULL)",
        reference,
    )
    listed = await asyncio.to_thread(listed_keys, s3, bucket, record_prefixes(reference))
    return CasePreview(reference, stage, 0, len(listed), 0, int(sealed))

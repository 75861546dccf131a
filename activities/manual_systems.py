"""Manual systems: what a person searched by hand and uploaded with `dsar upload`.

The CLI puts the export in the case bucket first (claim-check) and the workflow only
carries its key and checksum. Here it becomes records: one per row of a CSV, one per
object of a JSON list, or one describing the file for anything else (a scan, a PDF).
"""

from __future__ import annotations

import asyncio
import codecs
import csv
import hashlib
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import asyncpg
from temporalio import activity

from activities._heartbeat import heartbeating
from activities.collection import (
    RegistryLookup,
    permanent,
    record_row,
    replace_records,
)
from dsar.group import GroupRegistry
from dsar.messages.activity_names import Activity
from dsar.messages.collection import CollectSystemInput, IngestUploadInput, SystemResult, SystemStatus

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MAX_ROWS = 1_000_000


def parse_export(raw: bytes, media_type: str) -> Iterator[dict[str, Any]] | None:
    """Rows of a CSV or JSON export; None when the file is not tabular."""
    text_types = ("text/csv", "application/json", "application/vnd.ms-excel")
    if media_type not in text_types:
        return None
    text = codecs.decode(raw, "utf-8-sig")
    if media_type == "application/json":
        data = json.loads(text)
        items = data if isinstance(data, list) else [data]
        return (item if isinstance(item, dict) else {"value": item} for item in items)
    return (dict(row) for row in csv.DictReader(text.splitlines()))


class ManualSystemActivities:
    def __init__(
        self, case_pool: asyncpg.Pool, registry: GroupRegistry, s3: S3Client, case_bucket: str
    ) -> None:
        self._case_pool = case_pool
        self._lookup = RegistryLookup(registry)
        self._s3 = s3
        self._bucket = case_bucket

    @activity.defn(name=Activity.INGEST_UPLOAD)
    @heartbeating
    async def ingest_upload(self, inp: IngestUploadInput) -> SystemResult:
        upload = inp.upload
        system = self._lookup.system(upload.company, upload.system)
        raw = await asyncio.to_thread(self._read, upload.object_key)
        if hashlib.sha256(raw).hexdigest() != upload.sha256:
            raise permanent("the uploaded file does not match its checksum")
        target = CollectSystemInput(reference=inp.reference, company=upload.company, system=upload.system)
        category = system.categories[0].value
        try:
            parsed = parse_export(raw, upload.media_type)
            rows = [
                record_row(
                    target,
                    table="upload",
                    key=f"{upload.sha256[:12]}:{n}",
                    category=category,
                    matched_on="manual",
                    data=row,
                    object_key=upload.object_key,
                )
                for n, row in enumerate(parsed or [], start=1)
                if n <= MAX_ROWS
            ]
        except (ValueError, csv.Error):
            raise permanent("the uploaded export could not be read as its declared type") from None
        if parsed is None:
            rows = [
                record_row(
                    target,
                    table="upload",
                    key=upload.sha256[:12],
                    category=category,
                    matched_on="manual",
                    data={"file": "export", "bytes": upload.bytes, "media_type": upload.media_type},
                    object_key=upload.object_key,
                )
            ]
        result = SystemResult(
            company=upload.company,
            system=upload.system,
            name=system.name,
            kind=system.kind.value,
            status=SystemStatus.COLLECTED,
            records=len(rows),
            bytes=upload.bytes,
            categories=[category],
            note=f"uploaded by {upload.actor}",
        )
        return await replace_records(self._case_pool, inp.reference, result, rows, upload.actor)

    def _read(self, key: str) -> bytes:
        return self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()

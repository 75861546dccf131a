"""The S3 connector: documents and media a system keeps per person (photos, call recordings).

Files never pass through the worker or the workflow: each one is copied inside S3 into the
case bucket under a key made from hashes, and the case store gets one row describing it.
The source layout is either a folder per person (`<prefix>/<key value>/...`) or an index
object mapping key values to object keys.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import asyncpg
from botocore.exceptions import ClientError
from temporalio import activity

from activities._heartbeat import heartbeating
from activities.case_store import load_subject
from activities.collection import (
    RegistryLookup,
    configured,
    guarded,
    permanent,
    record_row,
    replace_records,
)
from dsar.codec import KeyRing
from dsar.group import GroupRegistry, ObjectLayout, System
from dsar.messages.activity_names import Activity
from dsar.messages.collection import CollectSystemInput, SystemResult, SystemStatus

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def parse_location(url: str) -> tuple[str, str]:
    """`s3://bucket/prefix` from the connection setting, as (bucket, prefix without slashes)."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise permanent("an s3 system's connection must look like s3://bucket/prefix")
    return parts.netloc, parts.path.strip("/")


def collected_key(inp: CollectSystemInput, source_key: str) -> str:
    """Case-bucket key from hashes only: source keys can hold e-mail addresses."""
    digest = hashlib.sha256(f"{inp.company}/{inp.system}/{source_key}".encode()).hexdigest()
    ref = hashlib.sha256(inp.reference.encode()).hexdigest()[:32]
    return f"collected/{ref}/{digest}"


class S3Collector:
    def __init__(
        self,
        case_pool: asyncpg.Pool,
        ring: KeyRing,
        registry: GroupRegistry,
        s3: S3Client,
        case_bucket: str,
        connections: dict[str, str],
    ) -> None:
        self._case_pool = case_pool
        self._ring = ring
        self._lookup = RegistryLookup(registry)
        self._s3 = s3
        self._bucket = case_bucket
        self._connections = connections

    @activity.defn(name=Activity.COLLECT_S3)
    @heartbeating
    async def collect_s3_objects(self, inp: CollectSystemInput) -> SystemResult:
        system = self._lookup.system(inp.company, inp.system)
        return await guarded(inp, lambda: self._collect(inp, system), ())

    async def _collect(self, inp: CollectSystemInput, system: System) -> SystemResult:
        assert system.objects is not None and system.connection is not None
        location = configured(self._connections, system)
        bucket, prefix = parse_location(location)
        async with self._case_pool.acquire() as case:
            subject = await load_subject(case, self._ring, inp.reference)
        value = subject.search_keys().get(system.objects.key)
        sources = await asyncio.to_thread(self._find, bucket, prefix, system, value) if value else []
        rows = []
        total = 0
        for obj in sources:
            target = collected_key(inp, obj["Key"])
            await asyncio.to_thread(self._copy, bucket, obj["Key"], target)
            total += int(obj["Size"])
            rows.append(
                record_row(
                    inp,
                    table="objects",
                    key=obj["Key"],
                    category=system.objects.category.value,
                    matched_on=system.objects.key.value,
                    data={
                        "file": obj["Key"].rsplit("/", 1)[-1],
                        "bytes": int(obj["Size"]),
                        "last_modified": obj["LastModified"].isoformat() if obj.get("LastModified") else None,
                    },
                    object_key=target,
                )
            )
            activity.heartbeat(len(rows))
        result = SystemResult(
            company=inp.company,
            system=inp.system,
            name=system.name,
            kind=system.kind.value,
            status=SystemStatus.COLLECTED,
            records=len(rows),
            bytes=total,
            categories=[system.objects.category.value] if rows else [],
        )
        return await replace_records(self._case_pool, inp.reference, result, rows)

    def _find(self, bucket: str, prefix: str, system: System, value: str) -> list[dict[str, Any]]:
        assert system.objects is not None
        base = f"{prefix}/" if prefix else ""
        try:
            if system.objects.layout is ObjectLayout.PER_PERSON:
                found: list[dict[str, Any]] = []
                paginator = self._s3.get_paginator("list_objects_v2")
                for page in paginator.paginate(Bucket=bucket, Prefix=f"{base}{value}/"):
                    found.extend(dict(o) for o in page.get("Contents", []))
                return found
            body = self._s3.get_object(Bucket=bucket, Key=f"{base}{system.objects.index}")["Body"].read()
            index = json.loads(body)
            keys = index.get(value, []) if isinstance(index, dict) else []
            found = []
            for key in keys:
                head = self._s3.head_object(Bucket=bucket, Key=f"{base}{key}")
                found.append({"Key": f"{base}{key}", "Size": head["ContentLength"], "LastModified": None})
            return found
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchBucket", "AccessDenied", "NoSuchKey", "404", "403"):
                raise permanent(f"S3 {code} in {system.code}") from None
            raise

    def _copy(self, bucket: str, key: str, target: str) -> None:
        self._s3.copy_object(
            Bucket=self._bucket,
            Key=target,
            CopySource={"Bucket": bucket, "Key": key},
            ServerSideEncryption="AES256",
            MetadataDirective="REPLACE",
        )

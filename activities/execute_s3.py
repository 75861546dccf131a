"""The S3 connector for the rights other than access: erase files, flag them restricted.

The person's files are found exactly as collection finds them: the folder named by the
identity key (`per_person`), or the index object's entry for it (`index`).

Erasure (Art. 17):
- `per_person`: every file in the person's folder is deleted.
- `index`: a picture only the person appears in is deleted. A picture that also shows
  other people is kept, because erasing it would erase their data too (Art. 17(4) read
  with the rights and freedoms of others); the person is taken out of the index, so the
  picture no longer links to them, and the letter says how many were kept and why.
  The index is written with the ETag it was read with (`If-Match`), so an erasure never
  loses another request's concurrent index change: on a conflict it reads and decides again.
  Objects are deleted before the index is written: a worker that dies in between leaves
  the index pointing at files already gone, and the retry deletes (idempotently) and
  counts them again, then writes the index.
- A legal hold keeps everything; a registry retention rule for the system's category keeps
  the files modified since its cutoff (the newest one's date plus the years says until when).
- `changed` counts the files deleted. A retry after the result was saved finds nothing and
  reports 0 changed, which `save_action_result` does not let overwrite the first result.

Restriction (Art. 18): each of the person's files gets the object tag
`dsar-restricted=true` (other tags are kept); lifting removes that tag only. `changed`
counts the person's files that carry the tag (restrict) or no longer carry it (lift) after
the action, so a retry after a crash reports the same figure. A picture shared with
others carries one tag for all of them: lifting one person's restriction lifts it on the
shared picture too; the privacy team must check other open restrictions before lifting.

Rectification, consent withdrawal and marketing suppression do not apply to files: the
result is NOT_APPLICABLE with a note.

Versioned buckets: a delete leaves a delete marker; older versions must be expired by the
bucket's lifecycle rules (the same holds for earlier versions of the index object).

Object keys of per-person folders contain the key value (a phone number, an e-mail
address): they are never logged or put into error messages; only codes and counts are.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import asyncpg
import structlog
from botocore.exceptions import ClientError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities._heartbeat import heartbeating
from activities.actions import record_executed, retention_cutoff, retention_rules
from activities.case_store import load_subject
from activities.collect_s3 import parse_location
from activities.collection import RegistryLookup, configured, guarded, permanent
from dsar.codec import KeyRing
from dsar.group import Company, GroupRegistry, ObjectLayout, System
from dsar.messages.actions import Action, ActionResult, ActionStatus, ExecuteSystemInput, KeptData
from dsar.messages.activity_names import Activity

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import TagTypeDef

log = structlog.get_logger(__name__)

RESTRICTED_TAG = "dsar-restricted"
SHARED_BASIS = "other people's rights: the picture also shows others"
INDEX_ATTEMPTS = 5
DELETE_BATCH = 1000
_PERMANENT_CODES = ("NoSuchBucket", "AccessDenied", "NoSuchKey", "404", "403", "InvalidAccessKeyId")


@dataclass
class Found:
    """The person's files: full object keys with their last-modified dates."""

    objects: dict[str, datetime | None]
    # Listed in the index but no longer there (an earlier attempt deleted them).
    gone: set[str] = field(default_factory=set)
    # index layout: the index as read, its ETag, and the index-relative keys of the person.
    index: dict[str, list[str]] | None = None
    etag: str | None = None
    relative: list[str] | None = None


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class S3Executor:
    def __init__(
        self,
        case_pool: asyncpg.Pool,
        ring: KeyRing,
        registry: GroupRegistry,
        s3: S3Client,
        connections: Mapping[str, str],
    ) -> None:
        self._case_pool = case_pool
        self._ring = ring
        self._lookup = RegistryLookup(registry)
        self._s3 = s3
        self._connections = connections

    @activity.defn(name=Activity.EXECUTE_S3)
    @heartbeating
    async def execute_s3_objects(self, inp: ExecuteSystemInput) -> ActionResult:
        company = self._lookup.company(inp.company)
        system = self._lookup.system(inp.company, inp.system)
        return await guarded(inp, lambda: self._execute(inp, company, system), (), event="action")

    async def _execute(self, inp: ExecuteSystemInput, company: Company, system: System) -> ActionResult:
        if system.objects is None:
            raise permanent(f"{inp.company}/{inp.system} is not an s3 system")
        result = ActionResult(
            company=inp.company,
            system=inp.system,
            name=system.name,
            kind=system.kind.value,
            action=inp.action,
            status=ActionStatus.DONE,
        )
        if inp.action not in (Action.ERASE, Action.RESTRICT, Action.LIFT_RESTRICTION):
            result = result.model_copy(
                update={
                    "status": ActionStatus.NOT_APPLICABLE,
                    "note": f"files cannot be subject to {inp.action.value}: the system holds no"
                    " fields or consent flags",
                }
            )
            return await record_executed(self._case_pool, inp, result)
        bucket, prefix = parse_location(configured(self._connections, system))
        base = f"{prefix}/" if prefix else ""
        async with self._case_pool.acquire() as case:
            subject = await load_subject(case, self._ring, inp.reference)
        value = subject.search_keys().get(system.objects.key)
        if inp.action is Action.ERASE:
            result = await self._erase(inp, company, system, bucket, base, value, result)
        else:
            found = await self._find(bucket, base, system, value)
            restrict = inp.action is Action.RESTRICT
            changed = 0
            for key in found.objects:
                if key in found.gone:
                    continue
                if await asyncio.to_thread(self._set_tag, bucket, key, restrict, system):
                    changed += 1
                activity.heartbeat(changed)
            result = result.model_copy(update={"changed": changed})
        return await record_executed(self._case_pool, inp, result)

    async def _erase(
        self,
        inp: ExecuteSystemInput,
        company: Company,
        system: System,
        bucket: str,
        base: str,
        value: str | None,
        result: ActionResult,
    ) -> ActionResult:
        assert system.objects is not None
        category = system.objects.category.value
        for _ in range(INDEX_ATTEMPTS):
            found = await self._find(bucket, base, system, value)
            if inp.legal_hold is not None:
                held = len(found.objects) - len(found.gone)
                basis = f"legal hold: {inp.legal_hold}"
                kept = [KeptData(category=category, items=held, legal_basis=basis)] if held else []
                return result.model_copy(update={"kept": kept})
            shared: set[str] = set()
            if found.index is not None and found.relative is not None:
                others = {k for v, keys in found.index.items() if v != value for k in keys}
                shared = {f"{base}{k}" for k in found.relative if k in others}
            retained, basis, until = self._retained(inp, company, system, found, shared)
            doomed = [k for k in found.objects if k not in shared and k not in retained]
            for start in range(0, len(doomed), DELETE_BATCH):
                await asyncio.to_thread(self._delete, bucket, doomed[start : start + DELETE_BATCH], system)
                activity.heartbeat(start)
            if found.index is not None and value is not None and found.relative:
                left = [k for k in found.relative if f"{base}{k}" in retained]
                index = {v: keys for v, keys in found.index.items() if v != value}
                if left:
                    index[value] = left
                if not await asyncio.to_thread(self._write_index, bucket, base, system, index, found.etag):
                    continue  # someone else changed the index meanwhile: read and decide again
            kept = []
            if shared:
                kept.append(KeptData(category=category, items=len(shared), legal_basis=SHARED_BASIS))
            if retained:
                kept.append(KeptData(category=category, items=len(retained), legal_basis=basis, until=until))
            note = (
                f"{len(shared)} picture(s) kept: they also show other people; the person was"
                " removed from their index entries"
                if shared
                else None
            )
            return result.model_copy(update={"changed": len(doomed), "kept": kept, "note": note})
        raise ApplicationError(f"the index of {inp.company}/{inp.system} kept changing", type="IndexConflict")

    def _retained(
        self, inp: ExecuteSystemInput, company: Company, system: System, found: Found, shared: set[str]
    ) -> tuple[set[str], str, date | None]:
        """Files a retention duty keeps: modified on or after the longest rule's cutoff."""
        assert system.objects is not None
        rules = retention_rules(system, company, system.objects.category.value, inp.jurisdiction)
        chosen = retention_cutoff(rules, datetime.now(UTC).date())
        if chosen is None:
            return set(), "", None
        cutoff, rule = chosen
        # A file of unknown date is kept: the duty may cover it.
        dated = {
            k: (m.date() if m else None)
            for k, m in found.objects.items()
            if k not in shared and k not in found.gone
        }
        retained = {k for k, d in dated.items() if d is None or d >= cutoff}
        days = [d for k, d in dated.items() if k in retained and d is not None]
        until = _years_later(max(days), rule.years) if days else None
        return retained, rule.legal_basis, until

    async def _find(self, bucket: str, base: str, system: System, value: str | None) -> Found:
        if value is None:
            return Found(objects={})
        return await asyncio.to_thread(self._find_sync, bucket, base, system, value)

    def _find_sync(self, bucket: str, base: str, system: System, value: str) -> Found:
        assert system.objects is not None
        try:
            if system.objects.layout is ObjectLayout.PER_PERSON:
                objects: dict[str, datetime | None] = {}
                paginator = self._s3.get_paginator("list_objects_v2")
                for page in paginator.paginate(Bucket=bucket, Prefix=f"{base}{value}/"):
                    for obj in page.get("Contents", []):
                        objects[obj["Key"]] = obj.get("LastModified")
                return Found(objects=objects)
            reply = self._s3.get_object(Bucket=bucket, Key=f"{base}{system.objects.index}")
            index = json.loads(reply["Body"].read())
            if not isinstance(index, dict):
                raise permanent(f"the index of {system.code} is not a JSON object")
            index = {str(v): [str(k) for k in keys] for v, keys in index.items() if isinstance(keys, list)}
            relative = list(dict.fromkeys(index.get(value, [])))
            objects = {}
            gone: set[str] = set()
            for key in relative:
                try:
                    head = self._s3.head_object(Bucket=bucket, Key=f"{base}{key}")
                    objects[f"{base}{key}"] = head.get("LastModified")
                except ClientError as exc:
                    if _code(exc) not in ("404", "NoSuchKey"):
                        raise
                    # Listed but already gone (an earlier attempt deleted it): nothing to flag,
                    # and for an erasure it still counts as the person's, erased.
                    objects[f"{base}{key}"] = None
                    gone.add(f"{base}{key}")
            return Found(objects=objects, gone=gone, index=index, etag=reply.get("ETag"), relative=relative)
        except ClientError as exc:
            code = _code(exc)
            if code in _PERMANENT_CODES:
                raise permanent(f"S3 {code} in {system.code}") from None
            raise

    def _delete(self, bucket: str, keys: list[str], system: System) -> None:
        try:
            reply = self._s3.delete_objects(
                Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True}
            )
        except ClientError as exc:
            code = _code(exc)
            if code in _PERMANENT_CODES:
                raise permanent(f"S3 {code} in {system.code}") from None
            raise
        errors = [e.get("Code", "") for e in reply.get("Errors", [])]
        if errors:
            codes = ",".join(sorted(set(errors)))
            if all(c in _PERMANENT_CODES for c in errors):
                raise permanent(f"S3 {codes} deleting {len(errors)} file(s) in {system.code}")
            raise ApplicationError(f"S3 {codes} deleting {len(errors)} file(s) in {system.code}")

    def _write_index(
        self, bucket: str, base: str, system: System, index: dict[str, list[str]], etag: str | None
    ) -> bool:
        """Write the index if nobody changed it since it was read; False when someone did."""
        assert system.objects is not None
        body = json.dumps(index, indent=2).encode()
        extra: dict[str, Any] = {"IfMatch": etag} if etag else {}
        try:
            self._s3.put_object(
                Bucket=bucket,
                Key=f"{base}{system.objects.index}",
                Body=body,
                ContentType="application/json",
                **extra,
            )
        except ClientError as exc:
            code = _code(exc)
            if code in ("PreconditionFailed", "412", "ConditionalRequestConflict", "409"):
                return False
            if code in _PERMANENT_CODES:
                raise permanent(f"S3 {code} in {system.code}") from None
            raise
        return True

    def _set_tag(self, bucket: str, key: str, restrict: bool, system: System) -> bool:
        """Set or remove the restriction tag, keeping other tags; False if the file is gone."""
        try:
            tags: list[TagTypeDef] = [
                {"Key": t["Key"], "Value": t["Value"]}
                for t in self._s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]
            ]
            others = [t for t in tags if t["Key"] != RESTRICTED_TAG]
            if restrict:
                wanted: list[TagTypeDef] = [*others, {"Key": RESTRICTED_TAG, "Value": "true"}]
                if tags != wanted:
                    self._s3.put_object_tagging(Bucket=bucket, Key=key, Tagging={"TagSet": wanted})
            elif len(others) != len(tags):
                if others:
                    self._s3.put_object_tagging(Bucket=bucket, Key=key, Tagging={"TagSet": others})
                else:
                    self._s3.delete_object_tagging(Bucket=bucket, Key=key)
            return True
        except ClientError as exc:
            code = _code(exc)
            if code in ("NoSuchKey", "404"):
                return False
            if code in _PERMANENT_CODES:
                raise permanent(f"S3 {code} in {system.code}") from None
            raise

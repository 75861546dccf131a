"""Anchors: the audit chain's head written outside the database, where no database role reaches.

A MAC shows that an entry was written with the audit key; it cannot show that the newest
entries were deleted or that the table was emptied. So, at least hourly (beside the
control worker) and on demand (`dsar audit --anchor`), the chain's head (last sequence
number, its hash, the number of entries, where MACs begin) is written as one small MACed
JSON object to its own bucket. Where the endpoint supports S3 Object Lock, the bucket is
created with it and every anchor is written in COMPLIANCE mode, so no one, the account's
root included, can delete or overwrite it before its retention ends; elsewhere each
anchor's key is written once (If-None-Match), and the bucket should be one the database's
administrators cannot write. One object per head: anchoring an unchanged chain again
writes nothing, so retries and two anchoring processes are harmless.

`verify_anchors` compares the table with every anchor: an anchored entry that is gone or
differs, fewer entries than anchored, or a moved `audit_mac_since` is reported.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from casestore.audit import ChainHead, ChainProblem, MacKeys, chain_head
from casestore.db import Conn

PREFIX = "audit-anchors/"
_LABEL = b"dsar-audit-anchor-v1:"


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    count: int
    mac_since: int
    at: str  # ISO time the anchor was written
    key_id: str = ""
    mac: str = ""

    def signed_part(self) -> bytes:
        body = {
            "seq": self.seq,
            "hash": self.hash,
            "count": self.count,
            "mac_since": self.mac_since,
            "at": self.at,
        }
        return _LABEL + json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")

    @property
    def key(self) -> str:
        return f"{PREFIX}{self.seq:012d}-{self.count:012d}.json"


@dataclass(frozen=True)
class AnchorResult:
    anchor: Anchor
    written: bool  # False: this head was anchored before
    locked: bool  # written under Object Lock (compliance mode)


def ensure_anchor_bucket(s3: Any, bucket: str, region: str) -> bool:
    """The anchors' bucket, with Object Lock where the endpoint supports it; True if locked."""
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError:
        config = (
            {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        )
        try:
            s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True, **config)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in (
                "BucketAlreadyOwnedByYou",
                "BucketAlreadyExists",
            ):
                return object_lock_enabled(s3, bucket)
            # An endpoint without Object Lock: a plain bucket, written once per key.
            s3.create_bucket(Bucket=bucket, **config)
    return object_lock_enabled(s3, bucket)


def object_lock_enabled(s3: Any, bucket: str) -> bool:
    try:
        config = s3.get_object_lock_configuration(Bucket=bucket)
    except ClientError:
        return False
    return bool(config.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") == "Enabled")


async def anchor_now(
    conn: Conn, s3: Any, bucket: str, keys: MacKeys, retention_days: int, now: datetime | None = None
) -> AnchorResult:
    """Write the chain's current head to the anchor bucket, once per head."""
    head = await chain_head(conn)
    return write_anchor(s3, bucket, head, keys, retention_days, now or datetime.now(UTC))


def write_anchor(
    s3: Any, bucket: str, head: ChainHead, keys: MacKeys, retention_days: int, now: datetime
) -> AnchorResult:
    draft = Anchor(head.seq, head.hash, head.count, head.mac_since, now.isoformat())
    anchor = Anchor(**(asdict(draft) | {"key_id": keys.current, "mac": keys.mac(draft.signed_part())}))
    locked = object_lock_enabled(s3, bucket)
    extra: dict[str, Any] = {"IfNoneMatch": "*"}
    if locked:
        extra = {
            "ObjectLockMode": "COMPLIANCE",
            "ObjectLockRetainUntilDate": now + timedelta(days=retention_days),
            "ChecksumAlgorithm": "SHA256",
        }
        if _exists(s3, bucket, anchor.key):
            return AnchorResult(anchor, written=False, locked=True)
    body = json.dumps(asdict(anchor), sort_keys=True).encode("utf-8")
    try:
        s3.put_object(Bucket=bucket, Key=anchor.key, Body=body, ContentType="application/json", **extra)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("PreconditionFailed", "ConditionalRequestConflict"):
            return AnchorResult(anchor, written=False, locked=locked)
        raise
    return AnchorResult(anchor, written=True, locked=locked)


def _exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError:
        return False
    return True


def read_anchors(s3: Any, bucket: str) -> list[Anchor]:
    """Every anchor in the bucket, oldest first (keys sort by sequence number)."""
    found: list[Anchor] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=PREFIX):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            try:
                found.append(Anchor(**json.loads(body)))
            except (ValueError, TypeError):
                # Not one of ours: reported by verify_anchors as carrying no valid MAC.
                found.append(Anchor(seq=0, hash="", count=0, mac_since=0, at=str(item["Key"])))
    return sorted(found, key=lambda a: (a.seq, a.count, a.at))


async def verify_anchors(conn: Conn, anchors: list[Anchor], keys: MacKeys) -> list[ChainProblem]:
    """The table against every anchor written outside it: the newest anchor says how long the
    trail must at least be; each anchor says what its entry must still be."""
    problems: list[ChainProblem] = []
    head = await chain_head(conn)
    valid: list[Anchor] = []
    for anchor in anchors:
        if keys.check(anchor.key_id, anchor.signed_part(), anchor.mac):
            valid.append(anchor)
        else:
            problems.append(ChainProblem(anchor.seq, f"the anchor of {anchor.at} does not carry a valid MAC"))
    if not valid:
        return problems
    newest = max(valid, key=lambda a: (a.seq, a.count))
    if newest.mac_since != head.mac_since:
        problems.append(
            ChainProblem(newest.mac_since, f"MACs are required from entry {newest.mac_since} on (anchor of"
                         f" {newest.at}), but the database now says from {head.mac_since} on")
        )  # fmt: skip
    if head.count == 0 and newest.count > 0:
        problems.append(
            ChainProblem(1, f"the audit trail is empty, but the anchor of {newest.at} records"
                         f" {newest.count} entries: the table was truncated")
        )  # fmt: skip
        return problems
    if head.seq < newest.seq:
        problems.append(
            ChainProblem(head.seq + 1, f"entries {head.seq + 1}..{newest.seq} were deleted: the anchor of"
                         f" {newest.at} records entry {newest.seq}, the trail now ends at {head.seq}")
        )  # fmt: skip
    for anchor in valid:
        if anchor.count == 0 or anchor.seq > head.seq:
            continue
        row = await conn.fetchrow(
            "SELECT hash, (SELECT count(*) FROM audit_log WHERE seq <= $1) AS upto"
            " FROM audit_log WHERE seq = $1",
            anchor.seq,
        )
        if row is None:
            problems.append(
                ChainProblem(anchor.seq, f"entry {anchor.seq}, anchored on {anchor.at}, is missing")
            )
        elif row["hash"] != anchor.hash:
            problems.append(
                ChainProblem(anchor.seq, f"entry {anchor.seq} differs from its anchor of {anchor.at}:"
                             " the chain was rewritten")
            )  # fmt: skip
        elif int(row["upto"]) != anchor.count:
            problems.append(
                ChainProblem(anchor.seq, f"the anchor of {anchor.at} counts {anchor.count} entries up to"
                             f" entry {anchor.seq}, the trail now holds {row['upto']}")
            )  # fmt: skip
    return problems

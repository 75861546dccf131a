"""The hash-chained, MACed audit trail.

Every step and decision is appended here. Each row's hash covers its content and the hash
of the row before it, so changing or deleting any row breaks every later link. Each row
also carries an HMAC-SHA256 of its hash under a key the database never sees
(`DSAR_AUDIT_MAC_KEYS`, held only by the components that append), so whoever can write
the table but not read that key (a superuser, a stolen database role) cannot re-hash an
edited chain or forge an entry unseen. No role may write the table directly: appends go
through `audit_head`/`audit_append` (migration 0011), which serialise on one transaction-
scoped lock, so the chain stays linear however many workers write at once. What a MAC
cannot show, a deleted tail or an emptied table, the anchors outside the database show
(`casestore.anchor`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from casestore.db import Conn

GENESIS = "0" * 64
MIN_MAC_KEY_LENGTH = 32
_MAC_LABEL = b"dsar-audit-entry-v1:"


def _canonical(seq: int, reference: str | None, at: datetime, actor: str, action: str, details: Any) -> bytes:
    return json.dumps(
        [seq, reference, at.astimezone(UTC).isoformat(), actor, action, details],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")


def chain_hash(prev_hash: str, payload: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + payload).hexdigest()


@dataclass(frozen=True)
class MacKeys:
    """The audit MAC keys, `id:secret` separated by commas; the first one MACs new entries.

    Older keys stay listed after a rotation so the entries they MACed still verify."""

    keys: dict[str, bytes]
    current: str

    @classmethod
    def parse(cls, text: str | None) -> MacKeys:
        keys: dict[str, bytes] = {}
        for part in (p.strip() for p in (text or "").split(",")):
            if not part:
                continue
            key_id, sep, secret = part.partition(":")
            if not sep or not key_id.isidentifier() or len(secret) < MIN_MAC_KEY_LENGTH:
                raise ValueError(
                    f"DSAR_AUDIT_MAC_KEYS must be id:secret pairs separated by commas,"
                    f" each secret at least {MIN_MAC_KEY_LENGTH} characters"
                )
            keys[key_id] = secret.encode("utf-8")
        if not keys:
            raise ValueError(
                "DSAR_AUDIT_MAC_KEYS is not set: this component cannot append to the audit trail"
            )
        return cls(keys, next(iter(keys)))

    def mac(self, data: bytes, key_id: str | None = None) -> str:
        key_id = key_id or self.current
        return hmac.new(self.keys[key_id], _MAC_LABEL + data, hashlib.sha256).hexdigest()

    def check(self, key_id: str, data: bytes, mac: str) -> bool | None:
        """True or False; None when the key id is not one of ours."""
        if key_id not in self.keys:
            return None
        return hmac.compare_digest(self.mac(data, key_id), mac)


@cache
def process_mac_keys() -> MacKeys:
    """This process's keys, from its settings; read once (the variable names the rule if
    unset), not at every append: reading the settings took 2% of a control worker's CPU."""
    from dsar.config import Settings

    return MacKeys.parse(Settings.from_env().audit_mac_keys)


async def append_audit(
    conn: Conn,
    *,
    reference: str | None,
    actor: str,
    action: str,
    details: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    keys: MacKeys | None = None,
) -> int:
    """Append one entry; with an idempotency key, a retried step is recorded only once."""
    keys = keys or process_mac_keys()
    details = details or {}
    async with conn.transaction():
        head = await conn.fetchrow("SELECT * FROM audit_head($1)", idempotency_key)
        assert head is not None
        if head["existing"] is not None:
            return int(head["existing"])
        seq = int(head["head_seq"] or 0) + 1
        prev = str(head["head_hash"] or GENESIS)
        # Microsecond precision survives the round trip through timestamptz.
        at = datetime.now(UTC)
        digest = chain_hash(prev, _canonical(seq, reference, at, actor, action, details))
        return int(
            await conn.fetchval(
                "SELECT audit_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                seq,
                reference,
                at,
                actor,
                action,
                details,
                prev,
                digest,
                idempotency_key,
                keys.current,
                keys.mac(digest.encode("ascii")),
            )
        )


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    problem: str


@dataclass(frozen=True)
class ChainHead:
    """What the table holds: the last entry, how many there are, and where MACs begin."""

    seq: int
    hash: str
    count: int
    mac_since: int


async def chain_head(conn: Conn) -> ChainHead:
    row = await conn.fetchrow(
        "SELECT (SELECT seq FROM audit_log ORDER BY seq DESC LIMIT 1) AS seq,"
        " (SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1) AS hash,"
        " (SELECT count(*) FROM audit_log) AS count,"
        " (SELECT seq FROM audit_mac_since) AS mac_since"
    )
    assert row is not None
    return ChainHead(
        int(row["seq"] or 0), str(row["hash"] or GENESIS), int(row["count"]), int(row["mac_since"] or 1)
    )


async def verify_chain(conn: Conn, keys: MacKeys | None = None) -> list[ChainProblem]:
    """Recompute every link and MAC; a changed, removed, reordered, forged or re-hashed row is reported.

    Without keys only the links are checked (what anyone can check); with them, every entry
    from `audit_mac_since` on must carry a MAC made with one of them."""
    problems: list[ChainProblem] = []
    prev = GENESIS
    expected_seq = 1
    async with conn.transaction():
        mac_since = int(await conn.fetchval("SELECT seq FROM audit_mac_since") or 1)
        async for row in conn.cursor("SELECT * FROM audit_log ORDER BY seq"):
            seq = int(row["seq"])
            if seq != expected_seq:
                problems.append(ChainProblem(expected_seq, f"rows {expected_seq}..{seq - 1} missing"))
            if row["prev_hash"] != prev:
                problems.append(ChainProblem(seq, "previous-hash link broken"))
            payload = _canonical(
                seq, row["reference"], row["at"], row["actor"], row["action"], row["details"]
            )
            if chain_hash(row["prev_hash"], payload) != row["hash"]:
                problems.append(ChainProblem(seq, "content does not match its hash"))
            if keys is not None:
                problem = _mac_problem(keys, row, seq >= mac_since)
                if problem is not None:
                    problems.append(ChainProblem(seq, problem))
            prev = row["hash"]
            expected_seq = seq + 1
    return problems


def _mac_problem(keys: MacKeys, row: Any, required: bool) -> str | None:
    if row["mac"] is None:
        if required:
            return "no MAC: not written through the append function with the audit key"
        return None
    verdict = keys.check(str(row["mac_key_id"]), str(row["hash"]).encode("ascii"), str(row["mac"]))
    if verdict is None:
        return f"MAC made with key {row['mac_key_id']!r}, which this verifier does not hold"
    if not verdict:
        return "MAC does not match: written or re-hashed by someone without the audit key"
    return None

"""The hash-chained audit trail.

Every step and decision is appended here. Each row's hash covers its content and the hash
of the row before it, so changing or deleting any row breaks every later link; the table
also refuses UPDATE and DELETE. Appends are serialised with a transaction-scoped advisory
lock, which keeps the chain linear however many workers write at once.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from casestore.db import Conn

GENESIS = "0" * 64
_CHAIN_LOCK = 0x41554454  # "AUDT"


def _canonical(seq: int, reference: str | None, at: datetime, actor: str, action: str, details: Any) -> bytes:
    return json.dumps(
        [seq, reference, at.astimezone(UTC).isoformat(), actor, action, details],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")


def chain_hash(prev_hash: str, payload: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + payload).hexdigest()


async def append_audit(
    conn: Conn,
    *,
    reference: str | None,
    actor: str,
    action: str,
    details: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> int:
    """Append one entry; with an idempotency key, a retried step is recorded only once."""
    details = details or {}
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _CHAIN_LOCK)
        if idempotency_key is not None:
            existing = await conn.fetchval(
                "SELECT seq FROM audit_log WHERE idempotency_key = $1", idempotency_key
            )
            if existing is not None:
                return int(existing)
        last = await conn.fetchrow("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        seq = 1 if last is None else int(last["seq"]) + 1
        prev = GENESIS if last is None else str(last["hash"])
        # Microsecond precision survives the round trip through timestamptz.
        at = datetime.now(UTC)
        digest = chain_hash(prev, _canonical(seq, reference, at, actor, action, details))
        await conn.execute(
            "INSERT INTO audit_log (seq, reference, at, actor, action, details, prev_hash,"
            " hash, idempotency_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            seq,
            reference,
            at,
            actor,
            action,
            details,
            prev,
            digest,
            idempotency_key,
        )
        return seq


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    problem: str


async def verify_chain(conn: Conn) -> list[ChainProblem]:
    """Recompute every link; a changed row, a removed row or a reordered row is reported."""
    problems: list[ChainProblem] = []
    prev = GENESIS
    expected_seq = 1
    async with conn.transaction():
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
            prev = row["hash"]
            expected_seq = seq + 1
    return problems

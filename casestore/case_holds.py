"""Holds on a case: a complaint, a claim or a legal hold keeps everything the case holds.

Retention (`casestore.retention`) leaves a held case whole until the hold is released.
Placing and releasing lock the case's row, the same row the purge locks before it removes
anything, so a hold and a purge of one case never overlap. The CLI checks the actor's
role and writes the audit entry in the same transaction (`cli.retention`).
"""

from __future__ import annotations

from enum import StrEnum

from casestore.db import Conn


class HoldKind(StrEnum):
    COMPLAINT = "complaint"
    CLAIM = "claim"
    LEGAL_HOLD = "legal-hold"


class HoldError(ValueError):
    """A hold that cannot be placed or released; the message names the reference and the rule."""


async def place_hold(conn: Conn, reference: str, kind: HoldKind, reason: str, actor: str) -> int:
    """Record a hold on the case (in the caller's transaction); returns its id."""
    exists = await conn.fetchval("SELECT 1 FROM requests WHERE reference = $1 FOR UPDATE", reference)
    if exists is None:
        raise HoldError(f"REFERENCE: no request {reference} in the case store")
    if await conn.fetchval(
        "SELECT 1 FROM case_holds WHERE reference = $1 AND released_at IS NULL", reference
    ):
        raise HoldError(f"REFERENCE: {reference} is already on hold; release it first to change the hold")
    hold_id = await conn.fetchval(
        "INSERT INTO case_holds (reference, kind, reason, placed_by) VALUES ($1, $2, $3, $4) RETURNING id",
        reference,
        kind.value,
        reason,
        actor,
    )
    return int(hold_id)


async def release_hold(conn: Conn, reference: str, actor: str) -> tuple[int, str]:
    """Release the case's open hold; returns its id and kind."""
    await conn.fetchval("SELECT 1 FROM requests WHERE reference = $1 FOR UPDATE", reference)
    row = await conn.fetchrow(
        "UPDATE case_holds SET released_by = $2, released_at = now()"
        " WHERE reference = $1 AND released_at IS NULL RETURNING id, kind",
        reference,
        actor,
    )
    if row is None:
        raise HoldError(f"REFERENCE: {reference} has no hold to release")
    return int(row["id"]), str(row["kind"])

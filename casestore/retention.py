"""Retention of the case store's own copies: which cases are due, what they hold, removing it.

A request copies the person's data from every company into the case store. Once the
request is closed those copies are kept only a set time (`copies_days` after closure),
never while the request is open or a hold (a complaint, a claim, a legal hold) is on it.
The accountability record (reference, rights, dates, decisions and their actors, counts,
the audit trail) stays longer (`record_days`), then the case's identifying fields are
pseudonymised and the rest stays as statistics.

Every function here reads or writes one case in the caller's transaction; the S3 side is
`casestore.retention_files`, and the order of the two is the activity's
(`activities.retention`). Nothing here returns a value of the person's data: copies are
counted, keys are hashes and generated ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from casestore.db import Conn
from casestore.queries import OPEN_STATUSES
from dsar.messages.retention import PurgeStage, RetentionRules

# The subject of a pseudonymised case: no key opens it, and it opens to nothing.
PSEUDONYMISED_KEY = "pseudonymised"
# The pseudonym of the case's e-mail lookup: a keyed hash of the old lookup under this
# label, so the case no longer turns up for the person's address, yet the team holding
# the key can still tell whether two pseudonymised cases were the same person's.
PSEUDONYM_LABEL = "retention-pseudonym:"

_HELD = "EXISTS (SELECT 1 FROM case_holds h WHERE h.reference = r.reference AND h.released_at IS NULL)"
# A restriction still in force (Art. 18): lifting it later finds the person's rows by the
# case's sealed identity, so the identity is not pseudonymised until the restriction is lifted.
_RESTRICTED = (
    "(EXISTS (SELECT 1 FROM action_results a WHERE a.reference = r.reference"
    " AND a.action = 'restrict' AND a.status = 'done')"
    " AND NOT EXISTS (SELECT 1 FROM action_results a WHERE a.reference = r.reference"
    " AND a.action = 'lift_restriction' AND a.status = 'done'))"
)


class RetentionState(StrEnum):
    """Where a case stands in its retention, as `dsar report` counts it."""

    OPEN = "open"
    ON_HOLD = "on hold"
    AWAITING_PURGE = "awaiting purge"
    PURGED_COPIES = "purged copies"
    PSEUDONYMISED = "pseudonymised"


async def due_cases(
    conn: Conn,
    stage: PurgeStage,
    as_of: datetime,
    rules: RetentionRules,
    after: str,
    limit: int,
    copies_first: bool = True,
) -> list[str]:
    """The next `limit` references (after `after`) whose `stage` is due at `as_of`.

    Closed, not held, and closed long enough ago; the record stage only once the copies
    are gone, so a case is never pseudonymised with copies no one could tie to it (a run
    takes the copies stage first; a preview of the run says `copies_first=False`)."""
    if stage is PurgeStage.COPIES:
        pending, days, before = "r.copies_purged_at IS NULL", rules.copies_days, "TRUE"
    else:
        pending, days = "r.pseudonymised_at IS NULL", rules.record_days
        before = f"NOT {_RESTRICTED}" + (" AND r.copies_purged_at IS NOT NULL" if copies_first else "")
    rows = await conn.fetch(
        f"SELECT r.reference FROM requests r WHERE {pending} AND {before}"  # noqa: S608 - fixed fragments
        f" AND r.closed_at IS NOT NULL AND r.status <> ALL($1::text[]) AND r.closed_at <= $2"
        f" AND r.reference > $3 AND NOT {_HELD} ORDER BY r.reference LIMIT $4",
        OPEN_STATUSES,
        as_of - timedelta(days=days),
        after,
        limit,
    )
    return [str(r["reference"]) for r in rows]


async def lock_removable(conn: Conn, reference: str, stage: PurgeStage) -> bool:
    """Lock the case's row for the transaction and say whether it may lose `stage` now.

    Placing a hold locks the same row (`place_hold`), so a hold placed while a purge works
    on the case either lands before (and the purge leaves the case) or after it."""
    row = await conn.fetchrow(
        f"SELECT r.status, r.closed_at, {_HELD} AS held, {_RESTRICTED} AS restricted"  # noqa: S608
        " FROM requests r WHERE r.reference = $1 FOR UPDATE",
        reference,
    )
    if row is None or row["held"] or row["closed_at"] is None or row["status"] in OPEN_STATUSES:
        return False
    return stage is PurgeStage.COPIES or not row["restricted"]


@dataclass(frozen=True)
class StoredPackage:
    id: str
    bucket: str
    key: str


@dataclass
class CaseCopies:
    """What a case still holds of the person's data, by kind: counts and storage keys only."""

    reference: str
    records: int = 0
    checkpoints: int = 0
    name_fingerprints: int = 0
    object_keys: list[str] = field(default_factory=list)
    packages: list[StoredPackage] = field(default_factory=list)


async def case_copies(conn: Conn, reference: str) -> CaseCopies:
    """The copies a case holds now; the files under its folders are listed by the caller."""
    records = await conn.fetchval("SELECT count(*) FROM collected_records WHERE reference = $1", reference)
    keys = await conn.fetch(
        "SELECT DISTINCT object_key FROM collected_records WHERE reference = $1 AND object_key IS NOT NULL"
        " ORDER BY object_key",
        reference,
    )
    packages = await conn.fetch(
        "SELECT id, bucket, s3_key FROM artefacts WHERE reference = $1 AND deleted_at IS NULL ORDER BY kind",
        reference,
    )
    return CaseCopies(
        reference=reference,
        records=int(records),
        checkpoints=int(
            await conn.fetchval("SELECT count(*) FROM collection_checkpoints WHERE reference = $1", reference)
        ),
        name_fingerprints=int(
            await conn.fetchval(
                "SELECT count(*) FROM known_name_fingerprints WHERE reference = $1", reference
            )
        ),
        object_keys=[str(k["object_key"]) for k in keys],
        packages=[StoredPackage(str(p["id"]), p["bucket"], p["s3_key"]) for p in packages],
    )


async def remove_copies(conn: Conn, reference: str) -> None:
    """Delete the case's copies from the tables and stamp the case; its files are gone already.

    Redactions go with their records (ON DELETE CASCADE); the package rows stay, marked
    deleted, with their size and checksum, and their links stop working."""
    await conn.execute("DELETE FROM collected_records WHERE reference = $1", reference)
    await conn.execute("DELETE FROM collection_checkpoints WHERE reference = $1", reference)
    await conn.execute("DELETE FROM known_name_fingerprints WHERE reference = $1", reference)
    await conn.execute("DELETE FROM name_candidates WHERE reference = $1", reference)
    await conn.execute(
        "UPDATE artefacts SET deleted_at = coalesce(deleted_at, now()) WHERE reference = $1", reference
    )
    await conn.execute(
        "UPDATE download_links SET revoked_at = coalesce(revoked_at, now()) WHERE reference = $1", reference
    )
    await conn.execute(
        "UPDATE requests SET copies_purged_at = coalesce(copies_purged_at, now()) WHERE reference = $1",
        reference,
    )


async def email_lookup(conn: Conn, reference: str) -> str:
    """The case's keyed e-mail hash ("" for no such case), from which its pseudonym is made."""
    found = await conn.fetchval("SELECT email_lookup FROM requests WHERE reference = $1", reference)
    return "" if found is None else str(found)


async def reduce_record(conn: Conn, reference: str, pseudonym: str) -> int:
    """Pseudonymise the case's identifying fields; returns how many sealed values were cleared.

    The sealed identity is replaced by nothing, the e-mail lookup by `pseudonym`, and
    rectification's sealed before/after values are cleared; rights, dates, statuses,
    decisions, counts and the audit trail stay as the case's statistics."""
    cleared = await conn.fetchval(
        "WITH c AS (UPDATE executed_changes SET before_sealed = NULL, after_sealed = NULL"
        " WHERE reference = $1 AND (before_sealed IS NOT NULL OR after_sealed IS NOT NULL)"
        " RETURNING 1) SELECT count(*) FROM c",
        reference,
    )
    await conn.execute(
        "UPDATE requests SET subject_key_id = $2, subject_ciphertext = ''::bytea, email_lookup = $3,"
        " pseudonymised_at = coalesce(pseudonymised_at, now()), updated_at = now() WHERE reference = $1",
        reference,
        PSEUDONYMISED_KEY,
        pseudonym,
    )
    return int(cleared)


# --- an erasure's earlier cases -----------------------------------------------------------


async def earlier_closed_cases(conn: Conn, erasure_reference: str) -> list[tuple[str, bool]]:
    """The person's other closed cases not yet pseudonymised, with whether a hold keeps each.

    Found by the erasure request's keyed e-mail hash; open requests are never included."""
    rows = await conn.fetch(
        f"SELECT r.reference, {_HELD} AS held FROM requests r"  # noqa: S608
        " WHERE r.email_lookup = (SELECT email_lookup FROM requests WHERE reference = $1)"
        " AND r.reference <> $1 AND r.pseudonymised_at IS NULL AND r.closed_at IS NOT NULL"
        " AND r.status <> ALL($2::text[]) ORDER BY r.reference",
        erasure_reference,
        OPEN_STATUSES,
    )
    return [(str(r["reference"]), bool(r["held"])) for r in rows]


async def record_earlier_case(conn: Conn, erasure_reference: str, earlier: str, outcome: str) -> None:
    await conn.execute(
        "INSERT INTO earlier_case_erasures (erasure_reference, earlier_reference, outcome)"
        " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        erasure_reference,
        earlier,
        outcome,
    )


async def earlier_cases_outcome(conn: Conn, erasure_reference: str) -> dict[str, int]:
    """How many earlier cases an erasure reduced and how many a hold kept: for its letter."""
    rows = await conn.fetch(
        "SELECT outcome, count(*) AS n FROM earlier_case_erasures WHERE erasure_reference = $1"
        " GROUP BY outcome",
        erasure_reference,
    )
    found = {str(r["outcome"]): int(r["n"]) for r in rows}
    return {"reduced": found.get("reduced", 0), "held": found.get("held", 0)}


# --- the report ---------------------------------------------------------------------------


async def retention_counts(conn: Conn) -> dict[RetentionState, int]:
    """Every case counted by its retention state; a hold counts before anything else."""
    rows = await conn.fetch(
        f"SELECT CASE WHEN {_HELD} THEN $2"  # noqa: S608
        " WHEN r.status = ANY($1::text[]) THEN $3"
        " WHEN r.pseudonymised_at IS NOT NULL THEN $4"
        " WHEN r.copies_purged_at IS NOT NULL THEN $5 ELSE $6 END AS state, count(*) AS n"
        " FROM requests r GROUP BY 1",
        OPEN_STATUSES,
        RetentionState.ON_HOLD.value,
        RetentionState.OPEN.value,
        RetentionState.PSEUDONYMISED.value,
        RetentionState.PURGED_COPIES.value,
        RetentionState.AWAITING_PURGE.value,
    )
    counts = dict.fromkeys(RetentionState, 0)
    for row in rows:
        counts[RetentionState(row["state"])] = int(row["n"])
    return counts

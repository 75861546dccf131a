"""The case-store reads and writes the command line needs, each one named after what it answers.

The CLI holds no SQL: it asks these functions and prints what they return. Every value goes
as a bound parameter; the rows come back as typed objects, so a renamed column fails here
and in mypy rather than as a `KeyError` in the middle of a command.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from casestore.db import Conn
from dsar import clock
from dsar.domain import Status, format_reference
from dsar.report import RequestRow

OPEN_STATUSES = [s.value for s in Status if s.is_open]


async def allocate_reference(conn: Conn, year: int) -> str:
    """The next reference of `year`; the sequence never hands out a number twice."""
    number = await conn.fetchval("SELECT nextval('request_number_seq')")
    return format_reference(year, int(number))


async def open_request_covering(conn: Conn, email_lookup: str, rights: set[str]) -> str | None:
    """The oldest open request for the person (by keyed e-mail hash) that covers all of `rights`.

    Looked up by the keyed hash only, so the person's address never appears in the query.
    """
    rows = await conn.fetch(
        "SELECT reference, rights FROM requests WHERE email_lookup = $1 AND status = ANY($2::text[])"
        " ORDER BY created_at",
        email_lookup,
        OPEN_STATUSES,
    )
    for row in rows:
        if rights <= set(row["rights"]):
            return str(row["reference"])
    return None


@dataclass(frozen=True)
class FuzzyMatch:
    """A record found only by name and postcode, with the reviewer's decision if there is one."""

    id: int
    company: str
    system: str
    source_table: str
    source_key: str
    confidence: float
    data: Any
    confirmed_by: str | None
    rejected_by: str | None


async def fuzzy_matches(conn: Conn, reference: str) -> list[FuzzyMatch]:
    """The request's records that need a reviewer's decision, most likely first."""
    rows = await conn.fetch(
        "SELECT id, company, system, source_table, source_key, confidence, data,"
        " confirmed_by, rejected_by FROM collected_records"
        " WHERE reference = $1 AND needs_confirmation ORDER BY confidence DESC, id",
        reference,
    )
    return [FuzzyMatch(**dict(r)) for r in rows]


async def record_data(conn: Conn, reference: str, record_id: int) -> Any:
    """One collected record's data as stored (before redaction); None if it is not the request's."""
    return await conn.fetchval(
        "SELECT data FROM collected_records WHERE reference = $1 AND id = $2", reference, record_id
    )


async def requests_received_between(conn: Conn, first: date, last: date) -> list[RequestRow]:
    """Every request received from `first` to `last` (both included), as the deadline report reads it."""
    rows = await conn.fetch(
        "SELECT reference, rights, jurisdiction, received_on, due_on, status, extended, closed_at"
        " FROM requests WHERE received_on BETWEEN $1 AND $2",
        first,
        last,
    )
    return [
        RequestRow(
            reference=r["reference"],
            rights=tuple(r["rights"]),
            jurisdiction=r["jurisdiction"],
            timezone=clock.get_jurisdiction(r["jurisdiction"]).timezone,
            received_on=r["received_on"],
            due_on=r["due_on"],
            status=r["status"],
            extended=r["extended"],
            closed_at=r["closed_at"],
        )
        for r in rows
    ]


@dataclass(frozen=True)
class AuditEntry:
    """One step of a request's audit trail, with the hash that chains it to the one before."""

    seq: int
    at: datetime
    actor: str
    action: str
    details: Any
    hash: str


async def audit_trail(conn: Conn, reference: str) -> list[AuditEntry]:
    """A request's audit trail in the order it was written."""
    rows = await conn.fetch(
        "SELECT seq, at, actor, action, details, hash FROM audit_log WHERE reference = $1 ORDER BY seq",
        reference,
    )
    return [AuditEntry(**dict(r)) for r in rows]


@dataclass(frozen=True)
class RecordedRequest:
    """A request as the case store mirrors it: what `dsar status` shows when the workflow is silent."""

    reference: str
    rights: list[str]
    jurisdiction: str
    received_on: date
    due_on: date | None
    status: str
    extended: bool
    updated_at: datetime


@dataclass(frozen=True)
class RecordedSystem:
    """One system's collection result as last recorded."""

    company: str
    system: str
    status: str
    records: int


async def recorded_request(conn: Conn, reference: str) -> RecordedRequest | None:
    """The request's mirrored status and deadline; None if the case store has no such request."""
    row = await conn.fetchrow(
        "SELECT reference, rights, jurisdiction, received_on, due_on, status, extended, updated_at"
        " FROM requests WHERE reference = $1",
        reference,
    )
    return None if row is None else RecordedRequest(**{**dict(row), "rights": list(row["rights"])})


async def recorded_collection(conn: Conn, reference: str) -> list[RecordedSystem]:
    """Each system's recorded collection result, by company and system."""
    rows = await conn.fetch(
        "SELECT company, system, status, records FROM collection_results"
        " WHERE reference = $1 ORDER BY company, system",
        reference,
    )
    return [RecordedSystem(**dict(r)) for r in rows]


@dataclass(frozen=True)
class EarlierRequestRow:
    """Another rights request of the same person, as the access package reports it (Art. 15:
    the case store holds it too). Codes only; the package puts them into words."""

    reference: str
    received_on: date
    rights: list[str]
    status: str
    closed_at: datetime | None


async def earlier_requests(conn: Conn, reference: str) -> list[EarlierRequestRow]:
    """The person's other requests, oldest first, found by the keyed e-mail hash of this
    one (so no address appears in the query); requests received after this one are left
    out, since the package answers as of this request."""
    rows = await conn.fetch(
        "SELECT o.reference, o.received_on, o.rights, o.status, o.closed_at"
        " FROM requests AS r JOIN requests AS o ON o.email_lookup = r.email_lookup"
        " WHERE r.reference = $1 AND o.reference <> r.reference"
        " AND (o.received_on, o.created_at) <= (r.received_on, r.created_at)"
        " ORDER BY o.received_on, o.created_at",
        reference,
    )
    return [
        EarlierRequestRow(
            reference=row["reference"],
            received_on=row["received_on"],
            rights=list(row["rights"]),
            status=row["status"],
            closed_at=row["closed_at"],
        )
        for row in rows
    ]

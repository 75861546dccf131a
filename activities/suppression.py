"""The group-wide marketing suppression list (Art. 21(3)).

An objection to direct marketing is absolute and covers every company in the group, so
the person's e-mail address and phone number go onto one list in the case store, as keyed
lookup hashes (`KeyRing.lookup_hash`): any company, and the CLI, can check an address
before a mailing without the list holding readable contact details. Addresses are
normalised first (e-mail lower-cased, phone E.164), so any spelling of the same address
matches.
"""

from __future__ import annotations

import asyncpg
import structlog
from temporalio import activity

from activities.case_store import load_subject
from casestore.audit import append_audit
from casestore.db import Conn
from dsar.codec import KeyRing
from dsar.domain import normalise_email, normalise_phone
from dsar.messages.actions import SuppressionResult
from dsar.messages.activity_names import Activity

log = structlog.get_logger(__name__)


def suppression_hashes(ring: KeyRing, email: str | None = None, phone: str | None = None) -> dict[str, str]:
    """kind -> keyed hash of the normalised address; an address that does not parse is left out."""
    hashes: dict[str, str] = {}
    if email:
        try:
            hashes["email"] = ring.lookup_hash(normalise_email(email))
        except ValueError:
            pass
    if phone:
        try:
            hashes["phone"] = ring.lookup_hash(normalise_phone(phone))
        except ValueError:
            pass
    return hashes


async def is_suppressed(
    conn: Conn, ring: KeyRing, email: str | None = None, phone: str | None = None
) -> bool:
    """True if the e-mail address or the phone number is on the suppression list."""
    hashes = suppression_hashes(ring, email, phone)
    if not hashes:
        return False
    found = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM marketing_suppressions WHERE lookup_hash = ANY($1::text[]))",
        list(hashes.values()),
    )
    return bool(found)


class SuppressionActivities:
    def __init__(self, pool: asyncpg.Pool, ring: KeyRing) -> None:
        self._pool = pool
        self._ring = ring

    @activity.defn(name=Activity.ADD_TO_SUPPRESSION_LIST)
    async def add_to_suppression_list(self, reference: str) -> SuppressionResult:
        """Puts the person's e-mail and phone on the list; a retry adds nothing twice."""
        async with self._pool.acquire() as conn, conn.transaction():
            subject = await load_subject(conn, self._ring, reference)
            hashes = suppression_hashes(self._ring, subject.email, subject.phone)
            added = 0
            for kind, lookup in hashes.items():
                inserted = await conn.fetchval(
                    "INSERT INTO marketing_suppressions (lookup_hash, kind, reference) VALUES ($1, $2, $3)"
                    " ON CONFLICT (lookup_hash) DO NOTHING RETURNING lookup_hash",
                    lookup,
                    kind,
                    reference,
                )
                added += inserted is not None
            await append_audit(
                conn,
                reference=reference,
                actor="dsar-suppression",
                action="suppression.added",
                details={"entries": len(hashes), "kinds": sorted(hashes)},
                idempotency_key=f"{reference}:suppression",
            )
        log.info("suppression.added", reference=reference, entries=len(hashes), added=added)
        return SuppressionResult(entries=len(hashes), added=added)

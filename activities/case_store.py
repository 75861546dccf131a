"""Case-store side effects of the request workflow: registering, status, deadlines, plans.

Every method is idempotent: the workflow may run it again after a crash or a retry, and
the second run changes nothing the first did not.
"""

from __future__ import annotations

import json

import asyncpg
from temporalio import activity
from temporalio.exceptions import ApplicationError

from casestore.audit import append_audit
from casestore.db import Conn
from dsar.codec import KeyRing
from dsar.domain import Status, SubjectIdentity
from dsar.group import GroupRegistry
from dsar.messages.activity_names import Activity
from dsar.messages.collection import CollectionPlan, CompanyTarget
from dsar.messages.intake import RightsRequestInput, StatusChange


def seal_subject(ring: KeyRing, reference: str, subject: SubjectIdentity) -> tuple[str, bytes]:
    # The reference is bound in as associated data, so a sealed identity cannot be
    # copied onto another request's row and still open.
    return ring.encrypt(subject.model_dump_json().encode(), reference.encode())


async def load_subject(conn: Conn, ring: KeyRing, reference: str) -> SubjectIdentity:
    row = await conn.fetchrow(
        "SELECT subject_key_id, subject_ciphertext FROM requests WHERE reference = $1", reference
    )
    if row is None:
        raise ApplicationError(f"unknown request {reference}", type="InvalidRequestError", non_retryable=True)
    plain = ring.decrypt(row["subject_key_id"], row["subject_ciphertext"], reference.encode())
    return SubjectIdentity.model_validate(json.loads(plain))


class CaseStoreActivities:
    def __init__(
        self, pool: asyncpg.Pool, ring: KeyRing, registry: GroupRegistry, queue_suffix: str = ""
    ) -> None:
        self._pool = pool
        self._ring = ring
        self._registry = registry
        # Tests run each company worker on a fresh queue; production uses the plain names.
        self._queue_suffix = queue_suffix

    @activity.defn(name=Activity.REGISTER_REQUEST)
    async def register_request(self, req: RightsRequestInput) -> None:
        sub = req.submission
        key_id, sealed = seal_subject(self._ring, req.reference, sub.subject)
        async with self._pool.acquire() as conn, conn.transaction():
            inserted = await conn.fetchval(
                "INSERT INTO requests (reference, rights, jurisdiction, language, channel,"
                " received_on, status, subject_key_id, subject_ciphertext, email_lookup)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                " ON CONFLICT (reference) DO NOTHING RETURNING reference",
                req.reference,
                [r.value for r in sub.rights],
                sub.jurisdiction,
                sub.language.value,
                sub.channel.value,
                sub.received_on,
                Status.RECEIVED.value,
                key_id,
                sealed,
                self._ring.lookup_hash(sub.subject.email),
            )
            if inserted:
                await append_audit(
                    conn,
                    reference=req.reference,
                    actor=req.submitted_by,
                    action="request.registered",
                    details={"rights": [r.value for r in sub.rights], "channel": sub.channel.value},
                    idempotency_key=f"{req.reference}:registered",
                )

    @activity.defn(name=Activity.RECORD_STATUS)
    async def record_status(self, change: StatusChange) -> None:
        closed = not change.status.is_open
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "UPDATE requests SET status = $2, due_on = $3, extended = $5, updated_at = now(),"
                " closed_at = CASE WHEN $4 THEN coalesce(closed_at, now()) END"
                " WHERE reference = $1",
                change.reference,
                change.status.value,
                change.due_on,
                closed,
                change.extended,
            )
            await append_audit(
                conn,
                reference=change.reference,
                actor=change.actor,
                action=change.action or f"status.{change.status.value}",
                details=dict(change.details),
                idempotency_key=f"{change.reference}:{change.action or 'status.' + change.status.value}"
                f":{change.occasion}",
            )

    @activity.defn(name=Activity.PLAN_COLLECTION)
    async def plan_collection(self, reference: str) -> CollectionPlan:
        # Read from configuration at run time and recorded in history, so a company added
        # to the registry later does not change the plan of a request already running.
        return CollectionPlan(
            companies=[
                CompanyTarget(
                    code=c.code, legal_name=c.legal_name, task_queue=c.task_queue + self._queue_suffix
                )
                for c in self._registry.companies
            ]
        )

"""Identity verification: what the group already holds about the claimed identity, and one-time codes.

We only ever ask for what matches data already held: the claimed identity (e-mail, phone,
customer number, national id) is looked up in the companies' customer records, and a code
goes only to an e-mail address those records already hold for the person. Nothing new is
asked of the person, and no address they just gave us receives a code unless the group
already knew it; an address the group does not hold makes the request sensitive, and the
privacy team then checks a document instead.

The lookup runs on each company's own queue, inside that company, because only that
company's worker holds the connection settings of its systems (the control worker holds
none, by design). It reads customer-account tables only, through the registry's mappings:
those are the records a customer relationship keeps up to date. Marketing lists and
data-broker leads also hold addresses, but nobody confirmed them, so a code sent there
would prove nothing. The lookup returns counts and a yes/no, never an address.

Codes are made here with `secrets`, stored as scrypt hashes, and sealed only until their
e-mail is confirmed sent (as download codes are, `activities.delivery`): a retried send
mails the same code. The code is checked outside the workflow, by the CLI or the
verification page, against the case store, one guess at a time per code (a row lock), and
every refused guess is audited without the code. The workflow learns of a right code by an
Update carrying only the code's id, and an activity confirms it with the case store.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import asyncpg
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.case_store import load_subject
from activities.collect_postgres import match_clauses
from casestore.audit import append_audit
from casestore.db import Conn, quote_ident
from dsar.codec import KeyRing
from dsar.domain import IdentityKey
from dsar.download_links import code_matches, hash_code, new_code, normalise_code
from dsar.group import Category, GroupRegistry, SystemKind
from dsar.identity_links import IDENTITY_CODE_DIGITS, ChallengeClaims
from dsar.messages import Activity, ConfirmIdentityCodeInput, FindHeldContactsInput, HeldContacts

log = structlog.get_logger(__name__)

# Tables whose rows are customer accounts: the addresses the group keeps for its customers.
CONTACT_CATEGORIES = frozenset({Category.CUSTOMER_ACCOUNT})


# --- what the group holds -------------------------------------------------------------


class HeldContactFinder:
    """Runs inside one company: `sources` holds pools for that company's databases only."""

    def __init__(
        self,
        case_pool: asyncpg.Pool,
        ring: KeyRing,
        registry: GroupRegistry,
        sources: Mapping[str, asyncpg.Pool],
    ) -> None:
        self._case_pool = case_pool
        self._ring = ring
        self._registry = registry
        self._sources = sources

    @activity.defn(name=Activity.FIND_HELD_CONTACTS)
    async def find_held_contacts(self, inp: FindHeldContactsInput) -> HeldContacts:
        """Read-only and without side effects, so a retry simply asks again."""
        async with self._case_pool.acquire() as case:
            subject = await load_subject(case, self._ring, inp.reference)
        keys = subject.search_keys()
        records = 0
        email_held = False
        company = self._registry.company(inp.company)
        for system in company.systems:
            pool = self._sources.get(system.connection or "")
            if system.kind is not SystemKind.POSTGRES or pool is None:
                continue
            for mapping in system.tables:
                if mapping.category not in CONTACT_CATEGORIES:
                    continue
                args: list[Any] = []
                clauses = match_clauses(mapping, keys, args)
                if not clauses:
                    continue
                by_email = next((expr for key, expr in clauses if key is IdentityKey.EMAIL), "false")
                where = " OR ".join(expr for _, expr in clauses)
                sql = (
                    f"SELECT count(*) AS records, count(*) FILTER (WHERE {by_email}) AS by_email"  # noqa: S608
                    f" FROM {quote_ident(mapping.table)} AS src WHERE {where}"
                )
                async with pool.acquire() as src:
                    row = await src.fetchrow(sql, *args)
                assert row is not None
                records += int(row["records"])
                email_held = email_held or int(row["by_email"]) > 0
        log.info("identity.records_searched", reference=inp.reference, company=inp.company, records=records)
        return HeldContacts(company=inp.company, customer_records=records, email_held=email_held)


# --- one-time codes -------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedChallenge:
    claims: ChallengeClaims
    reference: str
    occasion: str
    max_attempts: int


def _sealing_context(challenge_id: uuid.UUID) -> bytes:
    return b"identity-code:" + challenge_id.bytes


async def ensure_challenge(
    conn: Conn, ring: KeyRing, reference: str, occasion: str, minutes: int, max_attempts: int
) -> IssuedChallenge:
    """The code of this occasion, made now if it does not exist yet; repeated calls agree.

    The expiry counts from when the code is made (its e-mail goes out at once), not from
    the workflow's time, since the person's clock is the real one."""
    existing = await _challenge(conn, reference, occasion)
    if existing is not None:
        return existing
    code = new_code(IDENTITY_CODE_DIGITS)
    code_hash = await asyncio.to_thread(hash_code, code)  # scrypt: keep it off the event loop
    challenge_id = uuid.uuid4()
    key_id, sealed = ring.encrypt(code.encode("ascii"), _sealing_context(challenge_id))
    expires_at = datetime.fromtimestamp(
        int((datetime.now(UTC) + timedelta(minutes=minutes)).timestamp()), UTC
    )
    async with conn.transaction():
        inserted = await conn.fetchval(
            "INSERT INTO identity_challenges (id, reference, occasion, code_hash, code_key_id, code_sealed,"
            " expires_at, max_attempts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            " ON CONFLICT (reference, occasion) DO NOTHING RETURNING id",
            challenge_id,
            reference,
            occasion,
            code_hash,
            key_id,
            sealed,
            expires_at,
            max_attempts,
        )
        if inserted is not None:
            await conn.execute(
                "UPDATE identity_challenges SET revoked_at = now()"
                " WHERE reference = $1 AND id <> $2 AND revoked_at IS NULL",
                reference,
                challenge_id,
            )
            await append_audit(
                conn,
                reference=reference,
                actor="dsar-identity",
                action="identity.code_issued",
                details={
                    "challenge": str(challenge_id),
                    "occasion": occasion,
                    "expires_at": expires_at.isoformat(),
                },
                idempotency_key=f"{reference}:identity-code:{occasion}",
            )
        challenge = await _challenge(conn, reference, occasion)
    assert challenge is not None
    return challenge


async def _challenge(conn: Conn, reference: str, occasion: str) -> IssuedChallenge | None:
    row = await conn.fetchrow(
        "SELECT id, expires_at, max_attempts FROM identity_challenges WHERE reference = $1 AND occasion = $2",
        reference,
        occasion,
    )
    if row is None:
        return None
    return IssuedChallenge(
        claims=ChallengeClaims(challenge_id=row["id"], expires_at=row["expires_at"]),
        reference=reference,
        occasion=occasion,
        max_attempts=int(row["max_attempts"]),
    )


async def sealed_identity_code(conn: Conn, ring: KeyRing, challenge: IssuedChallenge) -> str:
    row = await conn.fetchrow(
        "SELECT code_key_id, code_sealed FROM identity_challenges WHERE id = $1",
        challenge.claims.challenge_id,
    )
    if row is None or row["code_sealed"] is None:
        # Only if the row was changed by hand: a code that cannot match would only confuse
        # the person. `dsar send-code` makes a new one.
        raise ApplicationError(
            "the identity code of this occasion is no longer held",
            type="InvalidRequestError",
            non_retryable=True,
        )
    plain: bytes = ring.decrypt(
        row["code_key_id"], row["code_sealed"], _sealing_context(challenge.claims.challenge_id)
    )
    return plain.decode()


async def forget_identity_code(conn: Conn, reference: str, occasion: str) -> None:
    """Once its e-mail is sent, only the hash of the code remains."""
    await conn.execute(
        "UPDATE identity_challenges SET code_key_id = NULL, code_sealed = NULL"
        " WHERE reference = $1 AND occasion = $2",
        reference,
        occasion,
    )


class CodeOutcome(StrEnum):
    VERIFIED = "verified"
    UNKNOWN_REFERENCE = "unknown_reference"  # no request with that reference
    NO_CODE = "no_code"  # the request exists, but no code was ever sent for it
    ALREADY_VERIFIED = "already_verified"
    REPLACED = "replaced"  # a newer code was sent; only that one works
    EXPIRED = "expired"
    LOCKED = "locked"  # too many wrong codes
    CODE_MISSING = "code_missing"  # what was typed cannot be a code; not counted as a try
    CODE_WRONG = "code_wrong"


# What the privacy team (CLI) is told; the page says the same in the person's language.
OUTCOME_MESSAGES = {
    CodeOutcome.VERIFIED: "the code is right",
    CodeOutcome.UNKNOWN_REFERENCE: "no request with that reference",
    CodeOutcome.NO_CODE: "no code was sent for this request; it needs another way of confirming identity",
    CodeOutcome.ALREADY_VERIFIED: "this code has already been used",
    CodeOutcome.REPLACED: "a newer code has been sent; only the most recent code works",
    CodeOutcome.EXPIRED: "the code has expired; send a new one with dsar send-code",
    CodeOutcome.LOCKED: "too many wrong codes: this code is locked; send a new one with dsar send-code",
    CodeOutcome.CODE_MISSING: f"a code is {IDENTITY_CODE_DIGITS} digits",
    CodeOutcome.CODE_WRONG: "the code is wrong",
}


@dataclass(frozen=True)
class CodeCheck:
    outcome: CodeOutcome
    reference: str | None = None
    challenge_id: uuid.UUID | None = None
    attempts_left: int | None = None
    expires_at: datetime | None = None
    language: str = "sv"

    @property
    def message(self) -> str:
        text = OUTCOME_MESSAGES[self.outcome]
        if self.outcome is CodeOutcome.CODE_WRONG and self.attempts_left is not None:
            text += f" ({self.attempts_left} {'try' if self.attempts_left == 1 else 'tries'} left)"
        return text


async def check_identity_code(
    conn: Conn,
    *,
    typed: str | None,
    via: str,
    actor: str,
    now: datetime,
    reference: str | None = None,
    challenge_id: uuid.UUID | None = None,
) -> CodeCheck:
    """Check a typed code against the request's latest code (by reference) or one code (by id).

    Only a right code changes anything (the code is marked entered); a wrong one counts a
    try and may lock the code. Every refusal is audited with its reason, never the code."""
    async with conn.transaction():
        if challenge_id is not None:
            row = await conn.fetchrow(
                "SELECT c.*, r.language FROM identity_challenges c JOIN requests r USING (reference)"
                " WHERE c.id = $1 FOR UPDATE OF c",
                challenge_id,
            )
        else:
            row = await conn.fetchrow(
                "SELECT c.*, r.language FROM identity_challenges c JOIN requests r USING (reference)"
                " WHERE c.reference = $1 ORDER BY c.created_at DESC LIMIT 1 FOR UPDATE OF c",
                reference,
            )
        if row is None:
            known = reference is not None and await conn.fetchval(
                "SELECT 1 FROM requests WHERE reference = $1", reference
            )
            outcome = CodeOutcome.NO_CODE if known else CodeOutcome.UNKNOWN_REFERENCE
            details: dict[str, Any] = {"reason": outcome.value, "via": via}
            if not known and reference is not None:
                details["reference_given"] = reference
            await append_audit(
                conn,
                reference=reference if known else None,
                actor=actor,
                action="identity.code_refused",
                details=details,
            )
            return CodeCheck(outcome, reference=reference if known else None)
        check = await _judge(conn, row, typed, via, actor, now)
    return check


async def _judge(
    conn: Conn, row: asyncpg.Record, typed: str | None, via: str, actor: str, now: datetime
) -> CodeCheck:
    ref, cid = row["reference"], row["id"]
    base = {
        "reference": ref,
        "challenge_id": cid,
        "expires_at": row["expires_at"],
        "language": row["language"],
    }
    attempts, limit = int(row["attempts"]), int(row["max_attempts"])
    outcome: CodeOutcome | None = None
    if row["verified_at"] is not None:
        outcome = CodeOutcome.ALREADY_VERIFIED
    elif row["revoked_at"] is not None:
        outcome = CodeOutcome.REPLACED
    elif row["locked_at"] is not None:
        outcome = CodeOutcome.LOCKED
    elif now >= row["expires_at"]:
        outcome = CodeOutcome.EXPIRED
    code = normalise_code(typed, IDENTITY_CODE_DIGITS)
    if outcome is None and code is None:
        outcome = CodeOutcome.CODE_MISSING
    audit: dict[str, Any] = {"challenge": str(cid), "via": via}
    if outcome is None:
        assert code is not None
        if await asyncio.to_thread(code_matches, code, row["code_hash"]):
            await conn.execute(
                "UPDATE identity_challenges SET verified_at = now(), verified_via = $2 WHERE id = $1",
                cid,
                via,
            )
            await append_audit(
                conn, reference=ref, actor=actor, action="identity.code_entered", details=audit
            )
            return CodeCheck(CodeOutcome.VERIFIED, **base)
        attempts += 1
        locked = attempts >= limit
        await conn.execute(
            "UPDATE identity_challenges SET attempts = $2, locked_at = CASE WHEN $3 THEN now() END"
            " WHERE id = $1",
            cid,
            attempts,
            locked,
        )
        outcome = CodeOutcome.LOCKED if locked else CodeOutcome.CODE_WRONG
    await append_audit(
        conn,
        reference=ref,
        actor=actor,
        action="identity.code_refused",
        details=audit | {"reason": outcome.value, "attempts": attempts},
    )
    left = max(limit - attempts, 0) if outcome is CodeOutcome.CODE_WRONG else None
    return CodeCheck(outcome, attempts_left=left, **base)


class IdentityActivities:
    """Control-queue side: the workflow's check that a code really was entered."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn(name=Activity.CONFIRM_IDENTITY_CODE)
    async def confirm_identity_code(self, inp: ConfirmIdentityCodeInput) -> bool:
        """The case store is the authority: an Update naming a code nobody entered is refused."""
        try:
            challenge_id = uuid.UUID(inp.challenge)
        except ValueError:
            challenge_id = None
        async with self._pool.acquire() as conn:
            row = None
            if challenge_id is not None:
                row = await conn.fetchrow(
                    "UPDATE identity_challenges SET forwarded_at = coalesce(forwarded_at, now())"
                    " WHERE id = $1 AND reference = $2 AND verified_at IS NOT NULL RETURNING id",
                    challenge_id,
                    inp.reference,
                )
        if row is None:
            raise ApplicationError(
                "no right code has been entered for this request",
                type="InvalidRequestError",
                non_retryable=True,
            )
        return True

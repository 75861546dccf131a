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

Codes live by the lifecycle download codes share (`casestore.one_time_codes`): made with
`secrets`, stored as scrypt hashes, sealed only until their e-mail is confirmed sent, so a
retried send mails the same code. The code is checked outside the workflow, by the CLI or
the verification page, against the case store, one guess at a time per code (a row lock),
and every refused guess is audited without the code. The workflow learns of a right code by an
Update carrying only the code's id, and an activity confirms it with the case store.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities._heartbeat import heartbeating
from activities.case_store import load_subject
from activities.collect_postgres import match_clauses
from casestore.db import Conn, quote_ident
from casestore.one_time_codes import IDENTITY_CODES, find_code, forget_code, issue_code, unseal_code

# Checking a code is shared by the CLI and the verification page; the CLI imports it from here.
from casestore.one_time_codes import OUTCOME_MESSAGES as OUTCOME_MESSAGES
from casestore.one_time_codes import CodeCheck as CodeCheck
from casestore.one_time_codes import CodeOutcome as CodeOutcome
from casestore.one_time_codes import check_identity_code as check_identity_code
from dsar.codec import KeyRing
from dsar.domain import IdentityKey
from dsar.group import Category, GroupRegistry, SystemKind
from dsar.identity_links import ChallengeClaims
from dsar.messages.activity_names import Activity
from dsar.messages.identity import ConfirmIdentityCodeInput, FindHeldContactsInput, HeldContacts

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
    @heartbeating
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


# --- one-time codes (the lifecycle is casestore.one_time_codes, shared with download codes) ---


@dataclass(frozen=True)
class IssuedChallenge:
    claims: ChallengeClaims
    reference: str
    occasion: str
    max_attempts: int


async def ensure_challenge(
    conn: Conn, ring: KeyRing, reference: str, occasion: str, minutes: int, max_attempts: int
) -> IssuedChallenge:
    """The code of this occasion, made now if it does not exist yet; repeated calls agree.

    The expiry counts from when the code is made (its e-mail goes out at once), not from
    the workflow's time, since the person's clock is the real one."""
    row = await find_code(conn, IDENTITY_CODES, reference, occasion)
    if row is None:
        row = await issue_code(
            conn,
            ring,
            IDENTITY_CODES,
            reference,
            occasion,
            timedelta(minutes=minutes),
            {"max_attempts": max_attempts},
        )
    return IssuedChallenge(
        claims=ChallengeClaims(challenge_id=row["id"], expires_at=row["expires_at"]),
        reference=reference,
        occasion=occasion,
        max_attempts=int(row["max_attempts"]),
    )


async def sealed_identity_code(conn: Conn, ring: KeyRing, challenge: IssuedChallenge) -> str:
    code = await unseal_code(conn, ring, IDENTITY_CODES, challenge.claims.challenge_id)
    if code is None:
        # Only if the row was changed by hand: a code that cannot match would only confuse
        # the person. `dsar send-code` makes a new one.
        raise ApplicationError(
            "the identity code of this occasion is no longer held",
            type="InvalidRequestError",
            non_retryable=True,
        )
    return code


async def forget_identity_code(conn: Conn, reference: str, occasion: str) -> None:
    """Once its e-mail is sent, only the hash of the code remains."""
    await forget_code(conn, IDENTITY_CODES, reference, occasion)


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

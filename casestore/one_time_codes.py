"""One-time codes: made, sealed until their e-mail is sent, checked one guess at a time, forgotten.

Two kinds of code share this lifecycle, each in its own table: download codes
(`download_links`, 8 digits, five tries per link) and identity codes
(`identity_challenges`, 6 digits, the tries each code allows). Written once, so the
rules cannot drift apart:
- made with `secrets`, stored as an scrypt hash (`dsar.download_links`), one code per
  (reference, occasion); a newer code retires the ones before it;
- a sealed copy (AES-GCM, the codec key ring, bound to the code's id) lives only until the
  code's e-mail is confirmed sent, so a retried send mails the same code;
- a guess is judged by the database's SECURITY DEFINER function `code_guess` (migration
  0010), the one way to count a try, lock a code or mark it entered: the public pages'
  role cannot read a code's hash nor write those columns. The caller hashes what was
  typed with the code's salt (`code_salt`) and the function compares, with the row
  locked, so parallel guesses cannot pass the limit; only a wrong code is counted, and
  the last allowed wrong code locks it; what was typed is never stored or audited.

Identity codes are also checked here by the CLI (`dsar verify --code`) and the
verification page alike (`check_identity_code`), so both say the same thing.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import asyncpg
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from casestore.audit import append_audit
from casestore.db import Conn
from dsar.codec import KeyRing
from dsar.download_links import CODE_DIGITS, MAX_ATTEMPTS, hash_code, new_code, normalise_code
from dsar.identity_links import IDENTITY_CODE_DIGITS


@dataclass(frozen=True)
class CodeKind:
    """Where one kind of code lives and how its issue is audited."""

    table: str
    seal_label: bytes  # binds a sealed code to its kind and id
    digits: int
    issuer: str  # the audit actor that issues codes of this kind
    issued_action: str
    audit_id: str  # the audit details' name for the code's id
    idempotency_tag: str
    max_attempts: int | None = None  # None: each code's own `max_attempts` column
    used_column: str | None = None  # set once a right code is spent; None: reusable until it expires
    sql_kind: str = ""  # the kind's name in code_salt/code_guess
    # What the public pages may read of a row: everything but the code's hash and sealed copy.
    public_columns: tuple[str, ...] = ()

    def sealing_context(self, code_id: uuid.UUID) -> bytes:
        return self.seal_label + code_id.bytes


DOWNLOAD_CODES = CodeKind(
    table="download_links",
    seal_label=b"download-code:",
    digits=CODE_DIGITS,
    issuer="dsar-delivery",
    issued_action="download.link_issued",
    audit_id="link",
    idempotency_tag="download-link",
    max_attempts=MAX_ATTEMPTS,
    sql_kind="download",
    public_columns=(
        "id",
        "reference",
        "artefact_id",
        "occasion",
        "expires_at",
        "attempts",
        "locked_at",
        "revoked_at",
        "downloads",
        "created_at",
        "code_used_at",
    ),
)
IDENTITY_CODES = CodeKind(
    table="identity_challenges",
    seal_label=b"identity-code:",
    digits=IDENTITY_CODE_DIGITS,
    issuer="dsar-identity",
    issued_action="identity.code_issued",
    audit_id="challenge",
    idempotency_tag="identity-code",
    used_column="verified_at",
    sql_kind="identity",
    public_columns=(
        "id",
        "reference",
        "occasion",
        "expires_at",
        "max_attempts",
        "attempts",
        "locked_at",
        "revoked_at",
        "verified_at",
        "verified_via",
        "forwarded_at",
        "created_at",
    ),
)


# --- making, sealing and forgetting ------------------------------------------------------


async def find_code(conn: Conn, kind: CodeKind, reference: str, occasion: str) -> asyncpg.Record | None:
    """The code of this occasion, if one was issued."""
    return await conn.fetchrow(
        f"SELECT * FROM {kind.table} WHERE reference = $1 AND occasion = $2",  # noqa: S608 - a fixed table
        reference,
        occasion,
    )


async def issue_code(
    conn: Conn,
    ring: KeyRing,
    kind: CodeKind,
    reference: str,
    occasion: str,
    lifetime: timedelta,
    columns: Mapping[str, Any] | None = None,
) -> asyncpg.Record:
    """Make the code of this occasion and retire the request's earlier codes; the row either way.

    Callers look with `find_code` first; if a concurrent call made the code in between,
    that one stands and is returned. The expiry counts from now in whole seconds (a token
    carries it as a Unix time): the person's clock is the real one, not the workflow's."""
    code = new_code(kind.digits)
    code_hash = await asyncio.to_thread(hash_code, code)  # scrypt: keep it off the event loop
    code_id = uuid.uuid4()
    key_id, sealed = ring.encrypt(code.encode("ascii"), kind.sealing_context(code_id))
    expires_at = datetime.fromtimestamp(int((datetime.now(UTC) + lifetime).timestamp()), UTC)
    values: dict[str, Any] = {
        "id": code_id,
        "reference": reference,
        "occasion": occasion,
        **(columns or {}),
        "code_hash": code_hash,
        "code_key_id": key_id,
        "code_sealed": sealed,
        "expires_at": expires_at,
    }
    names = ", ".join(values)
    params = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    async with conn.transaction():
        inserted = await conn.fetchval(
            f"INSERT INTO {kind.table} ({names}) VALUES ({params})"  # noqa: S608 - fixed names
            " ON CONFLICT (reference, occasion) DO NOTHING RETURNING id",
            *values.values(),
        )
        if inserted is not None:
            await conn.execute(
                f"UPDATE {kind.table} SET revoked_at = now()"  # noqa: S608 - a fixed table
                " WHERE reference = $1 AND id <> $2 AND revoked_at IS NULL",
                reference,
                code_id,
            )
            await append_audit(
                conn,
                reference=reference,
                actor=kind.issuer,
                action=kind.issued_action,
                details={
                    kind.audit_id: str(code_id),
                    "occasion": occasion,
                    "expires_at": expires_at.isoformat(),
                },
                idempotency_key=f"{reference}:{kind.idempotency_tag}:{occasion}",
            )
        row = await find_code(conn, kind, reference, occasion)
    assert row is not None
    return row


async def unseal_code(conn: Conn, ring: KeyRing, kind: CodeKind, code_id: uuid.UUID) -> str | None:
    """The code in clear, for its e-mail; None once it was forgotten (or the row is gone)."""
    row = await conn.fetchrow(
        f"SELECT code_key_id, code_sealed FROM {kind.table} WHERE id = $1",  # noqa: S608 - a fixed table
        code_id,
    )
    if row is None or row["code_sealed"] is None:
        return None
    plain: bytes = ring.decrypt(row["code_key_id"], row["code_sealed"], kind.sealing_context(code_id))
    return plain.decode()


async def forget_code(conn: Conn, kind: CodeKind, reference: str, occasion: str) -> None:
    """Once its e-mail is sent, only the hash of the code remains."""
    await conn.execute(
        f"UPDATE {kind.table} SET code_key_id = NULL, code_sealed = NULL"  # noqa: S608 - a fixed table
        " WHERE reference = $1 AND occasion = $2",
        reference,
        occasion,
    )


# --- checking -------------------------------------------------------------------------


class CodeOutcome(StrEnum):
    VERIFIED = "verified"  # the code is right
    UNKNOWN_REFERENCE = "unknown_reference"  # no request with that reference
    NO_CODE = "no_code"  # the request exists, but no code was ever sent for it
    ALREADY_VERIFIED = "already_verified"
    REPLACED = "replaced"  # a newer code was sent; only that one works
    EXPIRED = "expired"
    LOCKED = "locked"  # too many wrong codes
    CODE_MISSING = "code_missing"  # what was typed cannot be a code; not counted as a try
    CODE_WRONG = "code_wrong"


def code_state(kind: CodeKind, row: asyncpg.Record, now: datetime) -> CodeOutcome | None:
    """Why this code can no longer be used, or None while it can. Reads only."""
    if kind.used_column is not None and row[kind.used_column] is not None:
        return CodeOutcome.ALREADY_VERIFIED
    if row["revoked_at"] is not None:
        return CodeOutcome.REPLACED
    if row["locked_at"] is not None:
        return CodeOutcome.LOCKED
    if now >= row["expires_at"]:
        return CodeOutcome.EXPIRED
    return None


async def lock_code(conn: Conn, kind: CodeKind, code_id: uuid.UUID) -> asyncpg.Record | None:
    """The code's row as the pages may see it; `code_guess` locks it for the guess itself."""
    return await conn.fetchrow(
        f"SELECT {', '.join(kind.public_columns)} FROM {kind.table} WHERE id = $1",  # noqa: S608 - fixed names
        code_id,
    )


def hash_with(params: str, code: str) -> str:
    """`code` hashed with a stored hash's scheme, cost and salt (`code_salt`'s answer), in the
    stored form, so `code_guess` can compare without the caller ever reading the hash."""
    scheme, n, r, p, salt = params.split("$")
    if scheme != "scrypt":
        raise ValueError("unknown code hash scheme")
    kdf = Scrypt(salt=base64.urlsafe_b64decode(salt), length=32, n=int(n), r=int(r), p=int(p))
    digest = kdf.derive(code.encode("ascii"))
    return f"{params}${base64.urlsafe_b64encode(digest).decode()}"


@dataclass(frozen=True)
class Guess:
    outcome: CodeOutcome  # VERIFIED, CODE_WRONG, CODE_MISSING, or why the code is unusable
    attempts: int  # wrong codes so far, this one included
    attempts_left: int | None = None  # after a wrong code that did not lock
    locked_now: bool = False  # this guess was the last one allowed


async def guess_code(
    conn: Conn,
    kind: CodeKind,
    row: asyncpg.Record,
    typed: str | None,
    now: datetime,
    *,
    via: str | None = None,
) -> Guess:
    """One guess at a code, judged by `code_guess` in the database (the row locked there).

    A wrong code is counted and may lock the code; a right identity code is marked entered
    (with `via`); nothing else changes here. `row` (what the caller read) only spares the
    hashing when the code is plainly unusable. What was typed is neither stored nor returned."""
    outcome = code_state(kind, row, now)
    if outcome is not None:
        return Guess(outcome, int(row["attempts"]))
    code = normalise_code(typed, kind.digits)
    candidate = None
    if code is not None:
        params = await conn.fetchval("SELECT code_salt($1, $2)", kind.sql_kind, row["id"])
        if params is not None:
            candidate = await asyncio.to_thread(hash_with, params, code)  # scrypt: off the event loop
    judged = await conn.fetchrow(
        "SELECT * FROM code_guess($1, $2, $3, $4, $5)", kind.sql_kind, row["id"], candidate, via, now
    )
    assert judged is not None
    if judged["outcome"] == "not_found":
        return Guess(CodeOutcome.NO_CODE, 0)
    return Guess(
        CodeOutcome(judged["outcome"]),
        int(judged["attempts"]),
        attempts_left=judged["attempts_left"],
        locked_now=bool(judged["locked_now"]),
    )


# --- identity codes: the CLI and the verification page ------------------------------------


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


_IDENTITY_COLUMNS = ", ".join("c." + c for c in IDENTITY_CODES.public_columns)
_IDENTITY_FROM = " FROM identity_challenges c JOIN requests r USING (reference)"
_IDENTITY_ROW = f"SELECT {_IDENTITY_COLUMNS}, r.language" + _IDENTITY_FROM


def _identity_check(row: asyncpg.Record, outcome: CodeOutcome, attempts_left: int | None = None) -> CodeCheck:
    return CodeCheck(
        outcome,
        reference=row["reference"],
        challenge_id=row["id"],
        attempts_left=attempts_left,
        expires_at=row["expires_at"],
        language=row["language"],
    )


async def identity_code_state(conn: Conn, challenge_id: uuid.UUID, now: datetime) -> CodeCheck | None:
    """What the page shows before anything is typed: nothing is counted or changed.

    CODE_MISSING means the code still waits to be entered; None, that no such code exists."""
    row = await conn.fetchrow(_IDENTITY_ROW + " WHERE c.id = $1", challenge_id)
    if row is None:
        return None
    return _identity_check(row, code_state(IDENTITY_CODES, row, now) or CodeOutcome.CODE_MISSING)


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

    Only a right code changes anything (`code_guess` marks it entered); a wrong one counts a
    try and may lock the code. Every refusal is audited with its reason, never the code."""
    async with conn.transaction():
        if challenge_id is not None:
            row = await conn.fetchrow(_IDENTITY_ROW + " WHERE c.id = $1", challenge_id)
        else:
            row = await conn.fetchrow(
                _IDENTITY_ROW + " WHERE c.reference = $1 ORDER BY c.created_at DESC LIMIT 1",
                reference,
            )
        if row is None:
            return await _refuse_unknown(conn, reference, via, actor)
        guess = await guess_code(conn, IDENTITY_CODES, row, typed, now, via=via)
        audit: dict[str, Any] = {"challenge": str(row["id"]), "via": via}
        if guess.outcome is CodeOutcome.VERIFIED:  # marked entered by code_guess
            await append_audit(
                conn, reference=row["reference"], actor=actor, action="identity.code_entered", details=audit
            )
        else:
            await append_audit(
                conn,
                reference=row["reference"],
                actor=actor,
                action="identity.code_refused",
                details=audit | {"reason": guess.outcome.value, "attempts": guess.attempts},
            )
    return _identity_check(row, guess.outcome, guess.attempts_left)


async def _refuse_unknown(conn: Conn, reference: str | None, via: str, actor: str) -> CodeCheck:
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

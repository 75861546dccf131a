"""Least privilege in the case store: each component's role holds only what it needs.

The public pages' role cannot mark a code entered (or count tries, or read a code's hash):
`code_guess`, a SECURITY DEFINER function that compares a typed code with the stored
hash, is the one way. A company worker's role sees and writes only its company's rows.
Real PostgreSQL, each component's own login (tests.conftest.prepare_case_store)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from casestore.db import init_connection
from casestore.one_time_codes import (
    DOWNLOAD_CODES,
    IDENTITY_CODES,
    CodeOutcome,
    check_identity_code,
    guess_code,
    issue_code,
    lock_code,
    unseal_code,
)
from dsar.codec import KeyRing
from tests.conftest import Servers, prepare_case_store

REFERENCE = "DSAR-2026-000777"
INSERT_RESULT = (
    "INSERT INTO collection_results (reference, company, system, status) VALUES ($1, $2, $s, 'done')"
)


@dataclass
class Db:
    dsns: dict[str, str]
    admin: asyncpg.Connection[Any]


async def connect(dsn: str) -> asyncpg.Connection[Any]:
    conn = await asyncpg.connect(dsn)
    await init_connection(conn)
    return conn


@pytest_asyncio.fixture
async def db(servers: Servers) -> AsyncIterator[Db]:
    name = f"roles_{uuid.uuid4().hex[:10]}"
    servers.postgres.create_database(name)
    dsns = await prepare_case_store(servers.postgres, name)
    admin = await connect(servers.postgres.dsn(name))
    await admin.execute(
        "INSERT INTO requests (reference, rights, jurisdiction, language, channel, received_on, status,"
        " subject_key_id, subject_ciphertext, email_lookup)"
        " VALUES ($1, '{access}', 'SE', 'en', 'email', current_date, 'identity', 'k1', '\\x00', 'x')",
        REFERENCE,
    )
    try:
        yield Db(dsns, admin)
    finally:
        await admin.close()


async def test_the_public_role_cannot_mark_a_code_entered_and_code_guess_is_the_one_way(
    db: Db, ring: KeyRing
) -> None:
    control = await connect(db.dsns["control"])
    public = await connect(db.dsns["public"])
    try:
        row = await issue_code(
            control, ring, IDENTITY_CODES, REFERENCE, "first", timedelta(hours=1), {"max_attempts": 3}
        )
        code = await unseal_code(control, ring, IDENTITY_CODES, row["id"])
        assert code is not None
        for sql in (
            "UPDATE identity_challenges SET verified_at = now() WHERE id = $1",
            "UPDATE identity_challenges SET attempts = 0, locked_at = NULL WHERE id = $1",
            "SELECT code_hash FROM identity_challenges WHERE id = $1",
            "SELECT code_sealed FROM identity_challenges WHERE id = $1",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await public.execute(sql, row["id"])
        # Nor may the control worker, nor the team's CLI, set it by hand.
        for dsn in (db.dsns["control"], db.dsns["team"]):
            other = await connect(dsn)
            try:
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await other.execute(
                        "UPDATE identity_challenges SET verified_at = now() WHERE id = $1", row["id"]
                    )
            finally:
                await other.close()

        # A wrong code through the function: counted, not marked.
        now = datetime.now(UTC)
        wrong = "000000" if code != "000000" else "111111"
        check = await check_identity_code(
            public, typed=wrong, via="page", actor="page", now=now, challenge_id=row["id"]
        )
        assert (check.outcome, check.attempts_left) == (CodeOutcome.CODE_WRONG, 2)
        # A clock set back cannot revive an expired code: the function's clock only moves forward.
        await db.admin.execute("UPDATE identity_challenges SET expires_at = now() - interval '1 second'")
        check = await check_identity_code(
            public, typed=code, via="page", actor="page", now=now - timedelta(days=1), challenge_id=row["id"]
        )
        assert check.outcome is CodeOutcome.EXPIRED
        await db.admin.execute("UPDATE identity_challenges SET expires_at = now() + interval '1 hour'")
        # The right code: the function marks it entered.
        check = await check_identity_code(
            public, typed=code, via="page", actor="page", now=now, challenge_id=row["id"]
        )
        assert check.outcome is CodeOutcome.VERIFIED
        marked = await db.admin.fetchrow(
            "SELECT verified_at, verified_via, attempts FROM identity_challenges"
        )
        assert marked is not None and marked["verified_at"] is not None
        assert (marked["verified_via"], marked["attempts"]) == ("page", 1)
        again = await check_identity_code(
            public, typed=code, via="page", actor="page", now=now, challenge_id=row["id"]
        )
        assert again.outcome is CodeOutcome.ALREADY_VERIFIED
    finally:
        await control.close()
        await public.close()


async def test_download_codes_are_counted_and_locked_only_by_the_function(db: Db, ring: KeyRing) -> None:
    artefact = uuid.uuid4()
    await db.admin.execute(
        "INSERT INTO artefacts (id, reference, kind, bucket, s3_key, sha256, bytes)"
        " VALUES ($1, $2, 'package', 'b', 'k', 's', 1)",
        artefact,
        REFERENCE,
    )
    control = await connect(db.dsns["control"])
    public = await connect(db.dsns["public"])
    try:
        row = await issue_code(
            control, ring, DOWNLOAD_CODES, REFERENCE, "delivery", timedelta(days=1), {"artefact_id": artefact}
        )
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await public.execute(
                "UPDATE download_links SET attempts = 0, locked_at = NULL WHERE id = $1", row["id"]
            )
        now = datetime.now(UTC)
        seen = await lock_code(public, DOWNLOAD_CODES, row["id"])
        assert seen is not None and "code_hash" not in seen
        for attempt in range(1, 6):
            async with public.transaction():
                guess = await guess_code(
                    public, DOWNLOAD_CODES, seen, "12345678" if attempt % 2 else "87654321", now
                )
        assert guess.outcome is CodeOutcome.LOCKED and guess.locked_now and guess.attempts == 5
        code = await unseal_code(control, ring, DOWNLOAD_CODES, row["id"])
        assert code is not None
        after = await guess_code(
            public, DOWNLOAD_CODES, seen, code, now
        )  # `seen` is stale; the function is not
        assert after.outcome is CodeOutcome.LOCKED
    finally:
        await control.close()
        await public.close()


async def test_a_company_worker_reads_and_writes_only_its_own_companys_rows(db: Db) -> None:
    companies = sorted(k.split(":", 1)[1] for k in db.dsns if k.startswith("company:"))
    mine, theirs = companies[0], companies[1]
    for company in (mine, theirs):
        await db.admin.execute(
            "INSERT INTO collected_records (reference, company, system, source_table, source_key, category,"
            " matched_on, data) VALUES ($1, $2, 'crm', 't', '1', 'contact', 'email', '{}')",
            REFERENCE,
            company,
        )
        await db.admin.execute(
            INSERT_RESULT.replace("$s", "'crm'"),
            REFERENCE,
            company,
        )
    worker = await connect(db.dsns[f"company:{mine}"])
    try:
        assert {r["company"] for r in await worker.fetch("SELECT company FROM collected_records")} == {mine}
        assert {r["company"] for r in await worker.fetch("SELECT company FROM collection_results")} == {mine}
        assert (
            await worker.execute("UPDATE collected_records SET category = 'x' WHERE company = $1", theirs)
            == "UPDATE 0"
        )
        assert await worker.execute("DELETE FROM collection_results WHERE company = $1", theirs) == "DELETE 0"
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
            await worker.execute(
                INSERT_RESULT.replace("$s", "'erp'"),
                REFERENCE,
                theirs,
            )
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
            await worker.execute(
                "UPDATE collection_results SET company = $1 WHERE company = $2", theirs, mine
            )
        with pytest.raises(asyncpg.WithCheckOptionViolationError):
            await worker.execute("UPDATE collected_records SET company = $1 WHERE company = $2", theirs, mine)
        # The collectors COPY their records in: their own company's, never another's.
        columns = [
            "reference",
            "company",
            "system",
            "source_table",
            "source_key",
            "category",
            "matched_on",
            "data",
        ]
        row = (REFERENCE, mine, "erp", "t", "2", "contact", "email", {"a": 1})
        await worker.copy_records_to_table("collected_records", records=[row], columns=columns)
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
            await worker.copy_records_to_table(
                "collected_records", records=[(REFERENCE, theirs, *row[2:])], columns=columns
            )
        assert await db.admin.fetchval("SELECT count(*) FROM collected_records WHERE company = $1", mine) == 2
        # Its own rows it may write; the request itself, the codes and the audit table it may not read.
        await worker.execute(
            INSERT_RESULT.replace("$s", "'erp'"),
            REFERENCE,
            mine,
        )
        # Of the request, only the sealed identity it searches its systems for.
        assert await worker.fetchval("SELECT count(subject_ciphertext) FROM requests") == 1
        for table in (
            "requests",
            "identity_challenges",
            "download_links",
            "audit_log",
            "public.collected_records",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await worker.fetch(f"SELECT * FROM {table}")  # noqa: S608 - fixed names
        # SET ROLE to the group role gives it nothing more: the rules map logins, not groups.
        await worker.execute("SET ROLE dsar_company")
        assert await worker.fetch("SELECT company FROM collection_results") == []
        assert {r["company"] for r in await worker.fetch("SELECT company FROM collected_records")} == {mine}
    finally:
        await worker.close()
    # The control worker (and the team) see the whole group.
    control = await connect(db.dsns["control"])
    try:
        assert await control.fetchval("SELECT count(DISTINCT company) FROM collected_records") == 2
        assert await control.fetchval("SELECT count(DISTINCT company) FROM collection_results") == 2
    finally:
        await control.close()


async def test_a_single_use_download_code_is_spent_by_the_function(db: Db, ring: KeyRing) -> None:
    """Where download codes are single-use (a `code_used_at` column), code_guess spends one."""
    await db.admin.execute("ALTER TABLE download_links ADD COLUMN IF NOT EXISTS code_used_at timestamptz")
    artefact = uuid.uuid4()
    await db.admin.execute(
        "INSERT INTO artefacts (id, reference, kind, bucket, s3_key, sha256, bytes)"
        " VALUES ($1, $2, 'package', 'b', 'k', 's', 1)",
        artefact,
        REFERENCE,
    )
    control = await connect(db.dsns["control"])
    public = await connect(db.dsns["public"])
    try:
        row = await issue_code(
            control, ring, DOWNLOAD_CODES, REFERENCE, "delivery", timedelta(days=1), {"artefact_id": artefact}
        )
        code = await unseal_code(control, ring, DOWNLOAD_CODES, row["id"])
        seen = await lock_code(public, DOWNLOAD_CODES, row["id"])
        assert code is not None and seen is not None
        now = datetime.now(UTC)
        assert (await guess_code(public, DOWNLOAD_CODES, seen, code, now)).outcome is CodeOutcome.VERIFIED
        assert await db.admin.fetchval("SELECT code_used_at IS NOT NULL FROM download_links") is True
        assert (
            await guess_code(public, DOWNLOAD_CODES, seen, code, now)
        ).outcome is CodeOutcome.ALREADY_VERIFIED
    finally:
        await control.close()
        await public.close()


async def test_a_company_keeps_only_its_names_among_the_candidates_and_reads_none(db: Db) -> None:
    """`keep_known_names` (migration 0018): a company hands over its names' fingerprints and the
    case store keeps those among the request's candidates, under the company of its login."""
    companies = sorted(k.split(":", 1)[1] for k in db.dsns if k.startswith("company:"))
    mine, theirs = companies[0], companies[1]
    control = await connect(db.dsns["control"])
    worker = await connect(db.dsns[f"company:{mine}"])
    try:
        await control.copy_records_to_table(
            "name_candidates",
            records=[(REFERENCE, "full", "f-mentioned"), (REFERENCE, "given", "g-mentioned")],
            columns=["reference", "kind", "fingerprint"],
        )
        keep = "SELECT public.keep_known_names($1, $2, $3::text[], $4::text[])"
        # Its whole list in; only the two names the records mention stay, each of its own kind.
        everyone = [f"f-{n}" for n in range(2000)] + ["f-mentioned", "g-mentioned"]
        await worker.execute(keep, REFERENCE, mine, everyone, ["g-mentioned", "g-other"])
        stored = await control.fetch(
            "SELECT company, kind, fingerprint FROM known_name_fingerprints WHERE reference = $1", REFERENCE
        )
        assert sorted(tuple(r) for r in stored) == [
            (mine, "full", "f-mentioned"),
            (mine, "given", "g-mentioned"),
        ]
        # Again (a retry): replaced, not doubled.
        await worker.execute(keep, REFERENCE, mine, ["f-mentioned"], [])
        assert await control.fetchval("SELECT count(*) FROM known_name_fingerprints") == 1
        # Not under another company's name, and the candidates themselves stay unread.
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="may not write the names"):
            await worker.execute(keep, REFERENCE, theirs, ["f-mentioned"], [])
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await worker.fetch("SELECT * FROM name_candidates")
    finally:
        await worker.close()
        await control.close()
    public = await connect(db.dsns["public"])
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await public.execute(keep, REFERENCE, mine, ["f-mentioned"], [])
    finally:
        await public.close()

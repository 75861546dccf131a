"""The audit trail cannot be rewritten unseen: no role writes it directly, every entry is
MACed with a key the database never sees, and its head is anchored in S3 (Object Lock on
the local S3 server), so `dsar audit --verify` reports an edit, a forged append, a
superuser's re-hash, a deleted tail and a truncated table."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from casestore.audit import GENESIS, MacKeys, _canonical, append_audit, chain_hash, verify_chain
from casestore.db import init_connection
from tests.conftest import TEST_AUDIT_MAC_KEYS, Servers, prepare_case_store

REFERENCE = "DSAR-2026-000099"


@dataclass
class AuditDb:
    name: str
    dsns: dict[str, str]  # each component's, from prepare_case_store
    admin_dsn: str  # the owner (a superuser locally)
    bucket: str  # this test's anchor bucket


@pytest_asyncio.fixture
async def audit_db(servers: Servers, tmp_path: Path) -> AsyncIterator[AuditDb]:
    """A database and an anchor bucket of their own, so tampering here disturbs no other test."""
    name = f"audit_{uuid.uuid4().hex[:10]}"
    servers.postgres.create_database(name)
    dsns = await prepare_case_store(servers.postgres, name)
    yield AuditDb(name, dsns, servers.postgres.dsn(name), f"anchors-{uuid.uuid4().hex[:10]}")


def cli(servers: Servers, db: AuditDb, state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`dsar audit` as the privacy team runs it: the team's role, the MAC key, the anchors."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DSAR_", "AWS_"))}
    env |= {
        "DSAR_DATABASE_URL": db.dsns["team"],
        "DSAR_STATE_DIR": str(state),
        "DSAR_AUDIT_MAC_KEYS": TEST_AUDIT_MAC_KEYS,
        "DSAR_AUDIT_ANCHOR_BUCKET": db.bucket,
        "DSAR_S3_ENDPOINT_URL": servers.s3.endpoint_url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test-secret",
        "COLUMNS": "250",
    }
    return subprocess.run(
        [sys.executable, "-m", "cli", "audit", *args], env=env, capture_output=True, text=True, timeout=60
    )


async def connect(dsn: str) -> asyncpg.Connection[Any]:
    conn = await asyncpg.connect(dsn)
    await init_connection(conn)
    return conn


async def append_steps(dsn: str, count: int) -> None:
    conn = await connect(dsn)
    try:
        for i in range(count):
            await append_audit(conn, reference=REFERENCE, actor="officer", action=f"step.{i}")
    finally:
        await conn.close()


def problems_of(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    return " ".join(result.stderr.split())


async def test_an_intact_chain_verifies_and_no_role_writes_the_table(
    servers: Servers, audit_db: AuditDb, tmp_path: Path
) -> None:
    await append_steps(audit_db.dsns["control"], 3)
    conn = await connect(audit_db.dsns["company:" + next(k.split(":")[1] for k in audit_db.dsns if ":" in k)])
    try:
        # Retried steps are recorded once, whoever appends.
        first = await append_audit(conn, reference=REFERENCE, actor="x", action="once", idempotency_key="k")
        again = await append_audit(conn, reference=REFERENCE, actor="x", action="once", idempotency_key="k")
        assert first == again == 4
    finally:
        await conn.close()

    for dsn in audit_db.dsns.values():
        role = await connect(dsn)
        try:
            for sql in (
                "INSERT INTO audit_log (seq, at, actor, action, prev_hash, hash)"
                " VALUES (99, now(), 'm', 'x', '', '')",
                "UPDATE audit_log SET actor = 'mallory' WHERE seq = 2",
                "DELETE FROM audit_log WHERE seq = 2",
                "TRUNCATE audit_log",
            ):
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await role.execute(sql)
        finally:
            await role.close()

    anchored = cli(servers, audit_db, tmp_path, "--anchor")
    assert anchored.returncode == 0, anchored.stderr
    assert "anchored: entry 4, 4 entries" in anchored.stdout and "Object Lock (compliance)" in anchored.stdout
    assert "already anchored" in cli(servers, audit_db, tmp_path, "--anchor").stdout  # once per head

    ok = cli(servers, audit_db, tmp_path, REFERENCE, "--verify", "--json")
    assert ok.returncode == 0, ok.stderr
    report = json.loads(ok.stdout)
    assert [e["action"] for e in report["entries"]] == ["step.0", "step.1", "step.2", "once"]
    assert report["problems"] == []


async def test_a_forged_append_through_the_function_is_reported(
    servers: Servers, audit_db: AuditDb, tmp_path: Path
) -> None:
    """The public pages' role may append (through the function), but without the MAC key its
    entry is told apart from every real one."""
    await append_steps(audit_db.dsns["control"], 2)
    public = await connect(audit_db.dsns["public"])
    try:
        async with public.transaction():
            head = await public.fetchrow("SELECT * FROM audit_head(NULL)")
            assert head is not None
            seq, prev = int(head["head_seq"]) + 1, str(head["head_hash"])
            at = datetime.now(UTC)
            details = {"decision": "approved"}
            digest = chain_hash(
                prev, _canonical(seq, REFERENCE, at, "privacy-officer", "review.approved", details)
            )
            guessed = MacKeys.parse("t1:" + "a-key-the-attacker-made-up-" * 2)
            await public.fetchval(
                "SELECT audit_append($1, $2, $3, $4, $5, $6, $7, $8, NULL, 't1', $9)",
                seq, REFERENCE, at, "privacy-officer", "review.approved", details, prev, digest,
                guessed.mac(digest.encode()),
            )  # fmt: skip
        # Nor can it skip the MAC, or write anything but the next link.
        with pytest.raises(asyncpg.RaiseError, match="needs a hash and a MAC"):
            await public.fetchval(
                "SELECT audit_append(4, NULL, now(), 'a', 'b', '{}', $1, $2, NULL, NULL, NULL)",
                digest,
                "0" * 64,
            )
        with pytest.raises(asyncpg.RaiseError, match="must extend the chain head"):
            await public.fetchval(
                "SELECT audit_append(9, NULL, now(), 'a', 'b', '{}', $1, $2, NULL, 't1', 'x')",
                GENESIS,
                "0" * 64,
            )
    finally:
        await public.close()
    assert cli(servers, audit_db, tmp_path, "--anchor").returncode == 0
    said = problems_of(cli(servers, audit_db, tmp_path, "--verify"))
    assert "audit entry 3: MAC does not match: written or re-hashed by someone without the audit key" in said
    assert "audit entry 1" not in said and "audit entry 2" not in said


async def test_a_superusers_edit_and_rehash_is_reported(
    servers: Servers, audit_db: AuditDb, tmp_path: Path
) -> None:
    await append_steps(audit_db.dsns["control"], 5)
    assert cli(servers, audit_db, tmp_path, "--anchor").returncode == 0
    admin = await connect(audit_db.admin_dsn)
    try:
        await admin.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
        await admin.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
        edited = problems_of(cli(servers, audit_db, tmp_path, "--verify"))
        assert "audit entry 2: content does not match its hash" in edited
        # Re-hash every link from the edit on: the chain is whole again, the MACs are not.
        prev = str(await admin.fetchval("SELECT hash FROM audit_log WHERE seq = 1"))
        for row in await admin.fetch("SELECT * FROM audit_log WHERE seq >= 2 ORDER BY seq"):
            payload = _canonical(
                row["seq"], row["reference"], row["at"], row["actor"], row["action"], row["details"]
            )
            digest = chain_hash(prev, payload)
            await admin.execute(
                "UPDATE audit_log SET prev_hash = $2, hash = $3 WHERE seq = $1", row["seq"], prev, digest
            )
            prev = digest
        assert [p for p in await verify_chain(admin) if "MAC" not in p.problem] == []  # links alone: fine
    finally:
        await admin.close()
    said = problems_of(cli(servers, audit_db, tmp_path, "--verify"))
    for seq in range(2, 6):
        assert f"audit entry {seq}: MAC does not match" in said
    assert "audit entry 5: entry 5 differs from its anchor" in said
    assert "content does not match" not in said


async def test_a_deleted_tail_is_reported_against_the_anchor(
    servers: Servers, audit_db: AuditDb, tmp_path: Path
) -> None:
    await append_steps(audit_db.dsns["control"], 6)
    assert cli(servers, audit_db, tmp_path, "--anchor").returncode == 0
    admin = await connect(audit_db.admin_dsn)
    try:
        await admin.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
        await admin.execute("DELETE FROM audit_log WHERE seq > 4")  # the newest two
        assert (
            await verify_chain(admin, MacKeys.parse(TEST_AUDIT_MAC_KEYS)) == []
        )  # the chain alone cannot tell
    finally:
        await admin.close()
    said = problems_of(cli(servers, audit_db, tmp_path, "--verify"))
    assert "audit entry 5: entries 5..6 were deleted: the anchor of" in said
    assert "records entry 6, the trail now ends at 4" in said


async def test_a_truncated_table_is_reported_against_the_anchor(
    servers: Servers, audit_db: AuditDb, tmp_path: Path
) -> None:
    await append_steps(audit_db.dsns["control"], 3)
    assert cli(servers, audit_db, tmp_path, "--anchor").returncode == 0
    admin = await connect(audit_db.admin_dsn)
    try:
        await admin.execute("TRUNCATE audit_log")
    finally:
        await admin.close()
    said = problems_of(cli(servers, audit_db, tmp_path, "--verify"))
    assert "the audit trail is empty, but the anchor of" in said
    assert "records 3 entries: the table was truncated" in said


async def test_without_an_anchor_verify_says_the_tail_is_unchecked(
    servers: Servers, audit_db: AuditDb, tmp_path: Path
) -> None:
    await append_steps(audit_db.dsns["control"], 1)
    said = problems_of(cli(servers, audit_db, tmp_path, "--verify"))
    assert "cannot be read" in said or "no anchor in bucket" in said


async def test_without_object_lock_each_anchor_is_written_once(servers: Servers, audit_db: AuditDb) -> None:
    """An endpoint or bucket without Object Lock: the anchor's key is written once (If-None-Match)."""
    from casestore.anchor import anchor_now, object_lock_enabled, read_anchors
    from casestore.storage import ensure_bucket, s3_client
    from dsar.config import Settings

    settings = Settings.from_env(
        {
            "DSAR_S3_ENDPOINT_URL": servers.s3.endpoint_url,
            "AWS_ACCESS_KEY_ID": "t",
            "AWS_SECRET_ACCESS_KEY": "t",
        }
    )
    s3 = s3_client(settings)
    ensure_bucket(s3, audit_db.bucket, settings.s3_region)  # a plain bucket
    assert not object_lock_enabled(s3, audit_db.bucket)
    await append_steps(audit_db.dsns["control"], 2)
    keys = MacKeys.parse(TEST_AUDIT_MAC_KEYS)
    conn = await connect(audit_db.dsns["team"])
    try:
        first = await anchor_now(conn, s3, audit_db.bucket, keys, 1)
        again = await anchor_now(conn, s3, audit_db.bucket, keys, 1)
    finally:
        await conn.close()
    assert (first.written, first.locked, again.written) == (True, False, False)
    [stored] = read_anchors(s3, audit_db.bucket)
    assert (stored.seq, stored.count, stored.at) == (2, 2, first.anchor.at)  # the first one stands

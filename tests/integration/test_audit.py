"""The audit trail is append-only for the application and any tampering is detected."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from casestore.audit import append_audit, verify_chain
from casestore.db import init_connection, migrate
from tests.conftest import Servers


@pytest.fixture
async def audit_db(servers: Servers, tmp_path: Path) -> str:
    """A database of its own, so tampering here cannot disturb other tests."""
    name = f"audit_{tmp_path.name[-8:].lower().replace('-', '_')}"
    name = "".join(ch for ch in name if ch.isalnum() or ch == "_")
    servers.postgres.create_database(name)
    await migrate(servers.postgres.dsn(name))
    return name


def cli(dsn: str, state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSAR_")}
    env |= {"DSAR_DATABASE_URL": dsn, "DSAR_STATE_DIR": str(state), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "cli", "audit", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_tampering_is_detected_and_the_app_role_cannot_rewrite(
    servers: Servers, audit_db: str, tmp_path: Path
) -> None:
    admin = await asyncpg.connect(servers.postgres.dsn(audit_db))
    app = await asyncpg.connect(servers.postgres.dsn(audit_db, "dsar"))
    try:
        await init_connection(app)
        for step in ("request.registered", "status.identity", "status.collecting", "status.review"):
            await append_audit(app, reference="DSAR-2026-000099", actor="officer", action=step)
        # Retried steps are recorded once.
        await append_audit(app, reference="DSAR-2026-000099", actor="x", action="once", idempotency_key="k")
        await append_audit(app, reference="DSAR-2026-000099", actor="x", action="once", idempotency_key="k")
        assert await verify_chain(app) == []

        # The application's role may read and append, never rewrite.
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app.execute("DELETE FROM audit_log WHERE seq = 2")
        # Even the owner is stopped by the trigger.
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await admin.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")

        ok = cli(servers.postgres.dsn(audit_db, "dsar"), tmp_path, "DSAR-2026-000099", "--verify", "--json")
        assert ok.returncode == 0, ok.stderr
        report = json.loads(ok.stdout)
        assert [e["action"] for e in report["entries"]][:2] == ["request.registered", "status.identity"]
        assert report["problems"] == []

        # A superuser who switches the trigger off and edits a row is caught ...
        await admin.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
        await admin.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
        problems = await verify_chain(app)
        assert [(p.seq, p.problem) for p in problems] == [(2, "content does not match its hash")]
        caught = cli(servers.postgres.dsn(audit_db, "dsar"), tmp_path, "--verify")
        assert caught.returncode == 1
        assert "audit entry 2" in caught.stderr

        # ... and so is one who removes a row.
        await admin.execute("DELETE FROM audit_log WHERE seq = 3")
        problems = await verify_chain(app)
        assert (3, "rows 3..3 missing") in [(p.seq, p.problem) for p in problems]
    finally:
        await admin.close()
        await app.close()

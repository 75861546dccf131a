"""The local stack keeps its secrets: PostgreSQL asks every connection for a password, and
secrets, mails and Temporal's database are the owner's only; each process gets its own settings."""

from __future__ import annotations

import smtplib
import stat
from email.message import EmailMessage
from pathlib import Path

import asyncpg
import pytest

from devstack.local_servers import LocalPostgres, MailCatcher, TemporalDevServer, free_port
from devstack.stack import Ports, Stack, ensure_audit_mac_key, ensure_signing_key
from devstack.team import ensure_team
from dsar.group import load_group


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_postgres_asks_every_connection_for_its_password(tmp_path: Path) -> None:
    postgres = LocalPostgres(tmp_path / "pg", free_port(), tmp_path / "logs" / "pg.log")
    postgres.start()
    try:
        assert mode(postgres.password_file) == 0o600
        conn = await asyncpg.connect(postgres.admin_dsn)
        await conn.close()
        bare = f"postgresql://postgres@127.0.0.1:{postgres.port}/postgres"
        with pytest.raises(asyncpg.InvalidPasswordError):  # no password: refused, not trusted
            await asyncpg.connect(bare, password="")
        with pytest.raises(asyncpg.InvalidPasswordError):
            await asyncpg.connect(bare, password="not-the-password")
    finally:
        postgres.stop()


def test_mails_and_temporals_database_are_the_owners_only(tmp_path: Path) -> None:
    mail = MailCatcher(tmp_path / "mail", free_port())
    mail.start()
    try:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "a@example.com", "b@example.com", "code"
        msg.set_content("123 456")
        with smtplib.SMTP("127.0.0.1", mail.port) as smtp:
            smtp.send_message(msg)
        [saved] = list((tmp_path / "mail").glob("*.eml"))
        assert (mode(tmp_path / "mail"), mode(saved)) == (0o700, 0o600)
    finally:
        mail.stop()
    temporal = TemporalDevServer(tmp_path / "temporal.db", free_port(), free_port(), tmp_path / "t.log")
    temporal.start()
    try:
        assert mode(tmp_path / "temporal.db") == 0o600
    finally:
        temporal.stop()


def test_each_process_gets_only_its_own_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # From the shell the stack starts in: a codec key is withheld, the codec's switches are not.
    monkeypatch.setenv("DSAR_CODEC_KEYS", "shell-key")
    monkeypatch.setenv("DSAR_CODEC_COMPRESS", "false")
    monkeypatch.setenv("DSAR_CODEC_UNBOUND_PAYLOADS", "refuse")
    registry = load_group()
    stack = Stack(tmp_path, Ports.free(len(registry.companies)), registry)
    assert mode(tmp_path) == 0o700
    ensure_signing_key(tmp_path)
    ensure_audit_mac_key(tmp_path)
    team = ensure_team(tmp_path)
    keys = sorted(team.keys_dir.glob("*.key"))
    assert keys and mode(team.keys_dir) == 0o700
    for path in (team.roles_file, *keys, tmp_path / "download-signing-key", tmp_path / "audit-mac-key"):
        assert mode(path) == 0o600, path
    codes = [c.code for c in registry.companies]
    stack.db_dsns = {"control": "pg://control", "public": "pg://public", "team": "pg://team"}
    stack.db_dsns |= {f"company:{c}": f"pg://{c}" for c in codes}
    connections = {s.connection for c in registry.companies for s in c.systems if s.connection}
    stack.write_env({name: f"conn-{name}" for name in connections}, tmp_path / "codec-keys")
    mine = registry.companies[0]
    env = stack.worker_env("company", mine.code)
    assert env["DSAR_DATABASE_URL"] == f"pg://{mine.code}"
    assert "DSAR_DOWNLOAD_SIGNING_KEY" not in env and "DSAR_MIGRATION_DATABASE_URL" not in env
    own = {f"DSAR_CONN_{s.connection}" for s in mine.systems if s.connection}
    assert {k for k in env if k.startswith("DSAR_CONN_")} == own
    api = next(
        c
        for c in registry.companies
        if any(s.connection and s.connection.endswith("NEWSLETTER") for s in c.systems)
    )
    stack.write_env(
        {**{name: f"conn-{name}" for name in connections}, "DK01_NEWSLETTER_TOKEN": "t"}, tmp_path / "k"
    )
    assert (
        stack.worker_env("company", api.code)["DSAR_CONN_DK01_NEWSLETTER_TOKEN"] == "t"
    )  # an API's token too
    assert "DSAR_CONN_DK01_NEWSLETTER_TOKEN" not in stack.worker_env("company", mine.code) or mine is api
    assert "DSAR_AUDIT_MAC_KEYS" in env
    assert "DSAR_CODEC_KEYS" not in env
    assert (env["DSAR_CODEC_COMPRESS"], env["DSAR_CODEC_UNBOUND_PAYLOADS"]) == ("false", "refuse")
    pages = stack.worker_env("download-server")
    assert pages["DSAR_DATABASE_URL"] == "pg://public" and "DSAR_CODEC_KEY_FILE" not in pages
    control = stack.worker_env("control")
    assert control["DSAR_DATABASE_URL"] == "pg://control" and "DSAR_DOWNLOAD_SIGNING_KEY" in control
    # Packaging reads the case store as the control worker does; no mail, no link keys, no systems.
    packaging = stack.worker_env("packaging")
    assert packaging["DSAR_DATABASE_URL"] == "pg://control" and "DSAR_CODEC_KEY_FILE" in packaging
    assert not {"DSAR_SMTP_URL", "DSAR_DOWNLOAD_SIGNING_KEY", "DSAR_MIGRATION_DATABASE_URL"} & set(packaging)
    assert not [k for k in packaging if k.startswith("DSAR_CONN_")]
    local_env = (tmp_path / "local.env").read_text()
    assert mode(tmp_path / "local.env") == 0o600
    assert "DSAR_DATABASE_URL=pg://team" in local_env
    assert "DSAR_DOWNLOAD_SIGNING_KEY" not in local_env and "DSAR_MIGRATION_DATABASE_URL" not in local_env


async def test_a_cluster_made_with_trust_gets_a_password_at_its_next_start(tmp_path: Path) -> None:
    postgres = LocalPostgres(tmp_path / "pg", free_port(), tmp_path / "logs" / "pg.log")
    postgres.start()
    postgres.stop()
    # As an earlier version left it: trust for every local connection, no password kept.
    (tmp_path / "pg" / "pg_hba.conf").write_text("host all all 127.0.0.1/32 trust\n")
    postgres.password_file.unlink()
    again = LocalPostgres(tmp_path / "pg", postgres.port, tmp_path / "logs" / "pg.log")
    again.start()
    try:
        conn = await asyncpg.connect(again.admin_dsn)
        await conn.close()
        with pytest.raises(asyncpg.InvalidPasswordError):
            await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{again.port}/postgres", password="")
    finally:
        again.stop()

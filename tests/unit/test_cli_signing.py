"""The `dsar` command's side of signed decisions: no decision without a named person, and
`dsar keys init` for a new team member."""

from __future__ import annotations

import stat
from pathlib import Path

from typer.testing import CliRunner

from cli import app
from dsar.roles import Role, parse_roles
from dsar.signing import load_private_key, public_key_text


def invoke(tmp_path: Path, *args: str, **env: str | None) -> tuple[int, str]:
    base: dict[str, str | None] = {"DSAR_STATE_DIR": str(tmp_path / "state"), "DSAR_USER": None}
    result = CliRunner().invoke(app, list(args), env=base | env)
    return result.exit_code, " ".join((result.stdout + result.stderr).split())


def test_a_decision_without_dsar_user_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    for command in (
        ["approve", "DSAR-2026-000001"],
        ["verify", "DSAR-2026-000001"],
        ["send-code", "DSAR-2026-000001"],
    ):
        code, said = invoke(tmp_path, *command)
        assert code == 2 and "DSAR_USER is not set" in said, said
    code, said = invoke(tmp_path, "approve", "DSAR-2026-000001", DSAR_USER="")
    assert code == 2 and "DSAR_USER is not set" in said


def test_keys_init_writes_a_private_key_and_prints_the_roles_entry(tmp_path: Path) -> None:
    key_file = tmp_path / "keys" / "astrid.key"
    code, said = invoke(
        tmp_path, "keys", "init", "--user", "astrid", "--key-file", str(key_file), "--role", "reviewer"
    )
    assert code == 0, said
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    entry = said[said.index('[users."astrid"]') :]
    grants = parse_roles(entry.replace(" roles =", "\nroles =").replace(" keys =", "\nkeys ="))
    assert grants.users["astrid"].roles == [Role.REVIEWER]
    assert grants.keys_of("astrid") == [public_key_text(load_private_key(key_file).public_key())]
    # Never over an existing key; and a member must be named.
    code, said = invoke(tmp_path, "keys", "init", "--user", "astrid", "--key-file", str(key_file))
    assert code == 1 and "already exists" in said
    code, said = invoke(tmp_path, "keys", "init")
    assert code == 2 and "--user" in said


def test_keys_init_uses_the_key_folder_and_dsar_user(tmp_path: Path) -> None:
    code, said = invoke(tmp_path, "keys", "init", DSAR_USER="bertil", DSAR_KEYS_DIR=str(tmp_path / "k"))
    assert code == 0, said
    assert (tmp_path / "k" / "bertil.key").is_file() and 'roles = ["reviewer"]' in said

"""The local stack's privacy team: a key pair per demo member and the roles file naming them.

On a laptop the person running the stack is the whole team (`privacy-officer`, every
role); `front-desk` only records requests, so separation of duties can be tried out. The
verification page's relay signs as the `verification-page` service. Private keys live in
`<state>/keys/<user>.key` (0600), where the `dsar` command finds the key of `DSAR_USER`
(`DSAR_KEYS_DIR`); the roles file is written anew at every start from the keys found there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from devstack.local_servers import write_private
from dsar.roles import Role
from dsar.signing import load_private_key, public_key_text, write_new_key
from workflows.rights_request import VERIFICATION_PAGE_ACTOR

# Who `dsar` acts as in the local stack unless DSAR_USER says otherwise.
LOCAL_USER = "privacy-officer"
DEMO_TEAM: dict[str, list[Role]] = {
    LOCAL_USER: [Role.REQUESTER, Role.REVIEWER, Role.ADMINISTRATOR],
    "front-desk": [Role.REQUESTER],
    VERIFICATION_PAGE_ACTOR: [Role.SERVICE],
}


@dataclass(frozen=True)
class TeamFiles:
    roles_file: Path
    keys_dir: Path
    relay_key: Path


def roles_entry(user: str, roles: list[Role], public_key: str) -> str:
    """One member's lines in the roles file, as `dsar keys init` prints them."""
    listed = ", ".join(f'"{r.value}"' for r in roles)
    return f'[users."{user}"]\nroles = [{listed}]\nkeys = ["{public_key}"]\n'


def ensure_team(state: Path) -> TeamFiles:
    """Keys for every demo member (made once), and the roles file listing them (0600)."""
    keys_dir = state / "keys"
    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    entries = []
    for user, roles in DEMO_TEAM.items():
        path = keys_dir / f"{user}.key"
        if not path.exists():
            write_new_key(path, f"{user}@dsar-dev")
        public = public_key_text(load_private_key(path).public_key())
        entries.append(roles_entry(user, roles, f"{public} {user}@dsar-dev"))
    roles_file = state / "roles.toml"
    text = "# Written by `dsar dev` at every start from <state>/keys; do not edit.\n\n" + "\n".join(entries)
    write_private(roles_file, text)
    return TeamFiles(roles_file, keys_dir, keys_dir / f"{VERIFICATION_PAGE_ACTOR}.key")

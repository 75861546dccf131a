"""The test team's keys: one Ed25519 key per user of the test roles file, made per session.

Every test that sends a decision signs it with these keys through one of two paths: the
Temporal clients of the test servers carry `signer(...)` (tests/conftest.py), and the
`dsar` command finds `<user>.key` in `write_keys(...)`'s folder (DSAR_KEYS_DIR).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from dsar.signing import public_key_text
from dsar.signing_client import DecisionSigner, SigningKeyMissing
from workflows.rights_request import VERIFICATION_PAGE_ACTOR

# Who the tests act as, and their roles; the relay signs as the verification page.
TEAM_ROLES: dict[str, list[str]] = {
    "tester": ["requester"],
    "privacy-officer": ["reviewer"],
    "reviewer": ["reviewer"],
    "admin": ["administrator"],
    "intruder": ["requester"],
    VERIFICATION_PAGE_ACTOR: ["service"],
}
TEAM_KEYS: dict[str, Ed25519PrivateKey] = {user: Ed25519PrivateKey.generate() for user in TEAM_ROLES}


def team_key(user: str) -> Ed25519PrivateKey:
    try:
        return TEAM_KEYS[user]
    except KeyError:
        raise SigningKeyMissing(f"the test team has no key for user '{user}'") from None


def roles_text() -> str:
    """The test roles file: each user's roles and public key."""
    lines = []
    for user, roles in TEAM_ROLES.items():
        public = public_key_text(TEAM_KEYS[user].public_key())
        listed = ", ".join(f'"{r}"' for r in roles)
        lines.append(f'[users."{user}"]\nroles = [{listed}]\nkeys = ["{public} {user}@test"]\n')
    return "".join(lines)


def write_keys(folder: Path) -> Path:
    """Each user's private key as `<user>.key` (0600), as `dsar keys init` leaves it."""
    folder.mkdir(parents=True, exist_ok=True)
    for user, key in TEAM_KEYS.items():
        path = folder / f"{user}.key"
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
            )
        )
        path.chmod(0o600)
    return folder


class ServerClock:
    """The test server's time (the time-skipping server's runs ahead of the wall clock)."""

    def __init__(self) -> None:
        self.now: Callable[[], Awaitable[datetime]] | None = None

    async def __call__(self) -> datetime:
        return await self.now() if self.now is not None else datetime.now(UTC)


def signer(clock: ServerClock) -> DecisionSigner:
    """The client interceptor that signs every decision the tests send, as its actor."""
    return DecisionSigner(team_key, clock)

"""Who may do what, and the keys that prove who someone is.

Every human decision names its actor and is signed with one of the actor's keys
(`dsar.signing`); the workflow checks the signature against the keys listed here and the
actor's role before accepting it, so the audit trail shows an authorised, proven person
for each. Grants come from a TOML file named by `DSAR_ROLES_FILE`:

    [users.astrid-admin]
    roles = ["requester", "reviewer", "administrator"]
    keys = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA... astrid@laptop"]

`dsar keys init` makes a key pair and prints the `keys` line. The CLI's actor is `DSAR_USER`
(there is no default). Services that decide something (the verification page's relay)
are listed the same way with the `service` role and their own key.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from dsar.signing import normalise_public_key
from dsar.toml_config import parse_toml_model

_USER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")


class Role(StrEnum):
    REQUESTER = "requester"  # records requests
    REVIEWER = "reviewer"  # confirms identity, approves, decides on redactions and extensions
    ADMINISTRATOR = "administrator"  # refuses requests, changes configuration
    SERVICE = "service"  # a component acting on its own (the verification page's relay)


class UserGrant(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    roles: list[Role] = Field(min_length=1)
    # OpenSSH Ed25519 public keys (`ssh-ed25519 AAAA... comment`); without one, nothing the
    # user sends is accepted.
    keys: list[str] = Field(default_factory=list, max_length=20)

    @field_validator("keys")
    @classmethod
    def _keys(cls, value: list[str]) -> list[str]:
        return [normalise_public_key(k) for k in value]


class RoleGrants(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    users: dict[str, UserGrant] = Field(default_factory=dict)

    @field_validator("users")
    @classmethod
    def _names(cls, value: dict[str, UserGrant]) -> dict[str, UserGrant]:
        for name in value:
            if not _USER.match(name):
                raise ValueError(f"user name {name!r} must be 1-100 letters, digits, . _ @ -")
        return value

    def has(self, user: str, role: Role) -> bool:
        grant = self.users.get(user)
        return grant is not None and (role in grant.roles or Role.ADMINISTRATOR in grant.roles)

    def keys_of(self, user: str) -> list[str]:
        """The public keys that may sign for `user` (none for a user not listed)."""
        grant = self.users.get(user)
        return list(grant.keys) if grant else []

    def require(self, user: str, role: Role) -> None:
        """Raises with a message fit for the CLI; it names the user, who is staff, not the person."""
        if not self.has(user, role):
            raise PermissionError(f"user '{user}' does not have the {role.value} role")


def parse_roles(text: str, source: str = "roles file") -> RoleGrants:
    return parse_toml_model(RoleGrants, text, source)


def load_roles(path: str | None) -> RoleGrants:
    if not path:
        raise ValueError("DSAR_ROLES_FILE is not set: nobody could confirm or approve anything")
    file = Path(path)
    if not file.is_file():
        raise ValueError("DSAR_ROLES_FILE does not name a readable file")
    return parse_roles(file.read_text(encoding="utf-8"), str(file))

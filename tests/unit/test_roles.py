"""Role grants: what a known user may decide."""

from __future__ import annotations

import pytest

from dsar.roles import Role, load_roles, parse_roles

GRANTS = """
[users.anna]
roles = ["reviewer"]
[users.root-admin]
roles = ["administrator"]
"""


def test_roles_are_checked_and_administrators_may_do_everything() -> None:
    grants = parse_roles(GRANTS)
    assert grants.has("anna", Role.REVIEWER)
    assert not grants.has("anna", Role.REQUESTER)
    assert grants.has("root-admin", Role.REVIEWER)
    assert not grants.has("stranger", Role.REVIEWER)
    with pytest.raises(PermissionError, match="user 'anna' does not have the requester role"):
        grants.require("anna", Role.REQUESTER)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[users.anna]\nroles = ['king']", "users.anna.roles.0"),
        ("[users.anna]\nroles = []", "at least 1"),
        ("[users.'bad name']\nroles = ['reviewer']", "user name"),
        ("users = ", "not valid TOML"),
    ],
)
def test_bad_roles_files_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_roles(text)


def test_a_missing_roles_file_is_refused() -> None:
    with pytest.raises(ValueError, match="DSAR_ROLES_FILE is not set"):
        load_roles(None)

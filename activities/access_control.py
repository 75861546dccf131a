"""Role grants for the workflow's human steps.

Read from the roles file on every call, so a grant or a revocation applies to requests
already running from their next human step on; the workflow records what it was given.
"""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from dsar.messages.activity_names import Activity
from dsar.roles import RoleGrants, load_roles


class AccessControlActivities:
    def __init__(self, roles_file: str | None) -> None:
        self._roles_file = roles_file

    @activity.defn(name=Activity.LOAD_ROLES)
    async def load_roles(self, reference: str) -> RoleGrants:
        try:
            return load_roles(self._roles_file)
        except ValueError as exc:
            # A broken roles file is fixed by an operator; retrying after that succeeds.
            raise ApplicationError(str(exc), type="RolesFileError") from None

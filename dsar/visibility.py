"""Temporal visibility queries over the request workflows, shared by the CLI's listings and
the morning's team reminders, so "open" and "due" mean the same in both.

Every value put into a query comes from a checked enum, a jurisdiction code from the
registry, or a datetime: nothing typed by a person reaches the query text.
"""

from __future__ import annotations

from datetime import UTC, datetime

from dsar import search_attributes as sa
from dsar.domain import Status

REQUEST_WORKFLOWS = 'WorkflowType = "RightsRequestWorkflow"'


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def open_clauses() -> list[str]:
    """Still to be answered. A delivered request keeps running while its package is kept or
    a restriction stays in force, but it is answered; a closed or rejected one has ended."""
    return ['ExecutionStatus = "Running"', f'{sa.DSAR_STATUS.name} != "{Status.DELIVERED.value}"']


def due_between_query(jurisdiction: str, start: datetime, end: datetime) -> str:
    """Open requests of one jurisdiction whose due moment is in [start, end)."""
    return " AND ".join(
        [
            REQUEST_WORKFLOWS,
            *open_clauses(),
            f'{sa.DSAR_JURISDICTION.name} = "{jurisdiction}"',
            f'{sa.DSAR_DUE_AT.name} >= "{rfc3339(start)}"',
            f'{sa.DSAR_DUE_AT.name} < "{rfc3339(end)}"',
        ]
    )

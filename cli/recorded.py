"""`dsar status` when the workflow does not answer: the request as the case store recorded it.

The case store mirrors every status change, the due date and each system's collection
result, so a request whose worker is down (or whose workflow is gone from the server)
still shows where it stood, with a line saying that the workflow did not answer and
when a worker last handled one of its tasks.
"""

from __future__ import annotations

import json
from datetime import UTC, date
from typing import Any

from rich.table import Table

from casestore import queries
from casestore.queries import RecordedRequest, RecordedSystem
from cli.execution import Execution
from cli.guide import plural
from dsar.config import Settings
from dsar.domain import Status

# The stages in which a request still has a deadline to meet.
OPEN_STAGES = frozenset(s.value for s in Status if s.is_open)


def execution_rows(table: Table, execution: Execution | None, stage: str) -> None:
    """The workflow's own status first: a request whose workflow ended badly is not `stage`."""
    if execution is not None and execution.ended_badly:
        table.add_row("status", f"[bold red]{execution.word}[/] (last stage: {stage})")
        closed = execution.closed_at.strftime("%Y-%m-%d %H:%M UTC") if execution.closed_at else ""
        table.add_row("workflow", f"{execution.word} {closed}".strip())
        if execution.failure:
            table.add_row("failure", execution.failure)
    else:
        table.add_row("status", stage)
    for where, line in sorted((execution.retrying if execution else {}).items()):
        table.add_row(f"step {where}", line)


def execution_json(data: dict[str, Any], execution: Execution | None) -> None:
    data["stage"] = data["status"]
    if execution is not None and execution.ended_badly:
        data["status"] = execution.word
    data["execution"] = execution.as_json() if execution else None


def recorded_table(
    recorded: RecordedRequest, systems: list[RecordedSystem], execution: Execution | None
) -> Table:
    """The request as the case store last recorded it, for a workflow that does not answer."""
    table = Table(title=recorded.reference, show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value")
    execution_rows(table, execution, recorded.status)
    table.add_row("live view", _silence(execution))
    if execution is not None and execution.last_task_at is not None:
        table.add_row("last task handled", execution.last_task_at.strftime("%Y-%m-%d %H:%M:%S UTC"))
    table.add_row("rights", ", ".join(recorded.rights))
    table.add_row("jurisdiction", recorded.jurisdiction)
    table.add_row("received", recorded.received_on.isoformat())
    if recorded.due_on and recorded.status in OPEN_STAGES:
        left = (recorded.due_on - date.today()).days
        table.add_row("due", f"{recorded.due_on.isoformat()} ({plural(left, 'day')} left)")
    elif recorded.due_on:
        table.add_row("due", f"{recorded.due_on.isoformat()} (answered)")
    if recorded.extended:
        table.add_row("extended", "yes")
    recorded_at = recorded.updated_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    table.add_row("shown from", f"the case store, as recorded {recorded_at}")
    companies: dict[str, list[RecordedSystem]] = {}
    for system in systems:
        companies.setdefault(system.company, []).append(system)
    for company, found in companies.items():
        text = ", ".join(f"{s.system}:{s.status}({s.records})" for s in found)
        table.add_row(f"company {company}", f"{plural(sum(s.records for s in found), 'record')} {text}")
    return table


def _silence(execution: Execution | None) -> str:
    if execution is None:
        return "the workflow is gone from the Temporal server (closed, past its retention)"
    return "the workflow is not answering (no worker is handling it)"


def recorded_json(
    recorded: RecordedRequest, systems: list[RecordedSystem], execution: Execution | None
) -> str:
    data: dict[str, Any] = {
        "reference": recorded.reference,
        "status": recorded.status,
        "rights": recorded.rights,
        "jurisdiction": recorded.jurisdiction,
        "received_on": recorded.received_on.isoformat(),
        "due_on": recorded.due_on.isoformat() if recorded.due_on else None,
        "extended": recorded.extended,
        "recorded_at": recorded.updated_at.isoformat(),
        # The live view's shape: company -> {"systems": [...]}, as each system was last recorded.
        "collection": _by_company(systems),
        # And the live view's per-company counts; whether a company is done only its workflow
        # knows, so `done` is null here.
        "companies": [
            {"company": company, "records": sum(s["records"] for s in found["systems"]), "done": None}
            for company, found in _by_company(systems).items()
        ],
    }
    execution_json(data, execution)
    data["answering"] = False
    return json.dumps(data)


def _by_company(systems: list[RecordedSystem]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    companies: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for system in systems:
        companies.setdefault(system.company, {"systems": []})["systems"].append(vars(system))
    return companies


async def recorded_request(
    settings: Settings, reference: str
) -> tuple[RecordedRequest | None, list[RecordedSystem]]:
    from casestore.db import connection

    async with connection(settings.database_url) as conn:
        recorded = await queries.recorded_request(conn, reference)
        return recorded, await queries.recorded_collection(conn, reference) if recorded else []

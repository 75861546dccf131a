"""Where requests stand: `dsar status`, `list` and `report`.

`status` asks the request's workflow (and each company's child) directly, so it shows what is
true this second; a workflow that failed, was terminated, timed out or was cancelled shows as
such (from the server's own description), and one whose worker is down is shown within a few
seconds as the case store recorded it (`cli.recorded`). `list` reads Temporal visibility, which
can lag a moment behind, and needs no worker; `report` reads the case store, which keeps closed
requests after their workflows are gone.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

import typer
from rich.live import Live
from rich.table import Table
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError

from casestore import queries
from cli._base import (
    JsonFlag,
    UsageError,
    company_progress,
    connect_client,
    fail,
    load_settings,
    out,
    reference_arg,
    request_state,
    run,
)
from cli.execution import ENDED_BADLY, Execution, describe_request, execution_word, last_task_handled
from cli.recorded import execution_json, execution_rows, recorded_json, recorded_request, recorded_table
from dsar import search_attributes as sa
from dsar.domain import Status
from dsar.messages.collection import CompanyCollectionState
from dsar.messages.state import RequestState

Progress = dict[str, CompanyCollectionState | None]
# Seconds for the workflow's own answer (a Query needs a worker); past them the answer comes
# from the server's description and the case store, so `dsar status` answers within 5 s.
ANSWER_BUDGET = 3.5


def _status_table(state: RequestState, progress: Progress, execution: Execution | None = None) -> Table:
    table = Table(title=f"{state.reference}", show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value")
    execution_rows(table, execution, state.status.value)
    table.add_row("rights", ", ".join(r.value for r in state.rights))
    table.add_row("jurisdiction", state.jurisdiction)
    table.add_row("received", state.received_on.isoformat())
    if state.clock_stopped:
        table.add_row("due", "clock stopped")
    elif state.due_on:
        left = (state.due_on - date.today()).days
        ended = "; nothing is running to meet it" if execution is not None and execution.ended_badly else ""
        table.add_row("due", f"{state.due_on.isoformat()} ({left} days left{ended})")
    if state.extended:
        table.add_row("extended", state.extension_reason or "yes")
    if state.open_question:
        table.add_row("question", "waiting for the person's answer (dsar answer)")
    if state.outcome:
        table.add_row("outcome", state.outcome.replace("_", " "))
    identity = state.identity
    if identity is not None and state.status in (Status.RECEIVED, Status.IDENTITY):
        allowed = ", ".join(m.value for m in identity.allowed_methods)
        table.add_row("identity methods", allowed or "none until the agent's authorisation is attached")
        if identity.sensitive:
            table.add_row("needs a document check", ", ".join(r.value for r in identity.sensitive))
        table.add_row(
            "held records",
            f"{identity.customer_records} customer records;"
            f" e-mail {'held' if identity.email_held else 'not held'}; {identity.codes_sent} codes sent",
        )
    if state.identity_verified_by:
        method = f" ({identity.method})" if identity is not None and identity.method else ""
        table.add_row("identity confirmed by", state.identity_verified_by + method)
    if state.approved_by:
        table.add_row("approved by", state.approved_by)
    for company in state.companies:
        detail = progress.get(company.company)
        if company.done and company.systems:
            systems = ", ".join(f"{s.system}:{s.status.value}({s.records})" for s in company.systems)
        elif detail and detail.systems:
            systems = ", ".join(f"{s.system}:{s.status.value}({s.records})" for s in detail.systems)
        else:
            systems = "waiting for the company's worker" if not company.done else ""
        mark = "done" if company.done else "collecting"
        table.add_row(f"company {company.company}", f"{mark}, {company.records} records {systems}".strip())
    if state.package:
        table.add_row("package", f"{state.package.records} records, {state.package.bytes} bytes")
    for hold_key, hold_reason in sorted(state.legal_holds.items()):
        table.add_row(f"legal hold {hold_key}", hold_reason)
    if state.objection_upheld is not None:
        table.add_row("objection", "upheld" if state.objection_upheld else "overridden")
    for result in state.actions:
        line_text = f"{result.status.value}, {result.changed} changed"
        if result.fields:
            line_text += f" ({', '.join(result.fields)})"
        for kept in result.kept:
            line_text += f"; kept {kept.items} {kept.category} ({kept.legal_basis})"
        if result.error:
            line_text += f"; {result.error}"
        if result.note:
            line_text += f"; {result.note}"
        table.add_row(f"{result.action.value} {result.company}/{result.system}", line_text)
    if state.recipients_notified:
        table.add_row("recipients told (Art. 19)", ", ".join(state.recipients_notified))
    if state.restriction_active:
        table.add_row("restriction", "in force (dsar lift-restriction; the person is told first)")
    elif state.restriction_lifted_at:
        table.add_row("restriction", f"lifted {state.restriction_lifted_at.date().isoformat()}")
    if state.transmitted:
        table.add_row("transmitted (Art. 20(2))", f"{state.transmitted.bytes} bytes")
    return table


def _state_json(state: RequestState, progress: Progress, execution: Execution | None = None) -> str:
    data = state.model_dump(mode="json")
    data["collection"] = {k: v.model_dump(mode="json") if v else None for k, v in progress.items()}
    execution_json(data, execution)
    data["answering"] = True
    return json.dumps(data)


def status(
    reference: Annotated[str, typer.Argument(callback=reference_arg, help="e.g. DSAR-2026-000042")],
    watch: Annotated[bool, typer.Option("--watch", help="Follow the request live until it closes.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Show where a request stands, with each company's collection progress.

    The workflow answers a Query when its worker runs; when it does not answer within a
    few seconds, the request is shown as the case store recorded it, with a line saying so.
    A workflow that failed, was terminated, timed out or was cancelled is shown as such.
    """
    settings = load_settings()

    async def answered(client: Client, started: float) -> tuple[RequestState, Progress] | None:
        """The workflow's own view, or None if it does not answer within the command's budget."""
        loop = asyncio.get_running_loop()

        def left() -> float:
            return max(0.5, started + ANSWER_BUDGET - loop.time())

        try:
            query = request_state(client, reference, timeout=timedelta(seconds=left()))
            state = await asyncio.wait_for(query, left() + 0.2)
        except (TimeoutError, RPCError):
            return None
        companies = await asyncio.gather(
            *(company_progress(client, reference, c.company, c.rounds, left()) for c in state.companies)
        )
        return state, {c.company: p for c, p in zip(state.companies, companies, strict=True)}

    async def go() -> None:
        client = await connect_client(settings)
        started = asyncio.get_running_loop().time()
        execution = await describe_request(client, reference)
        found = await answered(client, started) if execution is not None else None
        if found is None:
            if execution is not None and not execution.ended_badly:
                execution.last_task_at = await last_task_handled(client, reference)
            recorded, systems = await recorded_request(settings, reference)
            if recorded is None:
                fail("no request with that reference", 1)
            if as_json:
                out.print_json(recorded_json(recorded, systems, execution))
            else:
                out.print(recorded_table(recorded, systems, execution))
            return
        state, progress = found
        if not watch:
            if as_json:
                out.print_json(_state_json(state, progress, execution))
            else:
                out.print(_status_table(state, progress, execution))
            return
        with Live(_status_table(state, progress, execution), console=out, refresh_per_second=2) as live:
            while state.status.is_open and (
                execution is None or execution.status is WorkflowExecutionStatus.RUNNING
            ):
                await asyncio.sleep(1.0)
                started = asyncio.get_running_loop().time()
                execution = await describe_request(client, reference)
                found = await answered(client, started)
                if found is None:
                    live.stop()
                    out.print(
                        "The workflow stopped answering; `dsar status` shows what the case store recorded."
                    )
                    break
                state, progress = found
                if as_json:
                    out.print(_state_json(state, progress, execution))
                live.update(_status_table(state, progress, execution))

    run(go())


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_window(value: str) -> timedelta:
    """`7d`, `2w` or a plain number of days."""
    text = value.strip().lower()
    unit = 7 if text.endswith("w") else 1
    number = text.rstrip("dw")
    if not number.isdigit() or not 0 < int(number) * unit <= 3650:
        raise UsageError("--due-within", "must look like 7d or 2w")
    return timedelta(days=int(number) * unit)


def build_list_query(
    status: str | None, due_before: datetime | None = None, overdue_at: datetime | None = None
) -> str:
    """A visibility query; every value in it comes from a checked enum or a datetime."""
    clauses = ['WorkflowType = "RightsRequestWorkflow"']
    if status:
        clauses.append(f'{sa.DSAR_STATUS.name} = "{Status(status).value}"')
    if due_before or overdue_at:
        # A delivered request keeps running while its package is kept; it is answered.
        clauses.append('ExecutionStatus = "Running"')
        clauses.append(f'{sa.DSAR_STATUS.name} != "{Status.DELIVERED.value}"')
    if due_before:
        clauses.append(f'{sa.DSAR_DUE_AT.name} <= "{_rfc3339(due_before)}"')
    if overdue_at:
        clauses.append(f'{sa.DSAR_DUE_AT.name} < "{_rfc3339(overdue_at)}"')
    return " AND ".join(clauses)


def list_requests(
    status_filter: Annotated[
        str | None, typer.Option("--status", help=", ".join(s.value for s in Status))
    ] = None,
    due_within: Annotated[
        str | None, typer.Option("--due-within", help="Open requests due within e.g. 7d or 2w.")
    ] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Open requests past their due date.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10000)] = 100,
    as_json: JsonFlag = False,
) -> None:
    """List requests from Temporal visibility, soonest due first."""
    if status_filter and status_filter not in {s.value for s in Status}:
        fail(f"--status: unknown status '{status_filter}'; choose from {', '.join(s.value for s in Status)}")
    now = datetime.now(UTC)
    try:
        window = parse_window(due_within) if due_within else None
    except UsageError as exc:
        fail(str(exc))
    settings = load_settings()
    query = build_list_query(status_filter, now + window if window else None, now if overdue else None)

    async def go() -> list[dict[str, Any]]:
        client = await connect_client(settings)
        rows = []
        async for wf in client.list_workflows(query, limit=limit):
            attrs = wf.typed_search_attributes
            due_at = attrs.get(sa.DSAR_DUE_AT)
            stage = attrs.get(sa.DSAR_STATUS)
            rows.append(
                {
                    "reference": wf.id.removeprefix("dsar-"),
                    # A workflow that ended badly is not at the stage it last recorded.
                    "status": execution_word(wf.status) if wf.status in ENDED_BADLY else stage,
                    "stage": stage,
                    "rights": list(attrs.get(sa.DSAR_RIGHTS) or []),
                    "jurisdiction": attrs.get(sa.DSAR_JURISDICTION),
                    "due_at": due_at.isoformat() if due_at else None,
                    "days_left": (due_at.date() - date.today()).days if due_at else None,
                    "execution": wf.status.name if wf.status else None,
                }
            )
        rows.sort(key=lambda r: r["due_at"] or "9999")
        return rows

    rows = run(go())
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table("reference", "status", "rights", "jurisdiction", "due", "days left")
    table.columns[0].no_wrap = True
    table.columns[0].min_width = len("DSAR-2026-000000")
    for r in rows:
        table.add_row(
            r["reference"],
            r["status"] if r["status"] == r["stage"] else f"[bold red]{r['status']}[/] (was {r['stage']})",
            ", ".join(r["rights"]),
            r["jurisdiction"] or "",
            (r["due_at"] or "")[:10],
            "" if r["days_left"] is None else str(r["days_left"]),
        )
    out.print(table)


def report(
    start: Annotated[str, typer.Option("--from", help="First day of receipt, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", help="Last day of receipt, YYYY-MM-DD.")],
    as_json: JsonFlag = False,
) -> None:
    """Deadline performance for requests received in a period; every case by retention state."""
    from casestore.db import connection
    from casestore.retention import retention_counts
    from cli.retention import retention_table
    from dsar.report import RequestRow, summarise

    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        fail("--from/--to: must be dates like 2026-01-31")
    if last < first:
        fail("--to: must not be before --from")
    settings = load_settings()

    async def go() -> tuple[list[RequestRow], dict[str, int]]:
        async with connection(settings.database_url) as conn:
            rows = await queries.requests_received_between(conn, first, last)
            return rows, {k.value: n for k, n in (await retention_counts(conn)).items()}

    received, retention = run(go())
    result = summarise(received, first, last, date.today())
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "from": first.isoformat(),
                    "to": last.isoformat(),
                    "total": result.total.as_dict(),
                    "by_right": {k: v.as_dict() for k, v in result.by_right.items()},
                    "by_jurisdiction": {k: v.as_dict() for k, v in result.by_jurisdiction.items()},
                    "retention": retention,
                }
            )
        )
        return
    table = Table(
        "", "received", "on time", "late", "open", "open overdue", "extended", "median days",
        title=f"Requests received {first.isoformat()} to {last.isoformat()}",
    )  # fmt: skip
    groups = [("all", result.total)]
    groups += [(f"right: {k}", v) for k, v in result.by_right.items()]
    groups += [(f"jurisdiction: {k}", v) for k, v in result.by_jurisdiction.items()]
    for label, f in groups:
        median = "-" if f.median_days_to_close is None else f"{f.median_days_to_close:g}"
        table.add_row(
            label, str(f.received), str(f.closed_on_time), str(f.closed_late), str(f.open),
            str(f.open_overdue), str(f.extended), median,
        )  # fmt: skip
    out.print(table)
    out.print(retention_table(retention))

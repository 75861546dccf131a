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
import heapq
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

import typer
from rich.live import Live
from rich.table import Table
from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus
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
from cli.recorded import OPEN_STAGES, recorded_json, recorded_request, recorded_table
from cli.soonest import narrowest_bound
from cli.status_view import View, pending_actions
from dsar import search_attributes as sa
from dsar.domain import Status
from dsar.visibility import REQUEST_WORKFLOWS, open_clauses, rfc3339

# Seconds for the workflow's own answer (a Query needs a worker); past them the answer comes
# from the server's description and the case store, so `dsar status` answers within 5 s.
ANSWER_BUDGET = 3.5


def status(
    reference: Annotated[str, typer.Argument(callback=reference_arg, help="e.g. DSAR-2026-000042")],
    watch: Annotated[
        bool,
        typer.Option(
            "--watch",
            help="Follow the request until it closes (live on a terminal; one line per change when piped).",
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Show where a request stands, with each company's collection progress, and end with
    what it waits for and the command that moves it.

    The workflow answers a Query when its worker runs; when it does not answer within a
    few seconds, the request is shown as the case store recorded it, with a line saying so.
    A workflow that failed, was terminated, timed out or was cancelled is shown as such.
    """
    settings = load_settings()

    async def answered(client: Client, started: float, execution: Execution | None) -> View | None:
        """The workflow's own view, or None if it does not answer within the command's budget."""
        loop = asyncio.get_running_loop()

        def left() -> float:
            return max(0.5, started + ANSWER_BUDGET - loop.time())

        try:
            query = request_state(client, reference, timeout=timedelta(seconds=left()))
            state = await asyncio.wait_for(query, left() + 0.2)
        except (TimeoutError, RPCError):
            return None
        companies, pending = await asyncio.gather(
            asyncio.gather(
                *(company_progress(client, reference, c.company, c.rounds, left()) for c in state.companies)
            ),
            pending_actions(client, execution),
        )
        progress = {c.company: p for c, p in zip(state.companies, companies, strict=True)}
        return View(state, progress, execution, pending)

    async def look(client: Client) -> View | None:
        started = asyncio.get_running_loop().time()
        execution = await describe_request(client, reference)
        return await answered(client, started, execution) if execution is not None else None

    async def go() -> None:
        client = await connect_client(settings)
        started = asyncio.get_running_loop().time()
        execution = await describe_request(client, reference)
        view = await answered(client, started, execution) if execution is not None else None
        if view is None:
            if execution is not None and not execution.ended_badly:
                execution.last_task_at = await last_task_handled(client, reference)
            recorded, systems = await recorded_request(settings, reference)
            if recorded is None:
                fail(f"no request {reference}; see the open ones with: dsar list", 1)
            if as_json:
                out.print_json(recorded_json(recorded, systems, execution))
            else:
                out.print(recorded_table(recorded, systems, execution))
            return
        if not watch:
            if as_json:
                out.print_json(view.json())
            else:
                out.print(view.table())
            return
        if as_json or not out.is_terminal:
            await _follow_plain(client, view, look, as_json)
            return
        with Live(view.table(), console=out, refresh_per_second=2) as live:
            while _running(view):
                await asyncio.sleep(1.0)
                found = await look(client)
                if found is None:
                    live.stop()
                    out.print(
                        "The workflow stopped answering; `dsar status` shows what the case store recorded."
                    )
                    break
                view = found
                live.update(view.table())

    run(go())


def _running(view: View) -> bool:
    execution = view.execution
    return view.state.status.is_open and (
        execution is None or execution.status is WorkflowExecutionStatus.RUNNING
    )


async def _follow_plain(
    client: Client, view: View, look: Callable[[Client], Awaitable[View | None]], as_json: bool
) -> None:
    """`--watch` into a pipe or a file (or with --json): one line each time something changes,
    flushed at once, so `dsar status --watch | tee` or a log shows progress as it happens."""
    shown = ""
    current: View | None = view
    while current is not None:
        line = current.json() if as_json else f"{datetime.now(UTC):%H:%M:%S} {current.line()}"
        key = current.json()
        if key != shown:
            shown = key
            out.print(line, markup=False, highlight=False, soft_wrap=True)
            out.file.flush()
        if not _running(current):
            return
        await asyncio.sleep(1.0)
        current = await look(client)
    out.print("The workflow stopped answering; `dsar status` shows what the case store recorded.")


def _open(execution: WorkflowExecutionStatus | None, stage: str | None) -> bool:
    """Still to be answered: running, and not delivered, closed or rejected."""
    return execution is WorkflowExecutionStatus.RUNNING and (stage is None or stage in OPEN_STAGES)


def parse_window(value: str) -> timedelta:
    """`7d`, `2w` or a plain number of days."""
    text = value.strip().lower()
    unit = 7 if text.endswith("w") else 1
    number = text.rstrip("dw")
    if not number.isdigit() or not 0 < int(number) * unit <= 3650:
        raise UsageError("--due-within", "must look like 7d or 2w")
    return timedelta(days=int(number) * unit)


# Visibility results per page: 10,000 open requests are read in ten calls.
LIST_PAGE = 1000


def build_list_query(
    status: str | None, due_before: datetime | None = None, overdue_at: datetime | None = None
) -> str:
    """A visibility query; every value in it comes from a checked enum or a datetime."""
    clauses = [REQUEST_WORKFLOWS]
    if status:
        clauses.append(f'{sa.DSAR_STATUS.name} = "{Status(status).value}"')
    if due_before or overdue_at:
        clauses += open_clauses()
    if due_before:
        clauses.append(f'{sa.DSAR_DUE_AT.name} <= "{rfc3339(due_before)}"')
    if overdue_at:
        clauses.append(f'{sa.DSAR_DUE_AT.name} < "{rfc3339(overdue_at)}"')
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

    by_deadline = window is not None or overdue

    def row(wf: WorkflowExecution) -> dict[str, Any]:
        attrs = wf.typed_search_attributes
        due_at = attrs.get(sa.DSAR_DUE_AT)
        stage = attrs.get(sa.DSAR_STATUS)
        return {
            "reference": wf.id.removeprefix("dsar-"),
            # A workflow that ended badly is not at the stage it last recorded.
            "status": execution_word(wf.status) if wf.status in ENDED_BADLY else stage,
            "stage": stage,
            "rights": list(attrs.get(sa.DSAR_RIGHTS) or []),
            "jurisdiction": attrs.get(sa.DSAR_JURISDICTION),
            "due_at": due_at.isoformat() if due_at else None,
            # An answered (or ended) request has no deadline left to count down.
            "days_left": (due_at.date() - date.today()).days if due_at and _open(wf.status, stage) else None,
            "execution": wf.status.name if wf.status else None,
        }

    def soonest_due(r: dict[str, Any]) -> str:
        return str(r["due_at"] or "9999")

    async def go() -> tuple[list[dict[str, Any]], int]:
        client = await connect_client(settings)
        total = (await client.count_workflows(query)).count
        if by_deadline:
            # Visibility cannot sort by a search attribute on SQL stores, so the requests due by
            # a bound that holds at least `limit` of them are read (cli.soonest) and the soonest
            # due kept: the `limit` shown are the most urgent, not the store's first.
            narrowed = query
            if total > limit:
                due_before = now + window if window else None
                overdue_at = now if overdue else None

                async def count_due_by(bound: datetime) -> int:
                    bounded = build_list_query(status_filter, bound, overdue_at)
                    return (await client.count_workflows(bounded)).count

                bound = await narrowest_bound(count_due_by, due_before or now, limit)
                narrowed = build_list_query(status_filter, bound, overdue_at)
            found = [row(wf) async for wf in client.list_workflows(narrowed, page_size=LIST_PAGE)]
            return heapq.nsmallest(limit, found, key=soonest_due), total
        # Every request ever (or all at one stage): the first `limit` in the store's order.
        listed = client.list_workflows(query, limit=limit, page_size=min(limit, LIST_PAGE))
        return sorted([row(wf) async for wf in listed], key=soonest_due), total

    rows, total = run(go())
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
    if total > len(rows):
        which = ", the soonest due" if by_deadline else ""
        out.print(f"{len(rows)} of {total} shown{which}; --limit shows more (at most 10000)")


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

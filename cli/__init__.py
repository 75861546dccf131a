"""`dsar`: the privacy team's command line.

Every command validates its input before it touches anything, and names the field and the
rule when it refuses; human steps go to the workflow as Updates, so the answer (accepted,
or refused with the reason) comes back at once.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar
from zoneinfo import ZoneInfo

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.live import Live
from rich.table import Table
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from dsar import search_attributes as sa
from dsar.config import Settings
from dsar.domain import (
    Agent,
    Channel,
    CorrectableField,
    Language,
    RequestSubmission,
    Right,
    Status,
    SubjectIdentity,
    company_workflow_id,
    format_reference,
    parse_reference,
    workflow_id_for,
)
from dsar.messages import (
    Action,
    ActionConfirmation,
    ActionRetry,
    AttachAuthorisation,
    AuthorisationFile,
    ClarificationAnswer,
    ClarificationRequest,
    CompanyCollectionState,
    ExcludeRecords,
    ExclusionReason,
    ExtensionDecision,
    IdentityDecision,
    IdentityMethod,
    KeepFinding,
    LegalHold,
    LiftRestriction,
    ManualRedaction,
    MatchDecision,
    ObjectionDecision,
    RefusalDecision,
    RequestState,
    ResendLinkRequest,
    ReviewDecision,
    RightsRequestInput,
    SendIdentityCode,
    SystemDecision,
    SystemStatus,
    UploadedFile,
)
from dsar.roles import Role, load_roles
from dsar.task_queues import CONTROL_TASK_QUEUE

app = typer.Typer(
    name="dsar",
    help="Handle GDPR data-subject rights requests, from receipt to delivery.",
    no_args_is_help=True,
    add_completion=False,
)
out = Console()
err = Console(stderr=True)
T = TypeVar("T")

# Rights whose whole path is built; the others are refused rather than half-handled.
# Option names as the user typed them, for error messages.
_FIELD_FLAGS = {
    "full_name": "--name",
    "email": "--email",
    "phone": "--phone",
    "customer_number": "--customer-number",
    "national_id": "--national-id",
    "postcode": "--postcode",
    "rights": "RIGHTS",
    "language": "--language",
    "jurisdiction": "--jurisdiction",
    "channel": "--channel",
    "received_on": "--received",
    "name": "--agent-name",
    "corrections": "--correct",
    "field": "--correct",
    "value": "--correct",
    "objection": "--objection-to",
    "scope": "--objection-to",
    "processing": "--processing",
    "transmit_to": "--transmit-to",
}


def parse_corrections(values: list[str]) -> list[dict[str, str]]:
    """`--correct field=value`, e.g. `--correct city=Uppsala`; the value may hold '='."""
    corrections = []
    fields = ", ".join(f.value for f in CorrectableField)
    for raw in values:
        field, sep, value = raw.partition("=")
        if not sep or field.strip() not in {f.value for f in CorrectableField}:
            raise UsageError("--correct", f"write FIELD=NEW VALUE with FIELD one of {fields}")
        corrections.append({"field": field.strip(), "value": value})
    return corrections


class UsageError(Exception):
    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")


def fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def run(coro: Awaitable[T]) -> T:
    try:
        return asyncio.run(coro)  # type: ignore[arg-type]
    except UsageError as exc:
        fail(str(exc))
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        fail(f"refused: {getattr(cause, 'message', None) or cause}", 1)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            fail("no request with that reference", 1)
        if exc.status == RPCStatusCode.UNAVAILABLE:
            fail("cannot reach Temporal; is the stack running (make dev) or DSAR_TEMPORAL_ADDRESS set?", 1)
        fail(f"Temporal refused the call: {exc.status.name if exc.status else 'error'}", 1)
    except (OSError, ConnectionError) as exc:
        fail(f"cannot reach a service: {type(exc).__name__}; is the stack running (make dev)?", 1)


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ValueError as exc:
        fail(str(exc))


async def _client(settings: Settings) -> Client:
    from dsar.client import connect

    try:
        return await connect(settings)
    except ValueError as exc:
        raise UsageError("configuration", str(exc)) from None
    except RuntimeError:
        raise OSError("Temporal unreachable") from None


def _reference(value: str) -> str:
    try:
        return parse_reference(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def validate_submission(
    *,
    rights: list[str],
    name: str,
    email: str,
    phone: str | None,
    customer_number: str | None,
    language: str,
    national_id: str | None = None,
    jurisdiction: str,
    channel: str,
    received: str,
    today: date | None = None,
    agent_name: str | None = None,
    corrections: list[str] | None = None,
    objection_to: str | None = None,
    processing: str | None = None,
    transmit_to: str | None = None,
) -> RequestSubmission:
    """Everything a submission must satisfy, checked before anything is stored or started."""
    from dsar import clock

    for right in rights:
        if right not in {r.value for r in Right}:
            raise UsageError(
                "RIGHTS", f"unknown right '{right}'; choose from {', '.join(r.value for r in Right)}"
            )
    try:
        received_on = date.fromisoformat(received)
    except ValueError:
        raise UsageError("--received", "must be a date like 2026-11-20") from None
    try:
        submission = RequestSubmission(
            rights=[Right(r) for r in rights],
            subject=SubjectIdentity(
                full_name=name,
                email=email,
                phone=phone or None,
                customer_number=customer_number,
                national_id=national_id or None,
            ),
            agent=Agent(name=agent_name) if agent_name is not None else None,
            language=language,  # type: ignore[arg-type]
            jurisdiction=jurisdiction,
            channel=channel,  # type: ignore[arg-type]
            received_on=received_on,
            corrections=parse_corrections(corrections or []),  # type: ignore[arg-type]
            objection=(
                {"scope": objection_to, "processing": processing}  # type: ignore[arg-type]
                if objection_to is not None
                else None
            ),
            transmit_to=transmit_to,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(p) for p in first["loc"]]
        named_loc = [p for p in reversed(loc) if p in _FIELD_FLAGS]
        field = _FIELD_FLAGS[named_loc[0]] if named_loc else (loc[-1] if loc else "input")
        message = str(first["msg"]).removeprefix("Value error, ")
        named, sep, rest = message.partition(": ")
        if sep and (not loc or named in _FIELD_FLAGS) and named.isidentifier():
            # A rule across fields names its field in the message ("corrections: ...").
            field, message = _FIELD_FLAGS.get(named, named), rest
        raise UsageError(field, message) from None
    try:
        zone = ZoneInfo(clock.get_jurisdiction(submission.jurisdiction).timezone)
    except ValueError as exc:
        raise UsageError("--jurisdiction", str(exc)) from None
    local_today = today or datetime.now(UTC).astimezone(zone).date()
    if submission.received_on > local_today:
        raise UsageError("--received", "the date of receipt cannot be in the future")
    return submission


OPEN_STATUSES = [s.value for s in Status if s.is_open]


async def find_open_duplicate(settings: Settings, submission: RequestSubmission) -> str | None:
    """An open request for the same person (by keyed e-mail hash) covering the same rights.

    A person who writes twice, or whose letter arrives after their e-mail, must not start
    two workflows acting on the same data; the second submission is linked to the first.
    """
    from casestore.db import connection
    from dsar.client import key_ring

    wanted = {r.value for r in submission.rights}
    async with connection(settings.database_url) as conn:
        rows = await conn.fetch(
            "SELECT reference, rights FROM requests WHERE email_lookup = $1 AND status = ANY($2::text[])"
            " ORDER BY created_at",
            key_ring(settings).lookup_hash(submission.subject.email),
            OPEN_STATUSES,
        )
    for row in rows:
        if wanted <= set(row["rights"]):
            return str(row["reference"])
    return None


async def link_duplicate(settings: Settings, reference: str, submission: RequestSubmission) -> None:
    """The later submission goes on the open request's audit trail (no personal data in it)."""
    from casestore.audit import append_audit
    from casestore.db import connection

    async with connection(settings.database_url) as conn:
        await append_audit(
            conn,
            reference=reference,
            actor=settings.actor,
            action="request.duplicate_linked",
            details={
                "rights": [r.value for r in submission.rights],
                "channel": submission.channel.value,
                "received_on": submission.received_on.isoformat(),
            },
        )


async def _allocate_reference(settings: Settings) -> str:
    from casestore.db import connection

    async with connection(settings.database_url) as conn:
        number = await conn.fetchval("SELECT nextval('request_number_seq')")
    return format_reference(datetime.now(UTC).year, int(number))


def summary_for(reference: str, submission: RequestSubmission) -> str:
    """The UI's summary line: process facts only, never the person."""
    rights = ", ".join(r.value for r in submission.rights)
    return (
        f"{reference}: {rights} · {submission.jurisdiction} · received {submission.received_on.isoformat()}"
    )


async def start_request(
    client: Client,
    reference: str,
    submission: RequestSubmission,
    actor: str,
    task_queue: str = CONTROL_TASK_QUEUE,
) -> None:
    from workflows.rights_request import RightsRequestWorkflow

    received_at = datetime.combine(submission.received_on, datetime.min.time(), tzinfo=UTC)
    await client.start_workflow(
        RightsRequestWorkflow.run,
        RightsRequestInput(reference=reference, submission=submission, submitted_by=actor),
        id=workflow_id_for(reference),
        task_queue=task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        static_summary=summary_for(reference, submission),
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(sa.DSAR_STATUS, Status.RECEIVED.value),
                SearchAttributePair(sa.DSAR_RIGHTS, [r.value for r in submission.rights]),
                SearchAttributePair(sa.DSAR_JURISDICTION, submission.jurisdiction),
                SearchAttributePair(sa.DSAR_RECEIVED_AT, received_at),
            ]
        ),
    )


JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


@app.command()
def submit(
    rights: Annotated[
        list[str],
        typer.Argument(
            help="access, rectification, erasure, restriction, portability, objection, consent_withdrawal"
        ),
    ],
    name: Annotated[str, typer.Option("--name", help="The person's full name as they gave it.")],
    email: Annotated[str, typer.Option("--email", help="The person's e-mail address.")],
    received: Annotated[
        str,
        typer.Option(
            "--received", help="Date the request reached the group (YYYY-MM-DD); may be in the past."
        ),
    ],
    phone: Annotated[
        str | None, typer.Option("--phone", help="Phone number, any format; stored as E.164.")
    ] = None,
    customer_number: Annotated[str | None, typer.Option("--customer-number")] = None,
    national_id: Annotated[
        str | None, typer.Option("--national-id", help="Swedish personnummer or UK NI number.")
    ] = None,
    language: Annotated[str, typer.Option("--language", help="sv or en")] = Language.SV.value,
    jurisdiction: Annotated[str, typer.Option("--jurisdiction", help="SE or GB")] = "SE",
    channel: Annotated[
        str, typer.Option("--channel", help=", ".join(c.value for c in Channel))
    ] = Channel.EMAIL.value,
    agent_name: Annotated[
        str | None,
        typer.Option(
            "--agent-name", help="Someone acting for the person; needs --authorisation (now or later)."
        ),
    ] = None,
    authorisation: Annotated[
        Path | None,
        typer.Option(
            "--authorisation",
            exists=True,
            dir_okay=False,
            readable=True,
            help="The person's written authorisation for the agent (a scan or PDF).",
        ),
    ] = None,
    new_anyway: Annotated[
        bool,
        typer.Option(
            "--new-anyway", help="Start a new request even if one for the same person and rights is open."
        ),
    ] = False,
    correct: Annotated[
        list[str] | None,
        typer.Option(
            "--correct",
            help="Rectification: FIELD=NEW VALUE, repeatable; FIELD is one of "
            + ", ".join(f.value for f in CorrectableField),
        ),
    ] = None,
    objection_to: Annotated[
        str | None,
        typer.Option("--objection-to", help="Objection: direct_marketing (stops at once) or other"),
    ] = None,
    processing: Annotated[
        str | None,
        typer.Option("--processing", help="Objection to other processing: what the person objects to."),
    ] = None,
    transmit_to: Annotated[
        str | None,
        typer.Option(
            "--transmit-to", help="Portability: the other controller's https endpoint (Art. 20(2))."
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Record a new request and start its workflow.

    A request for the same person and rights while one is open is linked to that one instead."""
    settings = _settings()
    if authorisation is not None and agent_name is None:
        fail("--authorisation: only for a request made by an agent (--agent-name)")

    async def go() -> tuple[str, bool]:
        submission = validate_submission(
            rights=rights,
            name=name,
            email=email,
            phone=phone,
            customer_number=customer_number,
            national_id=national_id,
            language=language,
            jurisdiction=jurisdiction,
            channel=channel,
            received=received,
            agent_name=agent_name,
            corrections=correct,
            objection_to=objection_to,
            processing=processing,
            transmit_to=transmit_to,
        )
        try:
            load_roles(settings.roles_file).require(settings.actor, Role.REQUESTER)
        except (ValueError, PermissionError) as exc:
            raise UsageError("role", str(exc)) from None
        client = await _client(settings)
        if not new_anyway:
            duplicate = await find_open_duplicate(settings, submission)
            if duplicate is not None:
                await link_duplicate(settings, duplicate, submission)
                return duplicate, False
        reference = await _allocate_reference(settings)
        if authorisation is not None and submission.agent is not None:
            # Claim-check: the file goes to the case bucket; the workflow learns its key and digest.
            stored = await _store_authorisation(settings, reference, authorisation)
            agent = submission.agent.model_copy(
                update={"authorisation_key": stored.object_key, "authorisation_sha256": stored.sha256}
            )
            submission = submission.model_copy(update={"agent": agent})
        await start_request(client, reference, submission, settings.actor)
        return reference, True

    reference, started = run(go())
    if not started:
        if as_json:
            out.print_json(json.dumps({"reference": reference, "started": False, "duplicate_of": reference}))
        else:
            out.print(
                f"Linked to {reference}: a request for the same person and rights is already open, "
                "so nothing new was started (the audit trail records this one). "
                "Use --new-anyway for a genuinely separate request."
            )
        return
    if as_json:
        out.print_json(
            json.dumps({"reference": reference, "workflow_id": workflow_id_for(reference), "started": True})
        )
    else:
        out.print(f"Started {reference} (workflow {workflow_id_for(reference)}).")
        out.print(f"Next: confirm the person's identity with [bold]dsar verify {reference}[/].")


async def _state(client: Client, reference: str) -> RequestState:
    handle: WorkflowHandle[Any, Any] = client.get_workflow_handle(workflow_id_for(reference))
    state: RequestState = await handle.query("state", result_type=RequestState)
    return state


async def _company_progress(
    client: Client, reference: str, company: str, round: int = 0
) -> CompanyCollectionState | None:
    handle: WorkflowHandle[Any, Any] = client.get_workflow_handle(
        company_workflow_id(reference, company, round)
    )
    try:
        # A company whose worker is down cannot answer; don't let it stall the whole view.
        progress: CompanyCollectionState = await handle.query(
            "progress", result_type=CompanyCollectionState, rpc_timeout=timedelta(seconds=2)
        )
        return progress
    except Exception:
        return None


def _status_table(state: RequestState, progress: dict[str, CompanyCollectionState | None]) -> Table:
    table = Table(title=f"{state.reference}", show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value")
    table.add_row("status", state.status.value)
    table.add_row("rights", ", ".join(r.value for r in state.rights))
    table.add_row("jurisdiction", state.jurisdiction)
    table.add_row("received", state.received_on.isoformat())
    if state.clock_stopped:
        table.add_row("due", "clock stopped")
    elif state.due_on:
        left = (state.due_on - date.today()).days
        table.add_row("due", f"{state.due_on.isoformat()} ({left} days left)")
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


def _state_json(state: RequestState, progress: dict[str, CompanyCollectionState | None]) -> str:
    data = state.model_dump(mode="json")
    data["collection"] = {k: v.model_dump(mode="json") if v else None for k, v in progress.items()}
    return json.dumps(data)


@app.command()
def status(
    reference: Annotated[str, typer.Argument(callback=_reference, help="e.g. DSAR-2026-000042")],
    watch: Annotated[bool, typer.Option("--watch", help="Follow the request live until it closes.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Show where a request stands, with each company's collection progress."""
    settings = _settings()

    async def snapshot(client: Client) -> tuple[RequestState, dict[str, CompanyCollectionState | None]]:
        state = await _state(client, reference)
        progress = {
            c.company: await _company_progress(client, reference, c.company, c.rounds)
            for c in state.companies
        }
        return state, progress

    async def go() -> None:
        client = await _client(settings)
        state, progress = await snapshot(client)
        if not watch:
            if as_json:
                out.print_json(_state_json(state, progress))
            else:
                out.print(_status_table(state, progress))
            return
        with Live(_status_table(state, progress), console=out, refresh_per_second=2) as live:
            while state.status.is_open:
                await asyncio.sleep(1.0)
                state, progress = await snapshot(client)
                if as_json:
                    out.print(_state_json(state, progress))
                live.update(_status_table(state, progress))

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


@app.command("list")
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
    settings = _settings()
    query = build_list_query(status_filter, now + window if window else None, now if overdue else None)

    async def go() -> list[dict[str, Any]]:
        client = await _client(settings)
        rows = []
        async for wf in client.list_workflows(query, limit=limit):
            attrs = wf.typed_search_attributes
            due_at = attrs.get(sa.DSAR_DUE_AT)
            rows.append(
                {
                    "reference": wf.id.removeprefix("dsar-"),
                    "status": attrs.get(sa.DSAR_STATUS),
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
            r["status"] or "",
            ", ".join(r["rights"]),
            r["jurisdiction"] or "",
            (r["due_at"] or "")[:10],
            "" if r["days_left"] is None else str(r["days_left"]),
        )
    out.print(table)


def _update(reference: str, name: str, arg: Any, as_json: bool, done: Callable[[RequestState], str]) -> None:
    settings = _settings()

    async def go() -> RequestState:
        client = await _client(settings)
        handle: WorkflowHandle[Any, Any] = client.get_workflow_handle(workflow_id_for(reference))
        state: RequestState = await handle.execute_update(name, arg, result_type=RequestState)
        return state

    state = run(go())
    if as_json:
        out.print_json(state.model_dump_json())
    else:
        out.print(done(state))


_METHODS = [IdentityMethod.CUSTOMER_RECORD.value, IdentityMethod.DOCUMENT_CHECK.value]


@app.command()
def verify(
    reference: Annotated[str, typer.Argument(callback=_reference)],
    code: Annotated[
        str | None, typer.Option("--code", help="The one-time code the person received and told you.")
    ] = None,
    method: Annotated[
        str,
        typer.Option(
            "--method",
            help="customer_record (matched an existing customer record) or document_check"
            " (required for erasure, a new contact address or an agent).",
        ),
    ] = IdentityMethod.CUSTOMER_RECORD.value,
    note: Annotated[
        str | None,
        typer.Option(
            "--note", help="How identity was confirmed; for a document, which kind, never its number."
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Confirm the requester's identity; collection starts at once.

    The workflow refuses a method weaker than the request needs, and says why."""
    settings = _settings()
    if code is not None:
        challenge = run(_check_code(settings, reference, code))
        decision = IdentityDecision(
            actor=settings.actor, method=IdentityMethod.EMAIL_CODE.value, challenge=challenge, note=note
        )
    elif method not in _METHODS:
        fail(f"--method: choose {' or '.join(_METHODS)}, or give --code")
    else:
        decision = IdentityDecision(actor=settings.actor, method=method, note=note)
    _update(
        reference,
        "verify_identity",
        decision,
        as_json,
        lambda s: f"Identity confirmed for {s.reference} ({decision.method}); collecting.",
    )


async def _check_code(settings: Settings, reference: str, typed: str) -> str:
    """Checked here against the case store, like the page does, so the code never enters history."""
    from activities.identity import CodeOutcome, check_identity_code
    from casestore.db import connection

    try:
        load_roles(settings.roles_file).require(settings.actor, Role.REVIEWER)
    except (ValueError, PermissionError) as exc:
        raise UsageError("role", str(exc)) from None
    async with connection(settings.database_url) as conn:
        check = await check_identity_code(
            conn, typed=typed, via="cli", actor=settings.actor, now=datetime.now(UTC), reference=reference
        )
    if check.outcome is not CodeOutcome.VERIFIED or check.challenge_id is None:
        fail(f"refused: {check.message}", 1)
    return str(check.challenge_id)


@app.command("send-code")
def send_code(
    reference: Annotated[str, typer.Argument(callback=_reference)],
    as_json: JsonFlag = False,
) -> None:
    """Send the person a new one-time code (expired, locked or lost); earlier codes stop working."""
    settings = _settings()
    _update(
        reference,
        "send_identity_code",
        SendIdentityCode(actor=settings.actor),
        as_json,
        lambda s: f"New code sent for {s.reference}; earlier codes no longer work.",
    )


MAX_AUTHORISATION = 20 * 1024 * 1024


async def _store_authorisation(settings: Settings, reference: str, file: Path) -> AuthorisationFile:
    import hashlib
    import mimetypes

    from casestore.storage import s3_client

    data = await asyncio.to_thread(file.read_bytes)
    size = len(data)
    if size > MAX_AUTHORISATION:
        raise UsageError(
            "--authorisation", f"is {size} bytes; at most {MAX_AUTHORISATION // (1024 * 1024)} MB"
        )
    sha256 = hashlib.sha256(data).hexdigest()
    media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    # Built from the reference and the digest only, never from the file's name.
    key = f"cases/{reference}/authorisation/{sha256}"
    await asyncio.to_thread(
        s3_client(settings).put_object,
        Bucket=settings.s3_bucket,
        Key=key,
        Body=data,
        ServerSideEncryption="AES256",
        ContentType=media_type,
    )
    return AuthorisationFile(object_key=key, sha256=sha256, bytes=size, media_type=media_type)


@app.command("attach-authorisation")
def attach_authorisation(
    reference: Annotated[str, typer.Argument(callback=_reference)],
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The signed authorisation.")
    ],
    as_json: JsonFlag = False,
) -> None:
    """Attach the person's written authorisation for their agent; identity can then be confirmed."""
    settings = _settings()

    async def go() -> RequestState:
        client = await _client(settings)
        state = await _state(client, reference)
        if state.identity is None or not state.identity.agent:
            raise UsageError("REFERENCE", "no agent acts for the person in this request")
        stored = await _store_authorisation(settings, reference, file)
        handle: WorkflowHandle[Any, Any] = client.get_workflow_handle(workflow_id_for(reference))
        result: RequestState = await handle.execute_update(
            "attach_authorisation",
            AttachAuthorisation(actor=settings.actor, file=stored),
            result_type=RequestState,
        )
        return result

    state = run(go())
    if as_json:
        out.print_json(state.model_dump_json())
    else:
        out.print(f"Authorisation attached to {state.reference}; identity can now be confirmed.")


@app.command()
def approve(
    reference: Annotated[str, typer.Argument(callback=_reference)],
    note: Annotated[str | None, typer.Option("--note")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Approve the collected data for delivery to the person."""
    settings = _settings()
    decision = ReviewDecision(actor=settings.actor, note=note)
    _update(
        reference,
        "approve",
        decision,
        as_json,
        lambda s: f"Approved {s.reference}; packaging and delivery follow.",
    )


def _system_callback(value: str) -> str:
    """`--system company/system`, checked against the group registry before anything runs."""
    from dsar.group import load_group

    company, _, code = value.strip().lower().partition("/")
    try:
        load_group().company(company).system(code)
    except KeyError:
        raise typer.BadParameter(
            f"{value!r} is not a system of the group registry; write it as company/system, e.g. gb01/signups"
        ) from None
    return f"{company}/{code}"


def _system_option(value: str) -> tuple[str, str]:
    company, _, code = value.partition("/")
    return company, code


SystemOption = Annotated[
    str,
    typer.Option(
        "--system",
        callback=_system_callback,
        help="company/system from the group registry, e.g. gb01/signups",
    ),
]
MAX_UPLOAD = 100 * 1024 * 1024
_MEDIA_TYPES = {".csv": "text/csv", ".json": "application/json"}


@app.command()
def upload(
    reference: Annotated[str, typer.Argument(callback=_reference)],
    system: SystemOption,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The export.")],
    as_json: JsonFlag = False,
) -> None:
    """Attach a manual system's export; its collection finishes and the request moves on.

    A CSV or JSON file becomes one record per row or object; anything else (a scan, a
    PDF) is kept as one file. The file goes to the case bucket, encrypted at rest, before
    the workflow hears of it, so only its checksum and key travel through Temporal.
    """
    import hashlib
    import mimetypes

    from activities.manual_systems import upload_key
    from casestore.storage import s3_client

    settings = _settings()
    company, code = _system_option(system)
    size = file.stat().st_size
    if size > MAX_UPLOAD:
        fail(f"FILE: is {size} bytes; exports above {MAX_UPLOAD // (1024 * 1024)} MB must be split")
    media_type = _MEDIA_TYPES.get(file.suffix.lower()) or (
        mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    )
    digest = hashlib.sha256()
    with file.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    sha256 = digest.hexdigest()

    async def go() -> RequestState:
        client = await _client(settings)
        state = await _state(client, reference)
        progress = next((c for c in state.companies if c.company == company), None)
        if progress is None:
            raise UsageError("--system", f"company {company} has no collection in {reference}")
        detail = await _company_progress(client, reference, company, progress.rounds)
        waiting = detail is not None and any(
            s.system == code and s.status is SystemStatus.AWAITING_UPLOAD for s in detail.systems
        )
        if not waiting:
            raise UsageError("--system", f"{company}/{code} is not waiting for an upload in {reference}")
        key = upload_key(reference, company, code, sha256)
        await asyncio.to_thread(
            s3_client(settings).upload_file,
            str(file),
            settings.s3_bucket,
            key,
            ExtraArgs={"ServerSideEncryption": "AES256", "ContentType": media_type},
        )
        upload = UploadedFile(
            actor=settings.actor,
            company=company,
            system=code,
            object_key=key,
            sha256=sha256,
            bytes=size,
            media_type=media_type,
        )
        handle: WorkflowHandle[Any, Any] = client.get_workflow_handle(workflow_id_for(reference))
        result: RequestState = await handle.execute_update("attach_upload", upload, result_type=RequestState)
        return result

    state = run(go())
    if as_json:
        out.print_json(state.model_dump_json())
    else:
        out.print(f"Attached {file.name} ({size} bytes) to {company}/{code} of {state.reference}.")


@app.command("mark-na")
def mark_not_applicable(
    reference: Annotated[str, typer.Argument(callback=_reference)],
    system: SystemOption,
    reason: Annotated[str, typer.Option("--reason", help="Why the system does not apply; kept on record.")],
    as_json: JsonFlag = False,
) -> None:
    """Mark a failed or outstanding system as not applicable to this request, with the reason."""
    settings = _settings()
    company, code = _system_option(system)
    decision = SystemDecision(actor=settings.actor, company=company, system=code, reason=reason)
    _update(
        reference,
        "mark_not_applicable",
        decision,
        as_json,
        lambda s: f"Marked {company}/{code} of {s.reference} not applicable.",
    )


@app.command()
def retry(
    reference: Annotated[str, typer.Argument(callback=_reference)],
    system: SystemOption,
    as_json: JsonFlag = False,
) -> None:
    """Collect one system again (after a failure is fixed, or to send it back during review)."""
    settings = _settings()
    company, code = _system_option(system)
    decision = SystemDecision(actor=settings.actor, company=company, system=code)

    def done(state: RequestState) -> str:
        for progress in state.companies:
            for result in progress.systems:
                if progress.company == company and result.system == code:
                    return (
                        f"Collected {company}/{code} again: {result.status.value}, {result.records} records."
                    )
        return f"Collected {company}/{code} again."

    _update(reference, "retry_system", decision, as_json, done)


_ACTIONS = ", ".join(a.value for a in Action)


def _action_callback(value: str) -> str:
    if value not in {a.value for a in Action}:
        raise typer.BadParameter(f"{value!r} is not an action; choose from {_ACTIONS}")
    return value


ActionOption = Annotated[str, typer.Option("--action", callback=_action_callback, help=_ACTIONS)]


@app.command()
def hold(
    reference: Annotated[str, typer.Argument(callback=_reference)],
    system: SystemOption,
    reason: Annotated[
        str, typer.Option("--reason", help="The legal ground (e.g. a pending claim); the person is told it.")
    ],
    as_json: JsonFlag = False,
) -> None:
    """Keep a system's data despite the erasure (legal hold, Art. 17(3)(e)), during review."""
    settings = _settings()
    company, code = _system_option(system)
    decision = LegalHold(actor=settings.actor, company=company, system=code, reason=reason)
    _update(
        reference,
        "place_legal_hold",
        decision,
        as_json,
        lambda s: f"{company}/{code} of {s.reference} is kept under a legal hold; the letter will say why.",
    )


@app.command("decide-objection")
def decide_objection(
    reference: Annotated[str, typer.Argument(callback=_reference)],
    grounds: Annotated[str, typer.Option("--grounds", help="Why; the person is told it.")],
    uphold: Annotated[
        bool,
        typer.Option(
            "--uphold/--override",
            help="Uphold the objection (processing stops), or override it on compelling legitimate grounds.",
        ),
    ],
    as_json: JsonFlag = False,
) -> None:
    """Decide an objection to processing other than direct marketing (Art. 21(1)), during review."""
    settings = _settings()
    decision = ObjectionDecision(actor=settings.actor, uphold=uphold, grounds=grounds)
    verdict = "upheld: the processing stops" if uphold else "overridden"
    _update(
        reference, "decide_objection", decision, as_json, lambda s: f"Objection in {s.reference} {verdict}."
    )


@app.command()
def done(
    reference: Annotated[str, typer.Argument(callback=_reference)],
    system: SystemOption,
    action: ActionOption,
    changed: Annotated[int, typer.Option("--changed", min=0, help="Rows or items changed by hand.")] = 0,
    not_applicable: Annotated[
        bool, typer.Option("--not-applicable", help="The system cannot take the action; say why in --note.")
    ] = False,
    note: Annotated[str, typer.Option("--note", help="What was done, or why not; kept on record.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Confirm a manual system's owner took the action (or settle a failed system by hand)."""
    settings = _settings()
    company, code = _system_option(system)
    confirmation = ActionConfirmation(
        actor=settings.actor,
        company=company,
        system=code,
        action=Action(action),
        done=not not_applicable,
        changed=changed,
        note=note,
    )
    _update(
        reference,
        "confirm_action",
        confirmation,
        as_json,
        lambda s: (
            f"Recorded {action} in {company}/{code} of {s.reference} as "
            + ("not applicable." if not_applicable else f"done ({changed} changed).")
        ),
    )


@app.command("retry-action")
def retry_action(
    reference: Annotated[str, typer.Argument(callback=_reference)],
    system: SystemOption,
    action: ActionOption,
    as_json: JsonFlag = False,
) -> None:
    """Take a failed action again in one system (after the fault is fixed)."""
    settings = _settings()
    company, code = _system_option(system)
    retry = ActionRetry(actor=settings.actor, company=company, system=code, action=Action(action))

    def report(state: RequestState) -> str:
        for result in state.actions:
            if (result.company, result.system, result.action.value) == (company, code, action):
                return f"{action} in {company}/{code}: {result.status.value}, {result.changed} changed."
        return f"{action} in {company}/{code} taken again."

    _update(reference, "retry_action", retry, as_json, report)


@app.command("lift-restriction")
def lift_restriction(
    reference: Annotated[str, typer.Argument(callback=_reference)],
    reason: Annotated[
        str, typer.Option("--reason", help="Why the restriction ends; the person is told first.")
    ],
    as_json: JsonFlag = False,
) -> None:
    """Lift a restriction (Art. 18(3)): the person is told, then the flags are cleared everywhere."""
    settings = _settings()
    request = LiftRestriction(actor=settings.actor, reason=reason)
    _update(
        reference,
        "lift_restriction",
        request,
        as_json,
        lambda s: f"Lifting the restriction of {s.reference}: the person is told first.",
    )


@app.command()
def matches(
    reference: Annotated[str, typer.Argument(callback=_reference)],
    as_json: JsonFlag = False,
) -> None:
    """List records found only by name and postcode; they need a reviewer's decision."""
    settings = _settings()

    async def go() -> list[dict[str, Any]]:
        from casestore.db import connection

        async with connection(settings.database_url) as conn:
            rows = await conn.fetch(
                "SELECT id, company, system, source_table, source_key, confidence, data,"
                " confirmed_by, rejected_by FROM collected_records"
                " WHERE reference = $1 AND needs_confirmation ORDER BY confidence DESC, id",
                reference,
            )
        return [dict(r) for r in rows]

    rows = run(go())
    if as_json:
        out.print_json(json.dumps(rows, default=str))
        return
    table = Table(
        "record", "where", "score", "name", "postcode", "decision", title=f"fuzzy matches in {reference}"
    )
    for r in rows:
        data = r["data"] if isinstance(r["data"], dict) else {}
        decision = (
            f"confirmed by {r['confirmed_by']}"
            if r["confirmed_by"]
            else f"rejected by {r['rejected_by']}"
            if r["rejected_by"]
            else "open"
        )
        table.add_row(
            str(r["id"]),
            f"{r['company']}/{r['system']}/{r['source_table']}#{r['source_key']}",
            f"{r['confidence']:.2f}",
            str(data.get("full_name", "")),
            str(data.get("postcode", "")),
            decision,
        )
    out.print(table)
    if rows:
        out.print(f"Decide with: dsar confirm {reference} --record ID [--reject]")


@app.command()
def confirm(
    reference: Annotated[str, typer.Argument(callback=_reference)],
    record: Annotated[list[int], typer.Option("--record", help="Record id from dsar matches; repeatable.")],
    reject: Annotated[bool, typer.Option("--reject", help="Not the person: keep it out.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Confirm (or reject) name-and-postcode matches; only confirmed ones are sent to the person."""
    settings = _settings()
    decision = MatchDecision(actor=settings.actor, record_ids=record, accept=not reject)

    async def go() -> int:
        client = await _client(settings)
        handle: WorkflowHandle[Any, Any] = client.get_workflow_handle(workflow_id_for(reference))
        count: int = await handle.execute_update("confirm_matches", decision, result_type=int)
        return count

    count = run(go())
    if as_json:
        out.print_json(json.dumps({"reference": reference, "changed": count, "accepted": not reject}))
    else:
        out.print(f"{'Rejected' if reject else 'Confirmed'} {count} record(s) in {reference}.")


# --- review and redaction (Art. 15(4)) -------------------------------------------------------


@app.command()
def review(
    reference: Annotated[str, typer.Argument(callback=_reference)],
    as_json: JsonFlag = False,
) -> None:
    """What to check before approving: per company, system and category the counts and a
    few redacted samples, failed systems, open fuzzy matches, and every place other
    people's data was found (with the finding id to keep it) or a record was excluded."""
    settings = _settings()

    async def go() -> dict[str, Any]:
        from activities.redactions import review_overview
        from casestore.db import connection
        from dsar.group import load_group

        async with connection(settings.database_url) as conn:
            return await review_overview(conn, load_group(), reference)

    view = run(go())
    if as_json:
        out.print_json(json.dumps(view, default=str))
        return
    table = Table(
        "company/system",
        "status",
        "category",
        "records",
        "excluded",
        "to confirm",
        title=f"review of {reference}",
    )
    for company in view["companies"]:
        for system in company["systems"]:
            place = f"{company['company']}/{system['system']}"
            status = system["status"] + (f": {system['error']}" if system["error"] else "")
            if not system["categories"]:
                table.add_row(place, status, "", "0", "", "")
            for cat in system["categories"]:
                table.add_row(
                    place,
                    status,
                    cat["category"],
                    str(cat["records"]),
                    str(cat["excluded"]),
                    str(cat["awaiting_confirmation"]),
                )
    out.print(table)
    for company in view["companies"]:
        for system in company["systems"]:
            for cat in system["categories"]:
                for sample in cat["samples"]:
                    text = json.dumps(sample["data"], ensure_ascii=False, default=str)
                    where = f"{company['company']}/{system['system']}/{sample['table']}#{sample['key']}"
                    out.print(f"[dim]record {sample['record']} {where}:[/] {text[:300]}", highlight=False)
    for failed in view["failed_systems"]:
        out.print(
            f"[bold red]failed:[/] {failed['company']}/{failed['system']}: {failed['error']}", highlight=False
        )
    if view["fuzzy_matches"]:
        out.print(f"{len(view['fuzzy_matches'])} fuzzy match(es) wait: dsar matches {reference}")
    findings = Table("finding", "kind", "where", "field", "decision", title="other people's data found")
    for f in view["findings"]:
        findings.add_row(
            f["finding"],
            f["kind"],
            f"{f['company']}/{f['system']}/{f['table']}#{f['key']}",
            f["field"],
            f["decision"],
        )
    out.print(findings)
    for e in view["excluded"]:
        out.print(
            f"excluded: record {e['record']} {e['company']}/{e['system']}/{e['table']}#{e['key']}"
            f" ({e['reason_code']}, by {e['by']})",
            highlight=False,
        )
    out.print(
        f"Decide with: dsar keep {reference} --finding ID --reason ...;"
        f" dsar exclude {reference} --record ID --reason-code CODE --note ...;"
        f" dsar redact {reference} --record ID --field PATH [--text ...] --reason ..."
    )


def _decide(reference: str, name: str, decision: Any, as_json: bool, done: Callable[[int], str]) -> None:
    settings = _settings()

    async def go() -> int:
        client = await _client(settings)
        handle: WorkflowHandle[Any, Any] = client.get_workflow_handle(workflow_id_for(reference))
        count: int = await handle.execute_update(name, decision, result_type=int)
        return count

    count = run(go())
    if as_json:
        out.print_json(json.dumps({"reference": reference, "changed": count}))
    else:
        out.print(done(count))


@app.command()
def exclude(
    reference: Annotated[str, typer.Argument(callback=_reference)],
    record: Annotated[list[int], typer.Option("--record", help="Record id from dsar review; repeatable.")],
    reason_code: Annotated[
        ExclusionReason, typer.Option("--reason-code", help="Why the record is withheld.")
    ],
    note: Annotated[str, typer.Option("--note", help="What the record is and why the reason applies.")],
    as_json: JsonFlag = False,
) -> None:
    """Leave whole records out of the package; the person is told how many and why."""
    settings = _settings()
    try:
        decision = ExcludeRecords(actor=settings.actor, record_ids=record, reason_code=reason_code, note=note)
    except ValidationError as exc:
        fail(f"--record: {exc.errors()[0]['msg']}")
    _decide(
        reference, "exclude_records", decision, as_json, lambda n: f"Excluded {n} record(s) from {reference}."
    )


@app.command()
def redact(
    reference: Annotated[str, typer.Argument(callback=_reference)],
    record: Annotated[int, typer.Option("--record", help="Record id from dsar review.")],
    field: Annotated[str, typer.Option("--field", help="The field, e.g. body or notes[2].text (or $.body).")],
    reason: Annotated[str, typer.Option("--reason", help="Why; the person is told it.")],
    text: Annotated[
        str | None, typer.Option("--text", help="Only this text within the field (every occurrence).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Remove text the detector missed. The CLI finds --text in the case store itself and
    sends only its position, so the removed words never enter the workflow's history."""
    from dsar.redaction import iter_strings, occurrences

    settings = _settings()
    path = field if field.startswith("$") else f"$.{field}" if not field.startswith("[") else f"${field}"

    async def spans() -> list[tuple[int, int]]:
        from casestore.db import connection

        async with connection(settings.database_url) as conn:
            data = await conn.fetchval(
                "SELECT data FROM collected_records WHERE reference = $1 AND id = $2", reference, record
            )
        if not isinstance(data, dict):
            raise UsageError("--record", f"{record} is not a record of {reference}")
        value = dict(iter_strings(data)).get(path)
        if value is None:
            raise UsageError("--field", f"record {record} has no text at {path}")
        if text is None:
            return []
        found = occurrences(value, text)
        if not found:
            raise UsageError("--text", f"does not occur in {path} of record {record}")
        return found

    try:
        decision = ManualRedaction(
            actor=settings.actor, record_id=record, path=path, spans=run(spans()), reason=reason
        )
    except ValidationError as exc:
        fail(f"--field: {exc.errors()[0]['msg']}")
    _decide(
        reference, "redact_field", decision, as_json, lambda n: f"Redacted {n} span(s) in record {record}."
    )


@app.command()
def keep(
    reference: Annotated[str, typer.Argument(callback=_reference)],
    finding: Annotated[str, typer.Option("--finding", help="RECORD/FINDING as dsar review shows it.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the value may be disclosed.")],
    as_json: JsonFlag = False,
) -> None:
    """Overrule one automatic redaction: that value stays in the package."""
    settings = _settings()
    record, _, finding_id = finding.partition("/")
    try:
        decision = KeepFinding(
            actor=settings.actor, record_id=int(record), finding_id=finding_id, reason=reason
        )
    except (ValueError, ValidationError):
        fail("--finding: write it as dsar review shows it, RECORD/f-0123456789abcdef")
    _decide(reference, "keep_finding", decision, as_json, lambda n: f"Kept finding {finding} in {reference}.")


@app.command()
def extend(
    reference: Annotated[str, typer.Argument(callback=_reference)],
    reason: Annotated[str, typer.Option("--reason", help="Why more time is needed; sent to the person.")],
    as_json: JsonFlag = False,
) -> None:
    """Extend the deadline by two months (Art. 12(3)); the person is told why at once."""
    settings = _settings()
    decision = ExtensionDecision(actor=settings.actor, reason=reason)
    _update(
        reference,
        "extend",
        decision,
        as_json,
        lambda s: (
            f"Extended {s.reference}; now due {s.due_on.isoformat() if s.due_on else '-'}. Notice sent."
        ),
    )


@app.command()
def refuse(
    reference: Annotated[str, typer.Argument(callback=_reference)],
    reason: Annotated[
        str,
        typer.Option(
            "--reason", help="Why the request is manifestly unfounded or excessive; sent as written."
        ),
    ],
    as_json: JsonFlag = False,
) -> None:
    """Refuse a manifestly unfounded or excessive request (Art. 12(5)); the person gets the reasons
    and is told of the right to complain to the supervisory authority and to go to court."""
    settings = _settings()
    decision = RefusalDecision(actor=settings.actor, reason=reason)
    _update(
        reference,
        "refuse",
        decision,
        as_json,
        lambda s: f"Refused {s.reference}; the letter with the reasons and the person's remedies follows.",
    )


@app.command()
def clarify(
    reference: Annotated[str, typer.Argument(callback=_reference)],
    question: Annotated[str, typer.Option("--question", help="Sent to the person as written.")],
    as_json: JsonFlag = False,
) -> None:
    """Ask the person a question; where the jurisdiction allows, the clock waits for the answer."""
    settings = _settings()
    request = ClarificationRequest(actor=settings.actor, question=question)
    _update(
        reference,
        "clarify",
        request,
        as_json,
        lambda s: f"Question sent for {s.reference}; clock {'stopped' if s.clock_stopped else 'running'}.",
    )


@app.command()
def answer(
    reference: Annotated[str, typer.Argument(callback=_reference)],
    note: Annotated[str | None, typer.Option("--note", help="What the person answered, in short.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Record that the person answered; the clock starts again from today."""
    settings = _settings()
    _update(
        reference,
        "answer",
        ClarificationAnswer(actor=settings.actor, note=note),
        as_json,
        lambda s: f"Answer recorded for {s.reference}; due {s.due_on.isoformat() if s.due_on else '-'}.",
    )


@app.command("resend-link")
def resend_link(
    reference: Annotated[str, typer.Argument(callback=_reference)],
    as_json: JsonFlag = False,
) -> None:
    """Send the person a new download link and code; the ones sent before stop working."""
    settings = _settings()
    _update(
        reference,
        "resend_link",
        ResendLinkRequest(actor=settings.actor),
        as_json,
        lambda s: f"New download link and code sent for {s.reference}; earlier links no longer work.",
    )


@app.command()
def report(
    start: Annotated[str, typer.Option("--from", help="First day of receipt, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", help="Last day of receipt, YYYY-MM-DD.")],
    as_json: JsonFlag = False,
) -> None:
    """Deadline performance for requests received in a period, per right and jurisdiction."""
    from dsar import clock
    from dsar.report import RequestRow, summarise

    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        fail("--from/--to: must be dates like 2026-01-31")
    if last < first:
        fail("--to: must not be before --from")
    settings = _settings()

    async def go() -> list[RequestRow]:
        from casestore.db import connection

        async with connection(settings.database_url) as conn:
            records = await conn.fetch(
                "SELECT reference, rights, jurisdiction, received_on, due_on, status, extended, closed_at"
                " FROM requests WHERE received_on BETWEEN $1 AND $2",
                first,
                last,
            )
        return [
            RequestRow(
                reference=r["reference"],
                rights=tuple(r["rights"]),
                jurisdiction=r["jurisdiction"],
                timezone=clock.get_jurisdiction(r["jurisdiction"]).timezone,
                received_on=r["received_on"],
                due_on=r["due_on"],
                status=r["status"],
                extended=r["extended"],
                closed_at=r["closed_at"],
            )
            for r in records
        ]

    result = summarise(run(go()), first, last, date.today())
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "from": first.isoformat(),
                    "to": last.isoformat(),
                    "total": result.total.as_dict(),
                    "by_right": {k: v.as_dict() for k, v in result.by_right.items()},
                    "by_jurisdiction": {k: v.as_dict() for k, v in result.by_jurisdiction.items()},
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


@app.command()
def migrate() -> None:
    """Apply pending case-store migrations (the local stack does this itself)."""
    from casestore.db import migrate as apply

    settings = _settings()
    applied = run(apply(settings.database_url))
    out.print(f"applied migrations: {applied or 'none pending'}")


@app.command()
def audit(
    reference: Annotated[str | None, typer.Argument(help="Show this request's trail.")] = None,
    verify_chain: Annotated[
        bool, typer.Option("--verify", help="Recompute the whole hash chain; exit 1 on any break.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Print a request's audit trail, or prove that no entry was changed or removed."""
    if reference is None and not verify_chain:
        fail("give a reference, or --verify to check the whole trail")
    ref = _reference(reference) if reference else None
    settings = _settings()

    async def go() -> tuple[list[dict[str, Any]], list[Any]]:
        from casestore.audit import verify_chain as check
        from casestore.db import connection

        async with connection(settings.database_url) as conn:
            rows = []
            if ref:
                records = await conn.fetch(
                    "SELECT seq, at, actor, action, details, hash FROM audit_log"
                    " WHERE reference = $1 ORDER BY seq",
                    ref,
                )
                rows = [dict(r) | {"at": r["at"].isoformat()} for r in records]
            problems = await check(conn) if verify_chain else []
        return rows, problems

    rows, problems = run(go())
    if as_json:
        out.print_json(
            json.dumps(
                {"entries": rows, "problems": [p.__dict__ for p in problems], "verified": verify_chain}
            )
        )
    else:
        if ref:
            table = Table("seq", "at", "actor", "action", "details", title=f"audit trail of {ref}")
            for r in rows:
                table.add_row(str(r["seq"]), r["at"][:19], r["actor"], r["action"], json.dumps(r["details"]))
            out.print(table)
        if verify_chain:
            if problems:
                for p in problems:
                    err.print(f"[bold red]audit entry {p.seq}:[/] {p.problem}", highlight=False)
            else:
                out.print("audit trail intact: every entry matches its hash and its predecessor")
    if problems:
        raise typer.Exit(1)


@app.command("codec-server")
def codec_server() -> None:
    """Serve the payload codec to the Temporal UI for operators holding a token."""
    from dsar.client import key_ring
    from dsar.logs import configure_logging
    from web.codec_server import CodecServer, CodecServerConfig, parse_tokens

    settings = _settings()
    configure_logging(settings.log_format, settings.log_level)
    host, _, port = settings.codec_listen.rpartition(":")
    if not host or not port.isdigit():
        fail("DSAR_CODEC_LISTEN: must look like 127.0.0.1:8081")
    try:
        config = CodecServerConfig(
            ring=key_ring(settings),
            tokens=parse_tokens(settings.codec_tokens),
            ui_origin=settings.codec_ui_origin,
            host=host,
            port=int(port),
        )
    except ValueError as exc:
        fail(str(exc))
    server = CodecServer(config)
    out.print(f"codec server on {server.url}, answering the UI at {config.ui_origin}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.stop()


@app.command("download-server")
def download_server() -> None:
    """Serve the download page where people fetch their answer with the code they were e-mailed."""
    from dsar.logs import configure_logging
    from web.download import serve

    settings = _settings()
    configure_logging(settings.log_format, settings.log_level)
    try:
        serve(settings)
    except ValueError as exc:
        fail(str(exc))


@app.command()
def dev(
    fresh: Annotated[bool, typer.Option("--fresh", help="Delete the state folder first.")] = False,
) -> None:
    """Run the whole local stack with the demo group; Ctrl-C stops everything.

    The dev stack and demo data are not part of the installed product (the image does not
    ship them), so this runs only from a clone: `make dev` starts it from the project root.
    """
    try:
        from devstack.stack import run_stack
    except ImportError:
        fail("the local stack runs from a clone of the project: run `make dev` in its root folder")

    sys.exit(run_stack(fresh=fresh))


def main() -> None:
    # The Temporal client's Rust threads can abort a short-lived process during interpreter
    # teardown (temporalio/sdk-python#300), turning a finished command into exit code -6.
    # Everything is done and flushed by then, so leave without the teardown.
    code: int = 0
    try:
        app()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()

"""`dsar submit`: record a request, check it in full, and start its workflow.

Everything a submission must satisfy is checked before anything is stored or started, and a
second submission for the same person and rights while one is open is linked to that one
rather than starting two workflows acting on the same data.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from pydantic import ValidationError
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy

from casestore import queries
from cli._base import (
    JsonFlag,
    UsageError,
    connect_client,
    fail,
    load_settings,
    out,
    require_role,
    run,
)
from cli.identity import store_authorisation
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
    workflow_id_for,
)
from dsar.messages.intake import RightsRequestInput
from dsar.roles import Role
from dsar.task_queues import CONTROL_TASK_QUEUE
from workflows.rights_request import RightsRequestWorkflow

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


def refuse_unmailable(settings: Settings, email: str) -> None:
    """An address with non-ASCII characters before the @ can only go through a relay that
    offers SMTPUTF8 (RFC 6531); ask ours now, so such a request is refused at intake with
    the rule instead of being accepted and then never acknowledged."""
    from activities._smtp import SmtpSender
    from dsar.email_address import mail_address

    if not mail_address(email).needs_smtputf8:
        return
    if SmtpSender(settings.smtp_url).offers_smtputf8() is False:
        raise UsageError(
            "--email",
            "has characters before the @ that only a mail relay offering SMTPUTF8 can carry,"
            " and ours does not; ask the person for another address",
        )


async def find_open_duplicate(settings: Settings, submission: RequestSubmission) -> str | None:
    """An open request for the same person (by keyed e-mail hash) covering the same rights.

    A person who writes twice, or whose letter arrives after their e-mail, must not start
    two workflows acting on the same data; the second submission is linked to the first.
    """
    from casestore.db import connection
    from dsar.client import key_ring

    async with connection(settings.database_url) as conn:
        return await queries.open_request_covering(
            conn,
            key_ring(settings).lookup_hash(submission.subject.email),
            {r.value for r in submission.rights},
        )


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


async def allocate_reference(settings: Settings) -> str:
    """The next free reference of this year, from the case store's sequence."""
    from casestore.db import connection

    async with connection(settings.database_url) as conn:
        return await queries.allocate_reference(conn, datetime.now(UTC).year)


def summary_for(reference: str, submission: RequestSubmission) -> str:
    """The UI's summary line: process facts only, never the person."""
    rights = ", ".join(r.value for r in submission.rights)
    return (
        f"{reference}: {rights} · {submission.jurisdiction} · received {submission.received_on.isoformat()}"
    )


def details_for(reference: str, submission: RequestSubmission) -> str:
    """The UI's fixed details (Markdown): how the request came in and where to follow it.
    Process facts only, like the summary: never the person."""
    rights = ", ".join(r.value for r in submission.rights)
    return "\n".join(
        [
            f"**{reference}**",
            f"- Rights: {rights}",
            f"- Jurisdiction: {submission.jurisdiction}; language: {submission.language.value}",
            f"- Received {submission.received_on.isoformat()} by {submission.channel.value}"
            + ("; an agent acts for the person" if submission.agent is not None else ""),
            f"- On the command line: `dsar status {reference}`",
        ]
    )


async def start_request(
    client: Client,
    reference: str,
    submission: RequestSubmission,
    actor: str,
    task_queue: str = CONTROL_TASK_QUEUE,
) -> None:
    """Start the request's workflow once per reference, searchable by status, rights and dates."""
    received_at = datetime.combine(submission.received_on, datetime.min.time(), tzinfo=UTC)
    await client.start_workflow(
        RightsRequestWorkflow.run,
        RightsRequestInput(reference=reference, submission=submission, submitted_by=actor),
        id=workflow_id_for(reference),
        task_queue=task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        static_summary=summary_for(reference, submission),
        static_details=details_for(reference, submission),
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(sa.DSAR_STATUS, Status.RECEIVED.value),
                SearchAttributePair(sa.DSAR_RIGHTS, [r.value for r in submission.rights]),
                SearchAttributePair(sa.DSAR_JURISDICTION, submission.jurisdiction),
                SearchAttributePair(sa.DSAR_RECEIVED_AT, received_at),
            ]
        ),
    )


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
    settings = load_settings()
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
        require_role(settings, Role.REQUESTER)
        refuse_unmailable(settings, submission.subject.email)
        client = await connect_client(settings)
        if not new_anyway:
            duplicate = await find_open_duplicate(settings, submission)
            if duplicate is not None:
                await link_duplicate(settings, duplicate, submission)
                return duplicate, False
        reference = await allocate_reference(settings)
        if authorisation is not None and submission.agent is not None:
            # Claim-check: the file goes to the case bucket; the workflow learns its key and digest.
            stored = await store_authorisation(settings, reference, authorisation)
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
        out.print(
            f"Next: the identity search, then a code to the person or a check by the team;"
            f" follow it with: [bold]dsar status {reference}[/]"
        )

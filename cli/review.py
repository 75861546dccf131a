"""Review: `dsar review`, `exclude`, `redact`, `keep`, `approve`, `refuse`, `hold`, `decide-objection`.

What a reviewer sees and decides before anything leaves the group (Art. 15(4)): other
people's data in the package, records to withhold, legal holds on an erasure, an objection to
weigh, or a request to refuse as manifestly unfounded or excessive.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table

from cli._base import (
    JsonFlag,
    Reference,
    SystemOption,
    UsageError,
    fail,
    load_settings,
    out,
    run,
    show_count,
    show_state,
    split_system,
    update,
)
from cli.guide import after_approval, follow, plural
from dsar.messages.review import (
    ExcludeRecords,
    ExclusionReason,
    KeepFinding,
    LegalHold,
    ManualRedaction,
    ObjectionDecision,
    RefusalDecision,
    ReviewDecision,
)
from workflows.rights_request import RightsRequestWorkflow


def review(
    reference: Reference,
    as_json: JsonFlag = False,
) -> None:
    """What to check before approving: per company, system and category the counts and a
    few redacted samples, failed systems, open fuzzy matches, and every place other
    people's data was found (with the finding id to keep it) or a record was excluded."""
    settings = load_settings()

    async def go() -> dict[str, Any]:
        # Built with the redaction plan the packaging activity applies, so samples show what
        # the person would see; it lives beside that activity.
        from casestore.db import connection
        from casestore.review_overview import review_overview
        from dsar.group import load_group

        async with connection(settings.database_url) as conn:
            return await review_overview(conn, load_group(), reference)

    view = run(go())
    if as_json:
        out.print_json(json.dumps(view, default=str))
        return
    _print_review(reference, view)


def _print_review(reference: str, view: dict[str, Any]) -> None:
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
                    # The markers ("[redacted: name]") are text, not markup: escape them.
                    out.print(
                        f"[dim]record {sample['record']} {where}:[/] {escape(text[:300])}", highlight=False
                    )
    for failed in view["failed_systems"]:
        out.print(
            f"[bold red]failed:[/] {failed['company']}/{failed['system']}: {failed['error']}", highlight=False
        )
    if view["fuzzy_matches"]:
        waiting = plural(len(view["fuzzy_matches"]), "name-and-postcode match", "name-and-postcode matches")
        out.print(f"{waiting} wait for a decision: dsar matches {reference}")
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


def exclude(
    reference: Reference,
    record: Annotated[list[int], typer.Option("--record", help="Record id from dsar review; repeatable.")],
    reason_code: Annotated[
        ExclusionReason, typer.Option("--reason-code", help="Why the record is withheld.")
    ],
    note: Annotated[str, typer.Option("--note", help="What the record is and why the reason applies.")],
    as_json: JsonFlag = False,
) -> None:
    """Leave whole records out of the package; the person is told how many and why."""
    settings = load_settings()
    try:
        decision = ExcludeRecords(actor=settings.actor, record_ids=record, reason_code=reason_code, note=note)
    except ValidationError as exc:
        fail(f"--record: {exc.errors()[0]['msg']}")
    count = update(settings, reference, RightsRequestWorkflow.exclude_records, decision)
    show_count(
        reference,
        count,
        as_json,
        f"Excluded {plural(count, 'record')} from {reference}. Next: dsar review {reference}",
    )


def redact(
    reference: Reference,
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
    from casestore import queries
    from casestore.db import connection
    from dsar.redaction import iter_strings, occurrences

    settings = load_settings()
    path = field if field.startswith("$") else f"$.{field}" if not field.startswith("[") else f"${field}"

    async def spans() -> list[tuple[int, int]]:
        async with connection(settings.database_url) as conn:
            data = await queries.record_data(conn, reference, record)
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
    count = update(settings, reference, RightsRequestWorkflow.redact_field, decision)
    show_count(
        reference,
        count,
        as_json,
        f"Redacted {plural(count, 'span')} in record {record} of {reference}. Next: dsar review {reference}",
    )


def keep(
    reference: Reference,
    finding: Annotated[str, typer.Option("--finding", help="RECORD/FINDING as dsar review shows it.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the value may be disclosed.")],
    as_json: JsonFlag = False,
) -> None:
    """Overrule one automatic redaction: that value stays in the package."""
    settings = load_settings()
    record, _, finding_id = finding.partition("/")
    try:
        decision = KeepFinding(
            actor=settings.actor, record_id=int(record), finding_id=finding_id, reason=reason
        )
    except (ValueError, ValidationError):
        fail("--finding: write it as dsar review shows it, RECORD/f-0123456789abcdef")
    count = update(settings, reference, RightsRequestWorkflow.keep_finding, decision)
    show_count(
        reference, count, as_json, f"Kept finding {finding} in {reference}. Next: dsar review {reference}"
    )


def approve(
    reference: Reference,
    note: Annotated[str | None, typer.Option("--note")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Approve the collected data for delivery to the person."""
    settings = load_settings()
    decision = ReviewDecision(actor=settings.actor, note=note)
    state = update(settings, reference, RightsRequestWorkflow.approve, decision)
    next_ = after_approval(state.rights, state.objection_upheld)
    show_state(state, as_json, f"Approved {state.reference}: {next_}. {follow(state.reference)}")


def refuse(
    reference: Reference,
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
    settings = load_settings()
    decision = RefusalDecision(actor=settings.actor, reason=reason)
    state = update(settings, reference, RightsRequestWorkflow.refuse, decision)
    show_state(
        state,
        as_json,
        f"Refused {state.reference}; the letter with the reasons and the person's remedies follows."
        f" {follow(state.reference)}",
    )


def hold(
    reference: Reference,
    system: SystemOption,
    reason: Annotated[
        str, typer.Option("--reason", help="The legal ground (e.g. a pending claim); the person is told it.")
    ],
    as_json: JsonFlag = False,
) -> None:
    """Keep a system's data despite the erasure (legal hold, Art. 17(3)(e)), during review."""
    settings = load_settings()
    company, code = split_system(system)
    decision = LegalHold(actor=settings.actor, company=company, system=code, reason=reason)
    state = update(settings, reference, RightsRequestWorkflow.place_legal_hold, decision)
    show_state(
        state,
        as_json,
        f"{company}/{code} of {state.reference} is kept under a legal hold; the letter will say why."
        f" When review is done: dsar approve {state.reference}",
    )


def decide_objection(
    reference: Reference,
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
    settings = load_settings()
    decision = ObjectionDecision(actor=settings.actor, uphold=uphold, grounds=grounds)
    verdict = "upheld: the processing stops" if uphold else "overridden"
    state = update(settings, reference, RightsRequestWorkflow.decide_objection, decision)
    show_state(
        state,
        as_json,
        f"Objection in {state.reference} {verdict}. When review is done: dsar approve {state.reference}",
    )

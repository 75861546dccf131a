"""Collection: `dsar upload`, `mark-na`, `retry`, `matches` and `confirm`.

The steps a person takes while the group's systems are searched: hand in a manual system's
export, settle a system that cannot answer, collect one again, and decide the records found
only by name and postcode.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import mimetypes
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from cli._base import (
    JsonFlag,
    Reference,
    SystemOption,
    UsageError,
    company_progress,
    connect_client,
    fail,
    load_settings,
    out,
    request_state,
    run,
    send_update,
    show_state,
    split_system,
    update,
)
from cli.guide import follow, plural
from dsar.messages.collection import SystemDecision, SystemStatus, UploadedFile
from dsar.messages.review import MatchDecision
from dsar.messages.state import RequestState
from workflows.rights_request import RightsRequestWorkflow

MAX_UPLOAD = 100 * 1024 * 1024
_MEDIA_TYPES = {".csv": "text/csv", ".json": "application/json"}


def _sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with file.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def upload(
    reference: Reference,
    system: SystemOption,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The export.")],
    as_json: JsonFlag = False,
) -> None:
    """Attach a manual system's export; its collection finishes and the request moves on.

    A CSV or JSON file becomes one record per row or object; anything else (a scan, a
    PDF) is kept as one file. The file goes to the case bucket, encrypted at rest, before
    the workflow hears of it, so only its checksum and key travel through Temporal.
    """
    from casestore.storage import s3_client, upload_key

    settings = load_settings()
    company, code = split_system(system)
    size = file.stat().st_size
    if size > MAX_UPLOAD:
        fail(f"FILE: is {size} bytes; exports above {MAX_UPLOAD // (1024 * 1024)} MB must be split")
    media_type = _MEDIA_TYPES.get(file.suffix.lower()) or (
        mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    )
    sha256 = _sha256(file)

    async def go() -> RequestState:
        client = await connect_client(settings)
        state = await request_state(client, reference)
        progress = next((c for c in state.companies if c.company == company), None)
        if progress is None:
            raise UsageError("--system", f"company {company} has no collection in {reference}")
        detail = await company_progress(client, reference, company, progress.rounds)
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
        uploaded = UploadedFile(
            actor=settings.actor,
            company=company,
            system=code,
            object_key=key,
            sha256=sha256,
            bytes=size,
            media_type=media_type,
        )
        return await send_update(client, reference, RightsRequestWorkflow.attach_upload, uploaded)

    state = run(go())
    show_state(
        state,
        as_json,
        f"Attached {file.name} ({plural(size, 'byte')}) to {company}/{code} of {state.reference}."
        f" {follow(state.reference)}",
    )


def mark_not_applicable(
    reference: Reference,
    system: SystemOption,
    reason: Annotated[str, typer.Option("--reason", help="Why the system does not apply; kept on record.")],
    note_for_person: Annotated[
        str,
        typer.Option(
            "--note-for-person", help="A sentence the person's report shows; --reason stays internal."
        ),
    ] = "",
    as_json: JsonFlag = False,
) -> None:
    """Mark a failed or outstanding system as not applicable to this request, with the reason."""
    settings = load_settings()
    company, code = split_system(system)
    decision = SystemDecision(
        actor=settings.actor, company=company, system=code, reason=reason, note_for_person=note_for_person
    )
    state = update(settings, reference, RightsRequestWorkflow.mark_not_applicable, decision)
    show_state(
        state,
        as_json,
        f"Marked {company}/{code} of {state.reference} not applicable. {follow(state.reference)}",
    )


def retry(
    reference: Reference,
    system: SystemOption,
    as_json: JsonFlag = False,
) -> None:
    """Collect one system again (after a failure is fixed, or to send it back during review)."""
    settings = load_settings()
    company, code = split_system(system)
    decision = SystemDecision(actor=settings.actor, company=company, system=code)
    state = update(settings, reference, RightsRequestWorkflow.retry_system, decision)
    result = next(
        (r for p in state.companies if p.company == company for r in p.systems if r.system == code), None
    )
    show_state(
        state,
        as_json,
        f"Collected {company}/{code} of {state.reference} again: {result.status.value},"
        f" {plural(result.records, 'record')}. {follow(state.reference)}"
        if result is not None
        else f"Collected {company}/{code} of {state.reference} again. {follow(state.reference)}",
    )


def matches(
    reference: Reference,
    as_json: JsonFlag = False,
) -> None:
    """List records found only by name and postcode; they need a reviewer's decision."""
    from casestore import queries
    from casestore.db import connection

    settings = load_settings()

    async def go() -> list[queries.FuzzyMatch]:
        async with connection(settings.database_url) as conn:
            return await queries.fuzzy_matches(conn, reference)

    found = run(go())
    if as_json:
        out.print_json(json.dumps([asdict(m) for m in found], default=str))
        return
    table = Table(
        "record", "where", "score", "name", "postcode", "decision", title=f"fuzzy matches in {reference}"
    )
    for m in found:
        data: dict[str, Any] = m.data if isinstance(m.data, dict) else {}
        decision = (
            f"confirmed by {m.confirmed_by}"
            if m.confirmed_by
            else f"rejected by {m.rejected_by}"
            if m.rejected_by
            else "open"
        )
        table.add_row(
            str(m.id),
            f"{m.company}/{m.system}/{m.source_table}#{m.source_key}",
            f"{m.confidence:.2f}",
            str(data.get("full_name", "")),
            str(data.get("postcode", "")),
            decision,
        )
    out.print(table)
    if found:
        out.print(f"Decide with: dsar confirm {reference} --record ID [--reject]")


def confirm(
    reference: Reference,
    record: Annotated[list[int], typer.Option("--record", help="Record id from dsar matches; repeatable.")],
    reject: Annotated[bool, typer.Option("--reject", help="Not the person: keep it out.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Confirm (or reject) name-and-postcode matches; only confirmed ones are sent to the person."""
    settings = load_settings()
    decision = MatchDecision(actor=settings.actor, record_ids=record, accept=not reject)
    count = update(settings, reference, RightsRequestWorkflow.confirm_matches, decision)
    if as_json:
        out.print_json(json.dumps({"reference": reference, "changed": count, "accepted": not reject}))
    else:
        out.print(
            f"{'Rejected' if reject else 'Confirmed'} {plural(count, 'record')} in {reference}."
            f" Next: dsar review {reference}, then dsar approve {reference}"
        )

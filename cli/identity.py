"""Identity: `dsar verify`, `send-code` and `attach-authorisation`.

Collection waits until the person is who they say they are. A one-time code the person reads
out is checked here against the case store, like the verification page does, so the code
never enters the workflow's history; the workflow learns only the code's id.
"""

from __future__ import annotations

import asyncio
import hashlib
import mimetypes
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from cli._base import (
    JsonFlag,
    Reference,
    UsageError,
    connect_client,
    fail,
    load_settings,
    request_state,
    require_role,
    run,
    send_update,
    show_state,
    update,
)
from cli.guide import follow
from dsar.config import Settings
from dsar.messages.identity import (
    AttachAuthorisation,
    AuthorisationFile,
    IdentityDecision,
    IdentityMethod,
    SendIdentityCode,
)
from dsar.messages.state import RequestState
from dsar.roles import Role
from workflows.rights_request import RightsRequestWorkflow

_METHODS = [IdentityMethod.CUSTOMER_RECORD.value, IdentityMethod.DOCUMENT_CHECK.value]
MAX_AUTHORISATION = 20 * 1024 * 1024


def verify(
    reference: Reference,
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
    settings = load_settings()
    if code is not None:
        challenge = run(_check_code(settings, reference, code))
        decision = IdentityDecision(
            actor=settings.actor, method=IdentityMethod.EMAIL_CODE.value, challenge=challenge, note=note
        )
    elif method not in _METHODS:
        fail(f"--method: choose {' or '.join(_METHODS)}, or give --code")
    else:
        decision = IdentityDecision(actor=settings.actor, method=method, note=note)
    state = update(settings, reference, RightsRequestWorkflow.verify_identity, decision)
    show_state(
        state,
        as_json,
        f"Identity confirmed for {state.reference} ({decision.method}); collecting."
        f" {follow(state.reference)}",
    )


async def _check_code(settings: Settings, reference: str, typed: str) -> str:
    """Checked here against the case store, like the page does, so the code never enters history."""
    # The one-time code check is the same one the verification page runs (the case store's codes).
    from casestore import queries
    from casestore.db import connection
    from casestore.one_time_codes import CodeOutcome, check_identity_code

    require_role(settings, Role.REVIEWER)
    async with connection(settings.database_url) as conn:
        recorded = await queries.recorded_request(conn, reference)
        if recorded is not None and recorded.status not in IDENTITY_STAGES:
            # Past identity (collecting, delivered, closed): no code is checked, none counted.
            fail(
                f"refused: {reference} is {recorded.status.replace('_', ' ')}; its identity was"
                f" confirmed before, so there is nothing to verify. See: dsar status {reference}",
                1,
            )
        check = await check_identity_code(
            conn, typed=typed, via="cli", actor=settings.actor, now=datetime.now(UTC), reference=reference
        )
    if check.outcome is not CodeOutcome.VERIFIED or check.challenge_id is None:
        fail(f"refused: {code_refusal(reference, check.outcome.value, check.message)}", 1)
    return str(check.challenge_id)


# The request's stages in which a code can still confirm identity.
IDENTITY_STAGES = frozenset({"received", "identity"})


def code_refusal(reference: str, outcome: str, message: str) -> str:
    """Why a code was refused, naming the request and the command that gets past it."""
    send = f"send the person a new one: dsar send-code {reference}"
    other = f"or confirm identity another way: dsar verify {reference} --method document_check --note TEXT"
    return {
        "locked": f"{reference}: too many wrong codes, so its code is locked; {send}",
        "expired": f"{reference}: the code has expired; {send}",
        "replaced": f"{reference}: a newer code has been sent; only the most recent one works ({send})",
        "already_verified": f"{reference}: this code was entered already; see: dsar status {reference}",
        "no_code": f"{reference}: no code was sent for this request; {send}, {other}",
        "code_wrong": f"{reference}: {message}; ask the person to read the code again, or {send}",
    }.get(outcome, f"{reference}: {message}")


def send_code(
    reference: Reference,
    as_json: JsonFlag = False,
) -> None:
    """Send the person a new one-time code (expired, locked or lost); earlier codes stop working."""
    settings = load_settings()
    state = update(
        settings, reference, RightsRequestWorkflow.send_identity_code, SendIdentityCode(actor=settings.actor)
    )
    show_state(
        state,
        as_json,
        f"New code sent for {state.reference}; earlier codes no longer work."
        f" When the person has it: dsar verify {state.reference} --code CODE",
    )


async def store_authorisation(settings: Settings, reference: str, file: Path) -> AuthorisationFile:
    """Put the agent's authorisation in the case bucket; the workflow learns only its key and digest."""
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


def attach_authorisation(
    reference: Reference,
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The signed authorisation.")
    ],
    as_json: JsonFlag = False,
) -> None:
    """Attach the person's written authorisation for their agent; identity can then be confirmed."""
    settings = load_settings()

    async def go() -> RequestState:
        client = await connect_client(settings)
        state = await request_state(client, reference)
        if state.identity is None or not state.identity.agent:
            raise UsageError("REFERENCE", "no agent acts for the person in this request")
        stored = await store_authorisation(settings, reference, file)
        return await send_update(
            client,
            reference,
            RightsRequestWorkflow.attach_authorisation,
            AttachAuthorisation(actor=settings.actor, file=stored),
        )

    state = run(go())
    show_state(
        state,
        as_json,
        f"Authorisation attached to {state.reference}; identity can now be confirmed:"
        f" dsar verify {state.reference} --method document_check --note TEXT",
    )

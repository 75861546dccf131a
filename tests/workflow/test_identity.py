"""Identity verification by risk, on the time-skipping server with the real activities.

The code goes out through the real SMTP catcher, is checked against the real case store by
the `dsar` CLI (invoked in-process) and by the verification page (the product's aiohttp
application over real HTTP), and reaches the workflow through the Update or the relay.
Every refusal must leave the request where it was: status identity, nothing collected.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError

from casestore.storage import s3_client
from cli import start_request
from dsar.config import Settings
from dsar.domain import (
    Agent,
    Channel,
    Language,
    RequestSubmission,
    Right,
    Status,
    SubjectIdentity,
)
from dsar.identity_links import ChallengeSigner
from dsar.messages.identity import IdentityDecision, IdentityMethod, SensitiveReason
from dsar.messages.state import RequestState
from tests.polling import eventually
from tests.workflow.conftest import (
    ShiftedClock,
    astrid,
    cli_environment,
    dsar,
    new_reference,
    page_client,
    reach_review,
    running_workers,
    said,
    wait_for_status,
)
from tests.workflow.test_download import form
from workers.identity_relay import IdentityRelay
from workflows.rights_request import RightsRequestWorkflow


@pytest_asyncio.fixture
async def page(
    case_pool: asyncpg.Pool, settings: Settings
) -> AsyncIterator[tuple[TestClient[Any, Any], ShiftedClock]]:
    async with page_client(
        case_pool, settings, challenge_signer=ChallengeSigner.from_setting(settings.download_signing_keys)
    ) as opened:
        yield opened


@pytest.fixture
def cli_env(
    settings: Settings,
    key_text: str,
    roles_file: Path,
    team_keys_dir: Path,
    time_skipping_env: Any,
    tmp_path: Path,
) -> dict[str, str]:
    """The settings the workers run with, as the CLI reads them from the environment."""
    address = time_skipping_env.client.service_client.config.target_host
    return cli_environment(settings, key_text, roles_file, team_keys_dir, address, tmp_path / "state")


async def start(
    client: Client,
    queue: str,
    pool: asyncpg.Pool,
    *,
    email: str | None = None,
    rights: tuple[Right, ...] = (Right.ACCESS,),
    agent: Agent | None = None,
) -> WorkflowHandle[Any, Any]:
    person = astrid()
    reference = await new_reference(pool)
    submission = RequestSubmission(
        rights=list(rights),
        subject=SubjectIdentity(
            full_name=person.full_name, email=email or person.email, customer_number=person.customer_number
        ),
        agent=agent,
        language=Language.EN,
        jurisdiction="SE",
        channel=Channel.EMAIL,
        received_on=date(2026, 11, 20),
    )
    await start_request(client, reference, submission, "tester", task_queue=queue)
    return client.get_workflow_handle_for(RightsRequestWorkflow.run, f"dsar-{reference}")


async def code_mail(servers: Any, reference: str, occasion: str) -> EmailMessage:
    async def arrived() -> EmailMessage | None:
        messages: list[EmailMessage] = servers.mail.messages()
        for message in messages:
            if (
                message["X-DSAR-Reference"] == reference
                and message["X-DSAR-Kind"] == "identity_code"
                and message["X-DSAR-Occasion"] == occasion
            ):
                return message
        return None

    found: EmailMessage = await eventually(arrived, timeout=30, what=f"the {occasion} code mail")
    return found


def code_and_token(message: EmailMessage) -> tuple[str, str]:
    body = message.get_content()
    code = re.search(r"^\s+(\d{3} \d{3})\s*$", body, re.M)
    link = re.search(r"http://download\.test/v/(\S+)", body)
    assert code and link, body
    return code.group(1).replace(" ", ""), link.group(1)


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


async def end_request(client: Client, handle: WorkflowHandle[Any, Any]) -> None:
    """End a request at review, as test_collection does, so no company activity is cut off.

    Known: run *before* test_access_request in one session, the requests ended here make its
    31-day `env.sleep` time out on the time-skipping server (cause not found); in the
    suite's own (alphabetical) order everything passes."""
    await reach_review(client, handle)
    await handle.terminate("test done")


async def nothing_collected(pool: asyncpg.Pool, handle: WorkflowHandle[Any, Any]) -> RequestState:
    state: RequestState = await handle.query(RightsRequestWorkflow.state)
    assert state.status is Status.IDENTITY
    assert state.companies == []
    reference = handle.id.removeprefix("dsar-")
    assert await pool.fetchval("SELECT count(*) FROM collected_records WHERE reference = $1", reference) == 0
    return state


async def test_code_through_the_cli_refuses_wrong_expired_locked_and_unknown_then_confirms(
    time_skipping_env: Any,
    workers_kwargs: dict[str, Any],
    case_pool: asyncpg.Pool,
    servers: Any,
    cli_env: dict[str, str],
) -> None:
    client = time_skipping_env.client
    async with running_workers(client, **workers_kwargs) as queue:
        handle = await start(client, queue, case_pool)
        reference = handle.id.removeprefix("dsar-")
        state = await wait_for_status(handle, Status.IDENTITY)
        assert state.identity is not None
        assert state.identity.email_held and state.identity.customer_records >= 1
        assert state.identity.sensitive == []
        code, _ = code_and_token(await code_mail(servers, reference, "1"))
        typed = [code]

        async def refused(value: str, expected: str, ref: str = reference) -> None:
            typed.append(value)
            result = await dsar(cli_env, "verify", ref, "--code", value)
            assert result.exit_code == 1, said(result)
            assert expected in said(result)
            await nothing_collected(case_pool, handle)

        await refused(other_code(code), f"refused: {reference}: the code is wrong (4 tries left)")
        await refused("12", f"refused: {reference}: a code is 6 digits")  # not a try
        await refused(code, "no request with that reference", "DSAR-2026-999999")

        # Expired: the code's time is up (as if an hour had passed); only the owner may move it.
        await servers.as_owner(
            "UPDATE identity_challenges SET expires_at = now() - interval '1 second' WHERE reference = $1",
            reference,
        )
        await refused(code, f"refused: {reference}: the code has expired")

        # A new code; the old one no longer works, and five wrong tries lock the new one.
        result = await dsar(cli_env, "send-code", reference)
        assert result.exit_code == 0, said(result)
        second, _ = code_and_token(await code_mail(servers, reference, "2"))
        for left in (4, 3, 2, 1):
            await refused(
                other_code(second), f"the code is wrong ({left} {'try' if left == 1 else 'tries'} left)"
            )
        await refused(other_code(second), f"{reference}: too many wrong codes, so its code is locked")
        await refused(
            second,
            "too many wrong codes, so its code is locked;"
            f" send the person a new one: dsar send-code {reference}",
        )

        # Only a reviewer may send a code or confirm identity.
        intruder = cli_env | {"DSAR_USER": "intruder"}
        result = await dsar(intruder, "verify", reference, "--code", second)
        assert result.exit_code == 2 and "reviewer" in said(result)

        result = await dsar(cli_env, "send-code", reference)
        third, _ = code_and_token(await code_mail(servers, reference, "3"))
        result = await dsar(cli_env, "verify", reference, "--code", f"{third[:3]} {third[3:]}")
        assert result.exit_code == 0, said(result)
        assert f"Identity confirmed for {reference} (email_code); collecting." in said(result)
        state = await wait_for_status(handle, Status.COLLECTING)
        assert state.identity is not None and state.identity.method == IdentityMethod.EMAIL_CODE.value
        # A used code cannot confirm a second time: the request is past identity, and says so.
        result = await dsar(cli_env, "verify", reference, "--code", third)
        assert f"{reference} is collecting; its identity was confirmed before" in said(result)
        await end_request(client, handle)

    audit = await case_pool.fetch(
        "SELECT reference, actor, action, details FROM audit_log WHERE reference = $1 OR"
        " details->>'reference_given' = 'DSAR-2026-999999' ORDER BY seq",
        reference,
    )
    refusals = [r["details"]["reason"] for r in audit if r["action"] == "identity.code_refused"]
    assert refusals.count("code_wrong") == 5
    assert {"code_missing", "unknown_reference", "expired", "locked"} <= set(refusals)
    unknown = [r for r in audit if r["details"].get("reason") == "unknown_reference"]
    assert unknown and unknown[0]["reference"] is None
    assert [r["action"] for r in audit].count("identity.code_issued") == 3
    assert ("privacy-officer", "status.collecting") in [(r["actor"], r["action"]) for r in audit]
    # The codes themselves are never recorded.
    text = " ".join(str(r["details"]) for r in audit if r["action"].startswith("identity."))
    assert not any(value in text for value in [*typed, second, third] if len(value) == 6)


async def test_code_through_the_verification_page_moves_the_request_to_collecting(
    time_skipping_env: Any,
    workers_kwargs: dict[str, Any],
    case_pool: asyncpg.Pool,
    servers: Any,
    page: tuple[TestClient[Any, Any], ShiftedClock],
) -> None:
    client = time_skipping_env.client
    web, clock = page
    stop = asyncio.Event()
    async with running_workers(client, **workers_kwargs) as queue:
        relay = asyncio.create_task(IdentityRelay(client, case_pool, interval=0.5).run(stop))
        try:
            handle = await start(client, queue, case_pool)
            reference = handle.id.removeprefix("dsar-")
            await wait_for_status(handle, Status.IDENTITY)
            code, token = code_and_token(await code_mail(servers, reference, "1"))

            shown = await web.get(f"/v/{token}")
            assert shown.status == 200 and "Enter the code" in await shown.text()
            assert shown.headers["Referrer-Policy"] == "no-referrer"
            # Another site's page posting the right code, and a post without the page's form
            # token: refused before the code is even looked at.
            foreign = {"Origin": "https://evil.example"}
            cross = await web.post(f"/v/{token}", data=form(web, f"/v/{token}", code), headers=foreign)
            assert cross.status == 403
            unsigned = await web.post(f"/v/{token}", data={"code": code})
            assert unsigned.status == 403 and "enter the code again" in await unsigned.text()
            replayed = await web.post(f"/v/{token}", data=form(web, f"/v/{token}x", code))
            assert replayed.status == 403  # a form token is signed for its own page
            tampered = await web.get(f"/v/{token[:-2]}xx")
            assert tampered.status == 404
            download_token_shape = await web.post(f"/d/{token}", data=form(web, f"/d/{token}", code))
            assert download_token_shape.status == 404  # a verification token opens no download

            wrong = await web.post(f"/v/{token}", data=form(web, f"/v/{token}", other_code(code)))
            assert wrong.status == 403 and "4 more times" in await wrong.text()
            clock.shift = timedelta(hours=2)
            expired = await web.post(f"/v/{token}", data=form(web, f"/v/{token}", code))
            assert expired.status == 410 and "expired" in await expired.text()
            clock.shift = timedelta(0)
            await nothing_collected(case_pool, handle)

            right = await web.post(f"/v/{token}", data=form(web, f"/v/{token}", code))
            assert right.status == 200 and "Your code is right" in await right.text()
            state = await wait_for_status(handle, Status.COLLECTING)
            assert state.identity_verified_by == "verification-page"
            again = await web.post(f"/v/{token}", data=form(web, f"/v/{token}", code))
            assert again.status == 200 and "already been used" in await again.text()
            forwarded = await case_pool.fetchval(
                "SELECT forwarded_at FROM identity_challenges WHERE reference = $1", reference
            )
            assert forwarded is not None
            await end_request(client, handle)
        finally:
            stop.set()
            await relay

    audit = await case_pool.fetch(
        "SELECT action, details FROM audit_log WHERE reference = $1 ORDER BY seq", reference
    )
    actions = [(r["action"], r["details"].get("reason") or r["details"].get("via")) for r in audit]
    assert ("identity.code_refused", "code_wrong") in actions
    assert ("identity.code_refused", "expired") in actions
    assert ("identity.code_entered", "page") in actions


async def test_sensitive_requests_need_a_document_check_and_agents_an_authorisation(
    time_skipping_env: Any,
    workers_kwargs: dict[str, Any],
    case_pool: asyncpg.Pool,
    servers: Any,
    cli_env: dict[str, str],
    tmp_path: Path,
) -> None:
    client = time_skipping_env.client
    async with running_workers(client, **workers_kwargs) as queue:
        # A contact detail the group does not hold (her customer number matches, the address does not).
        new_contact = await start(client, queue, case_pool, email="astrid.l@example.org")
        erasure = await start(client, queue, case_pool, rights=(Right.ERASURE,))
        agent = await start(client, queue, case_pool, agent=Agent(name="Lars Ek"))
        ref = new_contact.id.removeprefix("dsar-")

        state = await wait_for_status(new_contact, Status.IDENTITY)
        assert state.identity is not None
        assert state.identity.customer_records >= 1 and not state.identity.email_held
        assert state.identity.sensitive == [SensitiveReason.NEW_CONTACT]
        assert state.identity.codes_sent == 0  # a code would not be enough, so none is sent
        result = await dsar(cli_env, "verify", ref, "--code", "123456")
        assert result.exit_code == 1 and "no code was sent for this request" in said(result)
        result = await dsar(cli_env, "verify", ref, "--method", "customer_record")
        assert result.exit_code == 1
        assert "needs a document check (its e-mail address is not one the group holds" in said(result)
        result = await dsar(cli_env, "send-code", ref)
        assert result.exit_code == 1 and "refused" in said(result)
        result = await dsar(cli_env, "verify", ref, "--method", "document_check")
        assert result.exit_code == 1 and "note: say which document" in said(result)
        await nothing_collected(case_pool, new_contact)
        result = await dsar(cli_env, "verify", ref, "--method", "document_check", "--note", "passport seen")
        assert result.exit_code == 0, said(result)
        await wait_for_status(new_contact, Status.COLLECTING)

        state = await wait_for_status(erasure, Status.IDENTITY)
        assert state.identity is not None and state.identity.sensitive == [SensitiveReason.ERASURE]
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await erasure.execute_update(
                RightsRequestWorkflow.verify_identity, IdentityDecision(actor="reviewer")
            )
        assert "it asks for erasure" in str(refused.value.cause)
        await nothing_collected(case_pool, erasure)
        await erasure.execute_update(
            RightsRequestWorkflow.verify_identity,
            IdentityDecision(actor="reviewer", method="document_check", note="driving licence seen"),
        )

        agent_ref = agent.id.removeprefix("dsar-")
        state = await wait_for_status(agent, Status.IDENTITY)
        assert state.identity is not None and state.identity.agent
        result = await dsar(cli_env, "verify", agent_ref, "--method", "document_check", "--note", "ID seen")
        assert result.exit_code == 1 and "attach the person's written authorisation first" in said(result)
        await nothing_collected(case_pool, agent)
        letter = tmp_path / "authorisation.pdf"
        letter.write_bytes(b"%PDF-1.4 signed authorisation")
        result = await dsar(cli_env, "attach-authorisation", agent_ref, str(letter))
        assert result.exit_code == 0, said(result)
        result = await dsar(cli_env, "verify", agent_ref, "--method", "customer_record")
        assert result.exit_code == 1 and "an agent acts for the person" in said(result)
        result = await dsar(cli_env, "verify", agent_ref, "--method", "document_check", "--note", "ID seen")
        assert result.exit_code == 0, said(result)
        for handle in (new_contact, erasure, agent):
            await end_request(client, handle)

    settings = workers_kwargs["settings"]
    stored = s3_client(settings).list_objects_v2(
        Bucket=settings.s3_bucket, Prefix=f"cases/{agent_ref}/authorisation/"
    )
    assert stored.get("KeyCount") == 1
    audit = await case_pool.fetch(
        "SELECT action, details FROM audit_log WHERE reference = $1 ORDER BY seq", agent_ref
    )
    assert "identity.authorisation_attached" in [r["action"] for r in audit]
    sent = [m for m in servers.mail.messages() if m["X-DSAR-Reference"] in (ref, agent_ref)]
    assert not [m for m in sent if m["X-DSAR-Kind"] == "identity_code"]

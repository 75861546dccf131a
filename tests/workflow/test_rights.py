"""The six rights beside access, each through the one request workflow, on the real stack.

Every test plants a person of its own in the demo companies' databases (the well-known
demo people stay untouched for the other tests), drives the request through the same
Updates the CLI uses, and then looks at the effect where it must be: the companies'
tables, the case store, the mail catcher.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from email.message import EmailMessage
from typing import Any

import asyncpg
import pytest
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError

from casestore.storage import artefact_id, package_key, s3_client
from cli import start_request
from devstack.demo_receiver import DemoReceivingController
from devstack.local_servers import free_port
from dsar.codec import KeyRing
from dsar.config import Settings
from dsar.domain import (
    Channel,
    Correction,
    Language,
    Objection,
    RequestSubmission,
    Right,
    Status,
    SubjectIdentity,
    company_action_workflow_id,
)
from dsar.group import GroupRegistry
from dsar.messages.actions import (
    Action,
    ActionConfirmation,
    ActionStatus,
    CompanyActionState,
    LiftRestriction,
)
from dsar.messages.identity import IdentityDecision
from dsar.messages.review import LegalHold, ObjectionDecision, ReviewDecision
from dsar.messages.state import RequestState
from tests.conftest import record_history
from tests.polling import eventually
from tests.rights_people import PlantedPerson, plant_person
from tests.workflow.conftest import new_reference, reach_review, refusal, request_on_workers, wait_for_status
from workflows.company_action import CompanyActionWorkflow
from workflows.rights_request import RightsRequestWorkflow

RECEIVED = date(2026, 11, 23)


@pytest.fixture
async def person(source_pools: dict[str, asyncpg.Pool], registry: GroupRegistry) -> PlantedPerson:
    """A person of the test's own in the demo companies' databases."""
    return await plant_person(source_pools, registry)


@pytest.fixture
def opened(
    client: Client, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool, person: PlantedPerson
) -> Any:
    """`async with opened(rights, **details) as (handle, reference)`: the person's request,
    started the way the CLI starts it, with the workers running until the block ends (and
    the request terminated then if still open)."""

    @asynccontextmanager
    async def request(
        rights: list[Right], **details: Any
    ) -> AsyncIterator[tuple[WorkflowHandle[Any, Any], str]]:
        async def start(queue: str) -> WorkflowHandle[Any, Any]:
            return await start_rights(client, queue, case_pool, person, rights, **details)

        async with request_on_workers(client, workers_kwargs, start) as handle:
            yield handle, handle.id.removeprefix("dsar-")

    return request


async def start_rights(
    client: Client,
    queue: str,
    pool: asyncpg.Pool,
    person: PlantedPerson,
    rights: list[Right],
    **details: Any,
) -> WorkflowHandle[Any, Any]:
    reference = await new_reference(pool)
    submission = RequestSubmission(
        rights=rights,
        subject=SubjectIdentity(full_name=person.full_name, email=person.email, phone=person.phone),
        language=details.pop("language", Language.EN),
        jurisdiction="SE",
        channel=Channel.EMAIL,
        received_on=RECEIVED,
        **details,
    )
    await start_request(client, reference, submission, "tester", task_queue=queue)
    return client.get_workflow_handle_for(RightsRequestWorkflow.run, f"dsar-{reference}")


async def verify(handle: WorkflowHandle[Any, Any], method: str = "customer_record") -> None:
    await wait_for_status(handle, Status.IDENTITY)
    await handle.execute_update(
        RightsRequestWorkflow.verify_identity,
        IdentityDecision(actor="privacy-officer", method=method, note="passport seen"),
    )


async def confirm_manual(
    client: Client, handle: WorkflowHandle[Any, Any], action: Action, **confirmation: Any
) -> None:
    """The events team's binder (gb01/signups) can only be changed by hand: confirm it was
    (`confirmation` overrides the fields of the team's confirmation)."""
    reference = handle.id.removeprefix("dsar-")
    child = client.get_workflow_handle_for(
        CompanyActionWorkflow.run, company_action_workflow_id(reference, "gb01", action.value)
    )

    async def waiting() -> bool | None:
        try:
            progress: CompanyActionState = await child.query(CompanyActionWorkflow.progress)
        except RPCError:
            return None
        found = any(
            s.system == "signups" and s.status is ActionStatus.AWAITING_OWNER for s in progress.systems
        )
        return True if found else None

    await eventually(waiting, timeout=60, what=f"gb01/signups awaiting its owner to {action.value}")
    await handle.execute_update(
        RightsRequestWorkflow.confirm_action,
        ActionConfirmation(
            **{
                "actor": "privacy-officer",
                "company": "gb01",
                "system": "signups",
                "action": action,
                "note": "binder checked",
                **confirmation,
            }
        ),
    )


def mails(servers: Any, reference: str, kind: str | None = None) -> list[EmailMessage]:
    found: list[EmailMessage] = [m for m in servers.mail.messages() if m["X-DSAR-Reference"] == reference]
    return [m for m in found if kind is None or m["X-DSAR-Kind"] == kind]


def text_of(message: EmailMessage) -> str:
    return str(message.get_content())


async def sent_at(pool: asyncpg.Pool, reference: str, kind: str) -> Any:
    return await pool.fetchval(
        "SELECT sent_at FROM notifications WHERE reference = $1 AND kind = $2 ORDER BY sent_at LIMIT 1",
        reference,
        kind,
    )


async def test_access_and_erasure_send_the_copy_then_erase_keeping_what_the_law_keeps(
    opened: Any,
    client: Client,
    person: PlantedPerson,
    settings: Settings,
    case_pool: asyncpg.Pool,
    source_pools: dict[str, asyncpg.Pool],
    servers: Any,
) -> None:
    async with opened([Right.ACCESS, Right.ERASURE]) as (handle, reference):
        # Erasure is sensitive: a customer-record match is not enough.
        await wait_for_status(handle, Status.IDENTITY)
        assert "document check" in await refusal(
            handle, RightsRequestWorkflow.verify_identity, IdentityDecision(actor="privacy-officer")
        )
        await verify(handle, "document_check")
        await reach_review(client, handle)
        # A legal hold on nl01's CRM: a pending claim keeps it.
        await handle.execute_update(
            RightsRequestWorkflow.place_legal_hold,
            LegalHold(
                actor="privacy-officer", company="nl01", system="crm", reason="pending court claim 2026:17"
            ),
        )
        await handle.execute_update(RightsRequestWorkflow.approve, ReviewDecision(actor="reviewer"))
        await confirm_manual(client, handle, Action.ERASE)
        state = await wait_for_status(handle, Status.DELIVERED)
        await record_history(handle, "rights_request_access_erasure")
        erasing = client.get_workflow_handle(company_action_workflow_id(reference, "gb01", "erase"))
        await record_history(erasing, "company_action_erase_manual")

    # The copy went out before anything was erased.
    delivered = await sent_at(case_pool, reference, "delivery")
    first_erasure = await case_pool.fetchval(
        "SELECT min(updated_at) FROM action_results WHERE reference = $1 AND action = 'erase'", reference
    )
    assert delivered is not None and first_erasure is not None and delivered < first_erasure
    body = (
        s3_client(settings)
        .get_object(Bucket=settings.s3_bucket, Key=package_key(artefact_id(reference, "access-package")))[
            "Body"
        ]
        .read()
    )
    data = json.loads(zipfile.ZipFile(io.BytesIO(body)).read("data.json"))
    assert person.email in json.dumps(data)

    # The companies' tables: erased, except the recent accounting records and the held CRM.
    gb01, se01, nl01 = (source_pools[f"{c}_DB"] for c in ("GB01", "SE01", "NL01"))
    assert (
        await gb01.fetchval("SELECT count(*) FROM crm_customers WHERE lower(email) = $1", person.email) == 0
    )
    assert (
        await se01.fetchval("SELECT count(*) FROM crm_customers WHERE lower(email) = $1", person.email) == 0
    )
    invoices = await se01.fetch(
        "SELECT issued_on, processing_restricted FROM billing_invoices WHERE customer_number = $1",
        person.customer_number,
    )
    assert [r["issued_on"].year for r in invoices] == [RECEIVED.year - 2]  # the 9-year-old one is gone
    assert all(r["processing_restricted"] for r in invoices)  # kept, but only stored
    assert (
        await nl01.fetchval("SELECT count(*) FROM crm_customers WHERE lower(email) = $1", person.email) == 1
    )

    erased = {(a.company, a.system): a for a in state.actions if a.action is Action.ERASE}
    assert erased[("gb01", "crm")].changed >= 1 and erased[("gb01", "signups")].status is ActionStatus.DONE
    assert erased[("nl01", "crm")].kept and "legal hold" in erased[("nl01", "crm")].kept[0].legal_basis
    billing = erased[("se01", "billing")]
    assert any("Bokföringslagen" in k.legal_basis and k.until is not None for k in billing.kept)

    # The letter says what was kept and why; the credit-reference agency was told (Art. 19).
    (outcome,) = mails(servers, reference, "outcome")
    letter = text_of(outcome)
    # The law is named; the team's reason for the hold is internal (the letter says a legal
    # claim, Art. 17(3)(e)).
    assert "Bokföringslagen" in letter and "pending court claim 2026:17" not in letter
    assert "legal claim" in letter
    assert "held no data of yours to change" in letter and "Nyhavn" not in letter  # dk01: counted
    assert state.recipients_notified
    notices = mails(servers, reference, "recipient_notice")
    assert sorted(m["X-DSAR-Occasion"] for m in notices) == sorted(state.recipients_notified)
    assert all(person.email not in m["To"] for m in notices)
    told = await case_pool.fetchval(
        "SELECT count(*) FROM recipient_notifications WHERE reference = $1", reference
    )
    assert told == len(state.recipients_notified)


async def test_rectification_corrects_every_system_holding_the_field(
    opened: Any,
    client: Client,
    person: PlantedPerson,
    case_pool: asyncpg.Pool,
    source_pools: dict[str, asyncpg.Pool],
    servers: Any,
) -> None:
    corrections = [
        Correction(field="city", value="Uppsala"),  # type: ignore[arg-type]
        Correction(field="job_title", value="Head of Facilities"),  # type: ignore[arg-type]
    ]
    async with opened([Right.RECTIFICATION], corrections=corrections) as (handle, reference):
        await verify(handle)
        await reach_review(client, handle)
        await handle.execute_update(RightsRequestWorkflow.approve, ReviewDecision(actor="reviewer"))
        await confirm_manual(client, handle, Action.RECTIFY)
        state: RequestState = await wait_for_status(handle, Status.DELIVERED)

    for connection in ("GB01_DB", "SE01_DB", "NL01_DB"):
        rows = await source_pools[connection].fetch(
            "SELECT city, job_title FROM crm_customers WHERE lower(email) = $1", person.email
        )
        assert rows and all((r["city"], r["job_title"]) == ("Uppsala", "Head of Facilities") for r in rows)
    changes = await case_pool.fetch(
        "SELECT company, field, before_sealed IS NOT NULL AS before FROM executed_changes"
        " WHERE reference = $1",
        reference,
    )
    assert {r["company"] for r in changes} >= {"gb01", "se01", "nl01"}
    assert {r["field"] for r in changes} == {"city", "job_title"} and all(r["before"] for r in changes)
    rectified = [a for a in state.actions if a.action is Action.RECTIFY and a.changed]
    assert rectified and all(set(a.fields) <= {"city", "job_title"} for a in rectified)
    (outcome,) = mails(servers, reference, "outcome")
    assert "city" in text_of(outcome).lower()
    # Nothing was packaged: rectification sends no copy.
    assert state.package is None and not mails(servers, reference, "delivery")


async def test_restriction_is_honoured_and_lifted_only_after_telling_the_person(
    opened: Any,
    client: Client,
    person: PlantedPerson,
    case_pool: asyncpg.Pool,
    source_pools: dict[str, asyncpg.Pool],
    servers: Any,
) -> None:
    gb01 = source_pools["GB01_DB"]

    async def in_export() -> int:
        return int(
            await gb01.fetchval("SELECT count(*) FROM marketing_export WHERE lower(email) = $1", person.email)
        )

    assert await in_export() == 1
    async with opened([Right.RESTRICTION], language=Language.SV) as (handle, reference):
        await verify(handle)
        await reach_review(client, handle)
        # Lifting before anything is restricted is refused.
        lift = LiftRestriction(actor="reviewer", reason="done")
        await refusal(handle, RightsRequestWorkflow.lift_restriction, lift)
        await handle.execute_update(RightsRequestWorkflow.approve, ReviewDecision(actor="reviewer"))
        await confirm_manual(client, handle, Action.RESTRICT)
        state = await wait_for_status(handle, Status.DELIVERED)
        assert state.restriction_active
        flagged = await gb01.fetchval(
            "SELECT bool_and(processing_restricted) FROM crm_customers WHERE lower(email) = $1", person.email
        )
        assert flagged is True
        assert await in_export() == 0  # the system's own marketing export leaves them out
        (outcome,) = mails(servers, reference, "outcome")
        assert outcome["Subject"] and "begräns" in text_of(outcome).lower()

        await handle.execute_update(
            RightsRequestWorkflow.lift_restriction,
            LiftRestriction(actor="reviewer", reason="The accuracy of your address has been verified."),
        )
        await confirm_manual(client, handle, Action.LIFT_RESTRICTION)
        final: RequestState = await handle.result()
        await record_history(handle, "rights_request_restriction_lifted")

    assert not final.restriction_active and final.restriction_lifted_at is not None
    (told,) = mails(servers, reference, "restriction_lift")
    assert "The accuracy of your address has been verified." in text_of(told)
    lifted_from = await case_pool.fetchval(
        "SELECT min(updated_at) FROM action_results WHERE reference = $1 AND action = 'lift_restriction'",
        reference,
    )
    assert await sent_at(case_pool, reference, "restriction_lift") < lifted_from
    assert await in_export() == 1


async def test_objection_to_direct_marketing_suppresses_at_once_across_the_group(
    opened: Any,
    person: PlantedPerson,
    ring: KeyRing,
    case_pool: asyncpg.Pool,
    source_pools: dict[str, asyncpg.Pool],
    servers: Any,
) -> None:
    objection = Objection(scope="direct_marketing")  # type: ignore[arg-type]
    async with opened([Right.OBJECTION], objection=objection) as (handle, reference):
        await verify(handle)
        # No review: the request closes by itself.
        final: RequestState = await handle.result()

    assert final.status is Status.DELIVERED and final.approved_by is None and not final.companies
    listed = await case_pool.fetch("SELECT kind FROM marketing_suppressions WHERE reference = $1", reference)
    assert sorted(r["kind"] for r in listed) == ["email", "phone"]
    hashed = await case_pool.fetchval(
        "SELECT count(*) FROM marketing_suppressions WHERE lookup_hash = $1", ring.lookup_hash(person.email)
    )
    assert hashed == 1
    for connection in ("GB01_DB", "SE01_DB"):
        source = source_pools[connection]
        assert (
            await source.fetchval(
                "SELECT count(*) FROM marketing_suppressions WHERE value = $1", person.email
            )
            == 1
        )
        assert (
            await source.fetchval(
                "SELECT count(*) FROM marketing_export WHERE lower(email) = $1", person.email
            )
            == 0
        )
    (outcome,) = mails(servers, reference, "outcome")
    assert "suppression" in text_of(outcome).lower()


async def test_consent_withdrawal_switches_off_consent_based_processing(
    opened: Any,
    person: PlantedPerson,
    source_pools: dict[str, asyncpg.Pool],
    servers: Any,
) -> None:
    se01 = source_pools["SE01_DB"]
    before = await se01.fetchval(
        "SELECT count(*) FROM app_location_pings WHERE lower(user_email) = $1 AND location_consent",
        person.email,
    )
    assert before >= 1
    async with opened([Right.CONSENT_WITHDRAWAL]) as (handle, reference):
        await verify(handle)
        final: RequestState = await handle.result()

    assert (
        await se01.fetchval(
            "SELECT count(*) FROM app_location_pings WHERE lower(user_email) = $1 AND location_consent",
            person.email,
        )
        == 0
    )
    withdrawn = {(a.company, a.system): a for a in final.actions if a.action is Action.WITHDRAW_CONSENT}
    assert withdrawn[("se01", "app")].changed == before
    assert len(mails(servers, reference, "outcome")) == 1


async def test_portability_delivers_provided_data_and_transmits_it_once(
    opened: Any, client: Client, person: PlantedPerson, settings: Settings, servers: Any
) -> None:
    with DemoReceivingController(free_port()) as receiver:
        async with opened([Right.PORTABILITY], transmit_to=receiver.url) as (handle, reference):
            await verify(handle)
            await reach_review(client, handle)
            await handle.execute_update(RightsRequestWorkflow.approve, ReviewDecision(actor="reviewer"))
            state = await wait_for_status(handle, Status.DELIVERED)

    body = (
        s3_client(settings)
        .get_object(Bucket=settings.s3_bucket, Key=package_key(artefact_id(reference, "access-package")))[
            "Body"
        ]
        .read()
    )
    portable = json.loads(zipfile.ZipFile(io.BytesIO(body)).read("portable/data.json"))
    assert person.email in json.dumps(portable)
    assert state.transmitted is not None and state.transmitted.status_code in (200, 201, 202)
    assert len(receiver.received) == 1
    assert mails(servers, reference, "delivery") and mails(servers, reference, "outcome")


async def test_objection_to_other_processing_waits_for_a_decision_with_grounds(
    opened: Any,
    client: Client,
    person: PlantedPerson,
    source_pools: dict[str, asyncpg.Pool],
    servers: Any,
) -> None:
    objection = Objection(scope="other", processing="analytics of my website visits")  # type: ignore[arg-type]
    async with opened([Right.OBJECTION], objection=objection) as (handle, reference):
        await verify(handle)
        await reach_review(client, handle)
        assert "decided first" in await refusal(
            handle, RightsRequestWorkflow.approve, ReviewDecision(actor="reviewer")
        )
        await refusal(
            handle,
            RightsRequestWorkflow.decide_objection,
            ObjectionDecision(actor="intruder", uphold=True, grounds="x"),
        )
        await handle.execute_update(
            RightsRequestWorkflow.decide_objection,
            ObjectionDecision(
                actor="reviewer", uphold=True, grounds="No compelling grounds outweigh the objection."
            ),
        )
        await handle.execute_update(RightsRequestWorkflow.approve, ReviewDecision(actor="reviewer"))
        await confirm_manual(client, handle, Action.RESTRICT)
        state = await wait_for_status(handle, Status.DELIVERED)  # the restriction stays until lifted

    assert state.objection_upheld and state.restriction_active
    views = await source_pools["GB01_DB"].fetchval(
        "SELECT count(*) FROM analytics_export WHERE lower(user_email) = $1", person.email
    )
    assert views == 0
    (outcome,) = mails(servers, reference, "outcome")
    assert "No compelling grounds outweigh the objection." in text_of(outcome)

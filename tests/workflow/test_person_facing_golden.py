"""What the person reads, end to end: the files of three requests on the real stack.

An access request in English with a system the team marks not applicable (with a
sentence for the person) and one that fails and is retried; an erasure with a retention
keep, a legal hold and a team note; a portability request. Every person-facing file
(the cover letter, report.html, report.pdf's text, the e-mails to the person) is read
and must hold no internal status, table or column name, no team note the team did not
mark for the person, no ISO timestamp, English system and field names on an English
request, and every Art. 15 item, including the person's earlier requests.
"""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from typing import Any

import asyncpg
import pypdfium2 as pdfium
import pytest
from jsonschema import Draft202012Validator
from temporalio.client import Client

from casestore.storage import artefact_id, package_key, s3_client
from devstack.demo_group.schemas import COLUMNS
from dsar.config import Settings
from dsar.domain import (
    Language,
    Right,
    Status,
    format_reference,
)
from dsar.group import GroupRegistry
from dsar.messages.actions import Action
from dsar.messages.collection import SystemDecision
from dsar.messages.review import LegalHold, ReviewDecision
from dsar.package.formats import load_json_schema
from dsar.privacy_notice import art15_items, load_privacy_notice
from tests.rights_people import PlantedPerson, plant_person
from tests.workflow.conftest import (
    manual_task_waiting,
    request_on_workers,
    wait_for_status,
)
from tests.workflow.test_collection import start_astrid
from tests.workflow.test_rights import confirm_manual, mails, start_rights, text_of, verify
from workflows.rights_request import RightsRequestWorkflow

TEAM_NOTE = "binder searched by Kim: nothing"
FOR_PERSON = "The events team looked through the paper sign-up sheets and found none of yours."
STATUS_CODES = ("not_applicable", "not collected", "awaiting_upload", "Status: collected", "Status: failed")
ISO_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
# What the registry and the databases call things, never what the person reads.
INTERNAL_NAMES = sorted({t for t in COLUMNS} | {c for cols in COLUMNS.values() for c in cols if "_" in c})
FOREIGN_SYSTEM_NAMES = ("Nyhedsbrev", "CRM: klanten", "CRM: kunder og", "Arrangementer og", "Facturatie")


def visible(text: str) -> str:
    """An HTML file's text as shown (no tags, no style sheet), whitespace folded."""
    text = re.sub(r"<style.*?</style>", " ", text, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    return " ".join(html.unescape(text).split())


def pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    try:
        return " ".join(
            " ".join(document[i].get_textpage().get_text_range().split()) for i in range(len(document))
        )
    finally:
        document.close()


def package(settings: Settings, reference: str) -> dict[str, bytes]:
    key = package_key(artefact_id(reference, "access-package"))
    body = s3_client(settings).get_object(Bucket=settings.s3_bucket, Key=key)["Body"].read()
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def person_facing(members: dict[str, bytes], servers: Any, reference: str) -> dict[str, str]:
    texts = {
        "cover_letter.html": visible(members["cover_letter.html"].decode()),
        "report.html": visible(members["report.html"].decode()),
        "report.pdf": pdf_text(members["report.pdf"]),
    }
    for message in mails(servers, reference):
        if message["X-DSAR-Kind"] in ("acknowledgement", "delivery", "download_code", "outcome"):
            texts[f"mail:{message['X-DSAR-Kind']}"] = " ".join(
                f"{message['Subject']} {text_of(message)}".split()
            )
    return texts


def assert_for_the_person(texts: dict[str, str], *, hidden: tuple[str, ...] = ()) -> None:
    for name, text in texts.items():
        for code in STATUS_CODES:
            assert code not in text, f"{name}: internal status {code!r}"
        for internal in INTERNAL_NAMES:
            assert not re.search(rf"(?<![\w/.]){re.escape(internal)}(?![\w.])", text), (
                f"{name}: internal name {internal!r}"
            )
        assert not ISO_TIMESTAMP.search(text), f"{name}: ISO timestamp {ISO_TIMESTAMP.search(text)}"
        for secret in hidden:
            assert secret not in text, f"{name}: a team note {secret!r}"


async def add_earlier_request(pool: asyncpg.Pool, reference: str) -> str:
    """A request the same person made last year, answered: what the case store holds of it."""
    earlier = format_reference(2025, int(await pool.fetchval("SELECT nextval('request_number_seq')")))
    await pool.execute(
        "INSERT INTO requests (reference, rights, jurisdiction, language, channel, received_on, status,"
        " subject_key_id, subject_ciphertext, email_lookup, created_at, closed_at)"
        " SELECT $2, ARRAY['erasure'], jurisdiction, language, channel, DATE '2025-03-03', 'delivered',"
        " subject_key_id, subject_ciphertext, email_lookup, TIMESTAMPTZ '2025-03-03 09:00+00',"
        " TIMESTAMPTZ '2025-03-21 15:00+00' FROM requests WHERE reference = $1",
        reference,
        earlier,
    )
    return earlier


async def test_access_in_english_with_a_not_applicable_and_a_retried_system(
    client: Client, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool, servers: Any, settings: Settings
) -> None:
    real_token = servers.newsletter.token
    servers.newsletter.token = "rotated-by-the-vendor"  # dk01's newsletter answers 401: it fails

    async def start(queue: str) -> Any:
        return await start_astrid(client, queue, case_pool, language=Language.EN)  # and verified

    try:
        async with request_on_workers(client, workers_kwargs, start) as handle:
            reference = handle.id.removeprefix("dsar-")
            earlier = await add_earlier_request(case_pool, reference)
            signups = await manual_task_waiting(client, reference)
            await handle.execute_update(
                RightsRequestWorkflow.mark_not_applicable,
                SystemDecision(
                    actor="privacy-officer",
                    company="gb01",
                    system=signups,
                    reason=TEAM_NOTE,
                    note_for_person=FOR_PERSON,
                ),
            )
            await wait_for_status(handle, Status.REVIEW)
            servers.newsletter.token = real_token
            await handle.execute_update(
                RightsRequestWorkflow.retry_system,
                SystemDecision(actor="reviewer", company="dk01", system="newsletter"),
            )
            await handle.execute_update(RightsRequestWorkflow.approve, ReviewDecision(actor="reviewer"))
            await wait_for_status(handle, Status.DELIVERED)
            members = package(settings, reference)
    finally:
        servers.newsletter.token = real_token

    texts = person_facing(members, servers, reference)
    assert {"mail:acknowledgement", "mail:delivery"} <= set(texts)
    assert_for_the_person(texts, hidden=(TEAM_NOTE,))
    letter, report, pdf = texts["cover_letter.html"], texts["report.html"], texts["report.pdf"]
    # The not-applicable system is said to be so, not "could not be searched"; the retried
    # one was searched, so nothing is outstanding.
    assert "could not be searched" not in letter and "could not be searched" not in report
    assert "did not apply to your request" in letter and "Trade-fair sign-up sheets" in letter
    assert FOR_PERSON in report and FOR_PERSON in pdf
    # English names of the Danish company's systems and of the fields.
    for text in (letter, report, pdf):
        for foreign in FOREIGN_SYSTEM_NAMES:
            assert foreign not in text
    assert "Newsletter – Searched" in pdf and "E-mail address" in report and "Customer number" in pdf
    assert "Data in the service" in report  # the newsletter's record, retried and found
    # The first page answers the questions; every Art. 15 item is there; and the earlier request.
    assert pdf.index("What data do we hold about you?") < pdf.index("Data we hold about you ")
    for item in art15_items(load_privacy_notice(), "en"):
        assert item.title in report and item.title in pdf
    for text in (report, pdf):
        assert earlier in text and "3 March 2025" in text and "Answered (21 March 2025)" in text
    # data.json keeps it as codes, valid against the published schema.
    document = json.loads(members["data.json"])
    Draft202012Validator(load_json_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER).validate(
        document
    )
    assert {
        "reference": earlier,
        "received_on": "2025-03-03",
        "rights": ["erasure"],
        "status": "delivered",
        "closed_on": "2025-03-21",
    } in document["earlier_requests"]


@pytest.fixture
async def person(source_pools: dict[str, asyncpg.Pool], registry: GroupRegistry) -> PlantedPerson:
    return await plant_person(source_pools, registry)


async def to_review(client: Client, handle: Any, method: str = "customer_record") -> str:
    """Verified, collected, the paper binder marked not applicable: the request in review."""
    reference: str = handle.id.removeprefix("dsar-")
    await verify(handle, method)
    signups = await manual_task_waiting(client, reference)
    await handle.execute_update(
        RightsRequestWorkflow.mark_not_applicable,
        SystemDecision(actor="privacy-officer", company="gb01", system=signups, reason=TEAM_NOTE),
    )
    await wait_for_status(handle, Status.REVIEW)
    return reference


async def test_erasure_says_what_was_kept_and_why_without_internal_notes(
    client: Client,
    workers_kwargs: dict[str, Any],
    case_pool: asyncpg.Pool,
    servers: Any,
    person: PlantedPerson,
) -> None:
    async def start(queue: str) -> Any:
        return await start_rights(client, queue, case_pool, person, [Right.ERASURE])

    hold_reason = "pending court claim 2026:17 (ask Legal, file 88)"
    async with request_on_workers(client, workers_kwargs, start) as handle:
        reference = await to_review(client, handle, "document_check")
        await handle.execute_update(
            RightsRequestWorkflow.place_legal_hold,
            LegalHold(actor="privacy-officer", company="nl01", system="crm", reason=hold_reason),
        )
        await handle.execute_update(RightsRequestWorkflow.approve, ReviewDecision(actor="reviewer"))
        # The events team found nothing to erase in the binder: their note stays internal,
        # the sentence they marked for the person goes into the letter.
        await confirm_manual(
            client,
            handle,
            Action.ERASE,
            done=False,
            note="no sheets for him",
            note_for_person="The binder holds no sign-up sheet with your details.",
        )
        await wait_for_status(handle, Status.DELIVERED)

    (outcome,) = mails(servers, reference, "outcome")
    letter = " ".join(f"{outcome['Subject']} {text_of(outcome)}".split())
    assert_for_the_person(
        {"mail:outcome": letter}, hidden=("no sheets for him", hold_reason, "row(s)", "Note:")
    )
    # The retention keep in plain words: the law, the end date as the person writes it.
    assert re.search(
        r"because Bokföringslagen \(1999:1078\) 7 kap\. 2 § requires us to keep (it|them) until"
        r" \d{1,2} [A-Z][a-z]+ \d{4}\. Until then we only store (it|them)",
        letter,
    )
    assert "needed to establish, exercise or defend a legal claim (Article 17(3)(e) GDPR)" in letter
    assert "Zuiderzee Bedrijfssoftware B.V., CRM: customers and contact notes" in letter
    assert "CRM: klanten" not in letter
    assert "complain to the supervisory authority, Swedish Authority for Privacy Protection" in letter
    assert "no sheets for him" not in letter
    assert (
        "Trade-fair sign-up sheets (paper binder): this did not apply to your data there."
        " The binder holds no sign-up sheet with your details." in letter
    )


async def test_portability_package_is_in_words_and_keeps_exact_values_for_machines(
    client: Client,
    workers_kwargs: dict[str, Any],
    case_pool: asyncpg.Pool,
    servers: Any,
    settings: Settings,
    person: PlantedPerson,
) -> None:
    async def start(queue: str) -> Any:
        return await start_rights(client, queue, case_pool, person, [Right.PORTABILITY])

    async with request_on_workers(client, workers_kwargs, start) as handle:
        reference = await to_review(client, handle)
        await handle.execute_update(RightsRequestWorkflow.approve, ReviewDecision(actor="reviewer"))
        await wait_for_status(handle, Status.DELIVERED)
        members = package(settings, reference)

    texts = person_facing(members, servers, reference)
    assert_for_the_person(texts, hidden=(TEAM_NOTE,))
    assert "portable/data.json" in members
    # The machine-readable files keep the exact values the systems hold.
    assert person.email in members["data.json"].decode()
    assert "crm_customers" in members["data.json"].decode()
    report = texts["report.html"]
    assert "Customer details" in report and "E-mail address" in report
    for item in art15_items(load_privacy_notice(), "en"):
        assert item.title in report

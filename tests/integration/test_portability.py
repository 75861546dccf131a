"""Portability (Art. 20): the portable export in the package, and its transmission.

A fresh person's request gets collected records written straight into the case store:
rows of provided tables (se01 CRM customers, gb01 invoices, the dk01 newsletter API),
rows that must stay out of the portable export (CRM notes and an event's attendee list,
which the person did not provide; web analytics, whose system has no portability; a
record excluded at review; an unconfirmed fuzzy match), and one provided row quoting
another person, with a stored redaction. The package is built by the real activity
against the session's PostgreSQL and S3, and sent to the demo receiving controller.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from structlog.testing import capture_logs
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.case_store import CaseStoreActivities
from activities.packaging import PACKAGE_KIND, PORTABLE_KIND, PackagingActivities, portable_key
from activities.portability import PortabilityActivities, idempotency_key
from casestore.db import Conn
from casestore.storage import artefact_id, package_key, s3_client
from devstack.demo_receiver import DemoReceivingController
from devstack.local_servers import free_port
from dsar.codec import KeyRing
from dsar.config import Settings
from dsar.domain import Channel, Language, RequestSubmission, Right, SubjectIdentity, format_reference
from dsar.group import GroupRegistry
from dsar.messages.delivery import BuildPackageInput, PortableInput
from dsar.package.portable import PORTABLE_SCHEMA_ID, load_portable_schema

OTHER_PERSON = "Johan Berg"

# (company, system, table, category, key, data, extra columns)
PROVIDED: list[tuple[str, str, str, str, str, dict[str, Any]]] = [
    (
        "se01",
        "crm",
        "crm_customers",
        "customer_account",
        "101",
        {"full_name": "Paula Portabel", "city": "Malmö", "note": f"Referred by {OTHER_PERSON}"},
    ),
    ("se01", "crm", "crm_customers", "customer_account", "102", {"full_name": "Paula Portabel", "vip": True}),
    ("gb01", "billing", "billing_invoices", "billing", "inv-7", {"amount": 120.5, "currency": "GBP"}),
    ("dk01", "newsletter", "api", "marketing", "sub_pp1", {"lists": ["Nyheder"], "first_name": "Paula"}),
]
NOT_PORTABLE: list[tuple[str, str, str, str, str, dict[str, Any]]] = [
    ("se01", "crm", "crm_notes", "contact", "n-1", {"text": "NOT-PROVIDED-NOTE"}),
    ("gb01", "events", "events_attendee_lists", "events", "al-1", {"list": "NOT-PROVIDED-ATTENDEES"}),
    ("gb01", "web", "web_page_views", "web_analytics", "pv-1", {"url": "NO-PORTABILITY-WEB"}),
]


@dataclass
class Case:
    reference: str
    package: dict[str, bytes]
    audit: dict[str, Any]


async def _register(pool: asyncpg.Pool, ring: KeyRing, registry: GroupRegistry) -> str:
    number = await pool.fetchval("SELECT nextval('request_number_seq')")
    reference = format_reference(2026, int(number))
    submission = RequestSubmission(
        rights=[Right.ACCESS, Right.PORTABILITY],
        subject=SubjectIdentity(
            full_name="Paula Portabel", email=f"paula.{uuid.uuid4().hex[:10]}@example.se"
        ),
        language=Language.EN,
        jurisdiction="SE",
        channel=Channel.EMAIL,
        received_on=date(2026, 11, 20),
    )
    from dsar.messages.intake import RightsRequestInput

    await ActivityEnvironment().run(
        CaseStoreActivities(pool, ring, registry).register_request,
        RightsRequestInput(reference=reference, submission=submission, submitted_by="tester"),
    )
    return reference


async def _insert(
    conn: Conn,
    reference: str,
    row: tuple[str, str, str, str, str, dict[str, Any]],
    **extra: Any,
) -> int:
    company, system, table, category, key, data = row
    record_id: int = await conn.fetchval(
        "INSERT INTO collected_records (reference, company, system, source_table, source_key, category,"
        " matched_on, data, needs_confirmation, confidence, exclusion_reason, excluded_by)"
        " VALUES ($1, $2, $3, $4, $5, $6, 'email', $7, $8, $9, $10, $11) RETURNING id",
        reference,
        company,
        system,
        table,
        key,
        category,
        data,
        extra.get("needs_confirmation", False),
        0.6 if extra.get("needs_confirmation") else 1.0,
        extra.get("exclusion_reason"),
        "reviewer" if extra.get("exclusion_reason") else None,
    )
    return record_id


async def _prepare(pool: asyncpg.Pool, ring: KeyRing, registry: GroupRegistry) -> str:
    reference = await _register(pool, ring, registry)
    async with pool.acquire() as conn:
        ids = [await _insert(conn, reference, row) for row in PROVIDED]
        for row in NOT_PORTABLE:
            await _insert(conn, reference, row)
        customer = ("se01", "crm", "crm_customers", "customer_account")
        await _insert(
            conn, reference, (*customer, "103", {"full_name": "UNCONFIRMED-FUZZY"}), needs_confirmation=True
        )
        await _insert(
            conn,
            reference,
            (*customer, "104", {"full_name": "EXCLUDED-AT-REVIEW"}),
            exclusion_reason="legal_privilege",
        )
        note = PROVIDED[0][5]["note"]
        start = note.index(OTHER_PERSON)
        await conn.execute(
            "INSERT INTO redactions (reference, record_id, finding_id, source, kind, path, span_start,"
            " span_end, reason) VALUES ($1, $2, 'f1', 'auto', 'name', '$.note', $3, $4, 'another person')",
            reference,
            ids[0],
            start,
            start + len(OTHER_PERSON),
        )
    return reference


async def _build(
    pool: asyncpg.Pool,
    ring: KeyRing,
    registry: GroupRegistry,
    settings: Settings,
    reference: str,
    portable: bool,
) -> Case:
    s3 = s3_client(settings)
    packaging = PackagingActivities(pool, ring, registry, s3, settings.s3_bucket)
    result = await ActivityEnvironment().run(
        packaging.build_package, BuildPackageInput(reference=reference, portable=portable)
    )
    body = s3.get_object(Bucket=settings.s3_bucket, Key=package_key(result.artefact_id))["Body"].read()
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    audit = await pool.fetchval(
        "SELECT details FROM audit_log WHERE reference = $1 AND action = 'package.built'"
        " ORDER BY seq DESC LIMIT 1",
        reference,
    )
    return Case(reference, members, dict(audit))


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def built(
    case_pool: asyncpg.Pool, ring: KeyRing, registry: GroupRegistry, settings: Settings
) -> dict[str, Case]:
    """Three requests alike: packaged with portability (one to transmit, one to fail
    transmitting) and packaged without."""
    cases = {}
    for name, portable in (("sent", True), ("failing", True), ("access_only", False)):
        reference = await _prepare(case_pool, ring, registry)
        cases[name] = await _build(case_pool, ring, registry, settings, reference, portable)
    return cases


@pytest.fixture
def receiver() -> Any:
    controller = DemoReceivingController(free_port())
    controller.start()
    yield controller
    controller.stop()


def _portable(case: Case) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(case.package["portable/data.json"])
    return document


def _records(document: dict[str, Any]) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    return {
        (c["code"], s["code"], t["table"]): t["records"]
        for c in document["companies"]
        for s in c["systems"]
        for t in s["tables"]
    }


# --- the export in the package ----------------------------------------------------------------


async def test_portable_json_holds_only_what_the_person_provided(built: dict[str, Case]) -> None:
    case = built["sent"]
    document = _portable(case)
    assert document["$schema"] == PORTABLE_SCHEMA_ID
    assert document["format_version"] == 1
    assert document["reference"] == case.reference
    assert document["controller"]["legal_name"]
    by_table = _records(document)
    assert sorted(by_table) == [
        ("dk01", "newsletter", "api"),
        ("gb01", "billing", "billing_invoices"),
        ("se01", "crm", "crm_customers"),
    ]
    assert [r["key"] for r in by_table[("se01", "crm", "crm_customers")]] == ["101", "102"]
    assert by_table[("gb01", "billing", "billing_invoices")][0]["data"] == {
        "amount": 120.5,
        "currency": "GBP",
    }
    assert document["record_count"] == 4
    text = case.package["portable/data.json"].decode("utf-8")
    for absent in ("NOT-PROVIDED-NOTE", "NOT-PROVIDED-ATTENDEES", "NO-PORTABILITY-WEB", "UNCONFIRMED-FUZZY"):
        assert absent not in text
    assert "EXCLUDED-AT-REVIEW" not in text
    # The access package beside it still shows what the person did not provide.
    access = case.package["data.json"].decode("utf-8")
    assert "NOT-PROVIDED-NOTE" in access and "NO-PORTABILITY-WEB" in access


async def test_other_peoples_data_is_redacted_as_in_the_access_package(built: dict[str, Case]) -> None:
    case = built["sent"]
    note = _records(_portable(case))[("se01", "crm", "crm_customers")][0]["data"]["note"]
    assert OTHER_PERSON not in note
    assert note.startswith("Referred by [")
    for name, body in case.package.items():
        if name.startswith("portable/"):
            assert OTHER_PERSON.encode() not in body, name


async def test_portable_json_validates_against_its_schema(built: dict[str, Case]) -> None:
    schema = load_portable_schema()
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    document = _portable(built["sent"])
    assert list(validator.iter_errors(document)) == []
    broken = dict(document, reference="")
    assert list(validator.iter_errors(broken)), "the schema must refuse an empty reference"
    del broken["companies"]
    assert list(validator.iter_errors(broken))


async def test_one_csv_per_provided_table(built: dict[str, Case]) -> None:
    case = built["sent"]
    files = sorted(n for n in case.package if n.startswith("portable/") and n.endswith(".csv"))
    assert files == [
        "portable/dk01-newsletter-api.csv",
        "portable/gb01-billing-billing_invoices.csv",
        "portable/se01-crm-crm_customers.csv",
    ]
    raw = case.package["portable/se01-crm-crm_customers.csv"]
    assert not raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))
    # Columns: the key, then the union of the records' fields (in the order jsonb keeps them).
    assert rows[0] and next(iter(rows[0])) == "source_key"
    assert set(rows[0]) == {"source_key", "full_name", "city", "note", "vip"}
    assert len(rows) == 2
    assert (rows[0]["source_key"], rows[0]["full_name"], rows[0]["city"], rows[0]["vip"]) == (
        "101",
        "Paula Portabel",
        "Malmö",
        "",
    )
    assert (rows[1]["source_key"], rows[1]["vip"], rows[1]["city"]) == ("102", "true", "")
    invoices = list(
        csv.reader(io.StringIO(case.package["portable/gb01-billing-billing_invoices.csv"].decode()))
    )
    assert invoices == [["source_key", "amount", "currency"], ["inv-7", "120.5", "GBP"]]
    newsletter = list(csv.reader(io.StringIO(case.package["portable/dk01-newsletter-api.csv"].decode())))
    assert len(newsletter) == 2 and newsletter[1][1] == '["Nyheder"]'


async def test_portable_data_is_stored_on_its_own_and_audited(
    built: dict[str, Case], case_pool: asyncpg.Pool, settings: Settings
) -> None:
    case = built["sent"]
    artefact = artefact_id(case.reference, PORTABLE_KIND)
    row = await case_pool.fetchrow(
        "SELECT s3_key, sha256, bytes FROM artefacts WHERE reference = $1 AND kind = $2",
        case.reference,
        PORTABLE_KIND,
    )
    assert row is not None and row["s3_key"] == portable_key(artefact)
    stored = s3_client(settings).get_object(Bucket=settings.s3_bucket, Key=row["s3_key"])
    assert stored["ServerSideEncryption"] == "AES256"
    body = stored["Body"].read()
    assert body == case.package["portable/data.json"]
    assert row["bytes"] == len(body)
    assert case.audit["portable_records"] == 4
    assert case.audit["records"] == len(PROVIDED) + len(NOT_PORTABLE)  # not the fuzzy nor the excluded


async def test_without_portability_the_package_has_no_portable_members(
    built: dict[str, Case], case_pool: asyncpg.Pool
) -> None:
    case = built["access_only"]
    assert not [n for n in case.package if n.startswith("portable/")]
    assert "data.json" in case.package
    assert set(case.audit) == {"artefact", "bytes", "records"}
    kinds = await case_pool.fetch("SELECT kind FROM artefacts WHERE reference = $1", case.reference)
    assert [k["kind"] for k in kinds] == [PACKAGE_KIND]


# --- transmission ----------------------------------------------------------------------------


def _transmitter(
    case_pool: asyncpg.Pool, settings: Settings, http: httpx.AsyncClient
) -> PortabilityActivities:
    return PortabilityActivities(case_pool, s3_client(settings), http)


async def test_transmitted_once_with_an_idempotency_key(
    built: dict[str, Case], case_pool: asyncpg.Pool, settings: Settings, receiver: DemoReceivingController
) -> None:
    case = built["sent"]
    url = f"{receiver.url}?account=secret-account-42"
    async with httpx.AsyncClient(timeout=10) as http:
        activities = _transmitter(case_pool, settings, http)
        with capture_logs() as logs:
            first = await ActivityEnvironment().run(
                activities.transmit_portable_data, PortableInput(reference=case.reference, transmit_to=url)
            )
        second = await ActivityEnvironment().run(
            activities.transmit_portable_data, PortableInput(reference=case.reference, transmit_to=url)
        )
    body = case.package["portable/data.json"]
    assert (first.status_code, first.bytes, first.already_sent) == (202, len(body), False)
    assert second.already_sent and second.status_code == 202
    assert receiver.posts == 1
    [got] = receiver.received
    assert got.body == body
    assert got.content_type == "application/json"
    assert got.idempotency_key == idempotency_key(case.reference)
    assert case.reference not in got.idempotency_key
    row = await case_pool.fetchrow(
        "SELECT * FROM portable_transmissions WHERE reference = $1", case.reference
    )
    assert row is not None
    assert (row["endpoint_host"], row["status_code"], row["bytes"]) == ("127.0.0.1", 202, len(body))
    audit = await case_pool.fetchval(
        "SELECT details FROM audit_log WHERE reference = $1 AND action = 'portability.transmitted'",
        case.reference,
    )
    assert audit["host"] == "127.0.0.1" and audit["status_code"] == 202
    logged = repr(logs)
    assert logs and "secret-account-42" not in logged and "/import" not in logged
    assert "Paula" not in logged


async def test_a_repeat_the_receiver_already_has_is_dropped_by_it(receiver: DemoReceivingController) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        headers = {"Idempotency-Key": "k1", "Content-Type": "application/json"}
        first = await http.post(receiver.url, content=b"{}", headers=headers)
        again = await http.post(receiver.url, content=b"{}", headers=headers)
    assert (first.status_code, again.status_code) == (202, 200)
    assert len(receiver.received) == 1 and receiver.posts == 2


async def test_a_server_error_is_retryable_and_honours_retry_after(
    built: dict[str, Case], case_pool: asyncpg.Pool, settings: Settings, receiver: DemoReceivingController
) -> None:
    case = built["failing"]
    receiver.fail_next, receiver.fail_status = 1, 500
    async with httpx.AsyncClient(timeout=10) as http:
        with pytest.raises(ApplicationError) as caught:
            await ActivityEnvironment().run(
                _transmitter(case_pool, settings, http).transmit_portable_data,
                PortableInput(reference=case.reference, transmit_to=receiver.url),
            )
    assert not caught.value.non_retryable
    assert caught.value.next_retry_delay == timedelta(seconds=1)
    assert "500" in str(caught.value)
    assert receiver.posts == 1 and not receiver.received
    sent = await case_pool.fetchval(
        "SELECT count(*) FROM portable_transmissions WHERE reference = $1", case.reference
    )
    assert sent == 0


async def test_a_client_error_is_not_retried(
    built: dict[str, Case], case_pool: asyncpg.Pool, settings: Settings, receiver: DemoReceivingController
) -> None:
    case = built["failing"]
    receiver.fail_next, receiver.fail_status = 1, 400
    url = f"{receiver.url}?account=secret-account-42"
    async with httpx.AsyncClient(timeout=10) as http:
        with pytest.raises(ApplicationError) as caught:
            await ActivityEnvironment().run(
                _transmitter(case_pool, settings, http).transmit_portable_data,
                PortableInput(reference=case.reference, transmit_to=url),
            )
    assert caught.value.non_retryable
    assert "400" in str(caught.value) and "secret-account-42" not in str(caught.value)
    assert receiver.posts == 1


async def test_an_unreachable_endpoint_is_retryable(
    built: dict[str, Case], case_pool: asyncpg.Pool, settings: Settings
) -> None:
    url = f"http://127.0.0.1:{free_port()}/import?account=secret-account-42"
    async with httpx.AsyncClient(timeout=5) as http:
        with pytest.raises(ApplicationError) as caught:
            await ActivityEnvironment().run(
                _transmitter(case_pool, settings, http).transmit_portable_data,
                PortableInput(reference=built["failing"].reference, transmit_to=url),
            )
    assert not caught.value.non_retryable
    assert "secret-account-42" not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://receiver.example/import",
        "http://10.0.0.5/import",
        "ftp://127.0.0.1/import",
        "https:///import",
    ],
)
async def test_a_non_https_endpoint_is_refused(
    url: str, built: dict[str, Case], case_pool: asyncpg.Pool, settings: Settings
) -> None:
    requests = 0

    def count(request: httpx.Request) -> httpx.Response:
        nonlocal requests
        requests += 1
        return httpx.Response(202)

    async with httpx.AsyncClient(transport=httpx.MockTransport(count)) as http:
        with pytest.raises(ApplicationError) as caught:
            await ActivityEnvironment().run(
                _transmitter(case_pool, settings, http).transmit_portable_data,
                PortableInput(reference=built["failing"].reference, transmit_to=url),
            )
    assert caught.value.non_retryable and caught.value.type == "TransmissionRefused"
    assert requests == 0


async def test_https_to_another_host_is_sent(
    built: dict[str, Case],
    case_pool: asyncpg.Pool,
    settings: Settings,
    ring: KeyRing,
    registry: GroupRegistry,
) -> None:
    """The scheme rule lets https through to any host (answered here by a mock transport)."""
    reference = await _prepare(case_pool, ring, registry)
    await _build(case_pool, ring, registry, settings, reference, True)
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201)

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        result = await ActivityEnvironment().run(
            _transmitter(case_pool, settings, http).transmit_portable_data,
            PortableInput(
                reference=reference, transmit_to="https://import.other-controller.example/v1/in?x=1"
            ),
        )
    assert result.status_code == 201 and not result.already_sent
    assert len(seen) == 1 and seen[0].url.host == "import.other-controller.example"
    host = await case_pool.fetchval(
        "SELECT endpoint_host FROM portable_transmissions WHERE reference = $1", reference
    )
    assert host == "import.other-controller.example"

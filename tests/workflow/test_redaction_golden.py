"""Redaction end to end: Astrid's package carries her data and nobody else's.

Her support tickets quote two other customers (Johan Berg of se01, Emma Clarke of gb01)
and a colleague who is nobody's customer (Lars Ek, with his phone and personnummer).
The package is read from S3 and every file of it is searched for their values, the PDF
through its extracted text. A second request shows the reviewer's decisions: a kept
finding stays, an excluded record goes, a manual redaction removes the chosen text, and
the validators refuse the wrong person and the wrong moment.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date
from typing import Any

import asyncpg
import pypdfium2 as pdfium
import pytest
from jsonschema import Draft202012Validator
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError

from casestore.review_overview import review_overview
from casestore.storage import artefact_id, package_key, s3_client
from devstack.demo_group import DEMO_PEOPLE
from devstack.demo_group.identifiers import make_personnummer, national_format
from devstack.demo_group.people import COLLEAGUE_NAME, COLLEAGUE_PHONE
from dsar.domain import Status
from dsar.messages.identity import IdentityDecision
from dsar.messages.review import ExcludeRecords, ExclusionReason, KeepFinding, ManualRedaction, ReviewDecision
from dsar.messages.state import RequestState
from dsar.package.formats import load_json_schema
from dsar.redaction import iter_strings, occurrences
from tests.conftest import record_history
from tests.workflow.conftest import astrid, reach_review, running_workers, start_request_for, wait_for_status
from workflows.rights_request import RightsRequestWorkflow


def _person(name: str) -> Any:
    return next(p for p in DEMO_PEOPLE if p.full_name == name)


def _phone_forms(e164: str) -> list[str]:
    national = national_format(e164)
    return [e164, national, national.replace(" ", "").replace("-", "")]


COLLEAGUE_PNR = make_personnummer(date(1978, 4, 12), 123)  # as `_astrid_tickets` writes it
OTHERS: dict[str, list[str]] = {
    "Johan Berg": [
        "Johan Berg",
        _person("Johan Berg").email,
        *_phone_forms(_person("Johan Berg").phone),
    ],
    "Emma Clarke": [
        "Emma Clarke",
        _person("Emma Clarke").email,
        *_phone_forms(_person("Emma Clarke").phone),
    ],
    "Lars Ek": [
        COLLEAGUE_NAME,
        *_phone_forms(COLLEAGUE_PHONE),
        COLLEAGUE_PNR,
        "19" + COLLEAGUE_PNR,
        COLLEAGUE_PNR.replace("-", ""),
    ],
}


def folded(text: str) -> str:
    return " ".join(text.split()).casefold()


def pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    try:
        return " ".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    finally:
        document.close()


async def to_review(client: Client, handle: WorkflowHandle[Any, Any]) -> RequestState:
    await wait_for_status(handle, Status.IDENTITY)
    await handle.execute_update(
        RightsRequestWorkflow.verify_identity, IdentityDecision(actor="privacy-officer")
    )
    return await reach_review(client, handle)


async def approve_and_read(
    handle: WorkflowHandle[Any, Any], settings: Any, reference: str
) -> dict[str, bytes]:
    """Approve, and read the zip before the retention timer deletes it."""
    await handle.execute_update(RightsRequestWorkflow.approve, ReviewDecision(actor="reviewer"))
    await wait_for_status(handle, Status.DELIVERED)
    key = package_key(artefact_id(reference, "access-package"))
    body = s3_client(settings).get_object(Bucket=settings.s3_bucket, Key=key)["Body"].read()
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def package_texts(members: dict[str, bytes]) -> dict[str, str]:
    return {
        name: pdf_text(content) if name.endswith(".pdf") else content.decode("utf-8-sig")
        for name, content in members.items()
        # Text members only; photos and recordings under files/ are binary.
        if name.endswith((".pdf", ".html", ".json", ".csv"))
    }


def packaged_records(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"company": c["code"], "system": s["code"], **record}
        for c in document["companies"]
        for s in c["systems"]
        for cat in s["categories"]
        for record in cat["records"]
    ]


async def ticket(pool: asyncpg.Pool, reference: str, company: str, subject_start: str) -> asyncpg.Record:
    row = await pool.fetchrow(
        "SELECT id, source_key, data FROM collected_records WHERE reference = $1 AND company = $2"
        " AND source_table = 'support_tickets' AND data->>'subject' LIKE $3",
        reference,
        company,
        subject_start + "%",
    )
    assert row is not None
    return row


async def test_astrids_package_holds_her_data_and_no_one_elses(
    time_skipping_env: Any, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool
) -> None:
    client = time_skipping_env.client
    person = astrid()
    async with running_workers(client, **workers_kwargs) as control_queue:
        handle = await start_request_for(client, control_queue, case_pool, date(2026, 11, 20))
        reference = handle.id.removeprefix("dsar-")
        try:
            state = await to_review(client, handle)
            assert state.redaction_findings and state.names_not_indexed == []
            # A company keeps only its names that her records mention (migration 0018), not
            # its customer list: Johan Berg for se01, Emma Clarke for gb01.
            stored = await case_pool.fetch(
                "SELECT company, EXISTS (SELECT 1 FROM name_candidates c WHERE c.reference = k.reference"
                " AND c.kind = k.kind AND c.fingerprint = k.fingerprint) AS mentioned"
                " FROM known_name_fingerprints k WHERE k.reference = $1",
                reference,
            )
            assert {r["company"] for r in stored} >= {"se01", "gb01"}
            assert all(r["mentioned"] for r in stored)
            members = await approve_and_read(handle, workers_kwargs["settings"], reference)
        finally:
            await handle.terminate("test done: no retention timer left behind")

    texts = package_texts(members)
    assert {"report.pdf", "report.html", "data.json", "redactions.csv", "cover_letter.html"} <= set(texts)
    everything = folded(" ".join(texts.values()))
    data_json = folded(texts["data.json"])
    # Her own data is there: her e-mail, and the phone she gave in her own ticket.
    assert person.email in data_json
    assert any(folded(form) in data_json for form in _phone_forms(person.phone))
    for name, values in OTHERS.items():
        for value in values:
            for file, text in texts.items():
                at = folded(text).find(folded(value))
                assert at < 0, f"{name}: {folded(text)[max(0, at - 80) : at + 40]!r} in {file}"
    assert "[redacted: name]" in everything

    document = json.loads(members["data.json"])
    Draft202012Validator(load_json_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER).validate(
        document
    )
    removed = document["redactions"]["removed"]
    assert removed and all(
        r["reason"] and r["kind"] and r["field"] and r["table"] and r["key"] for r in removed
    )
    se01_ticket = await ticket(case_pool, reference, "se01", "Kommer inte åt")
    in_ticket = {
        r["kind"] for r in removed if (r["company"], r["key"]) == ("se01", se01_ticket["source_key"])
    }
    assert {"name", "phone", "personnummer", "email"} <= in_ticket
    gb01_ticket = await ticket(case_pool, reference, "gb01", "Wrong company")
    in_gb01 = [r for r in removed if (r["company"], r["key"]) == ("gb01", gb01_ticket["source_key"])]
    assert {r["kind"] for r in in_gb01} >= {"name", "email", "phone"}
    assert any(r["field"] == "body" and r["reason"] == "Another person's name." for r in in_gb01)
    # The same log, as a spreadsheet and in the report.
    rows = list(csv.DictReader(io.StringIO(texts["redactions.csv"])))
    assert len(rows) == len(removed)
    assert {"company", "system", "source_table", "source_key", "field", "kind", "reason"} == set(rows[0])
    assert "data we removed" in folded(texts["report.html"])
    assert "data we removed" in folded(texts["report.pdf"])
    audit = await case_pool.fetch("SELECT action FROM audit_log WHERE reference = $1", reference)
    assert "redaction.scanned" in [r["action"] for r in audit]


async def test_reviewer_keeps_excludes_and_redacts(
    time_skipping_env: Any, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool
) -> None:
    client = time_skipping_env.client
    async with running_workers(client, **workers_kwargs) as control_queue:
        handle = await start_request_for(client, control_queue, case_pool, date(2026, 11, 20))
        reference = handle.id.removeprefix("dsar-")
        try:
            await wait_for_status(handle, Status.IDENTITY)
            early = ExcludeRecords(
                actor="privacy-officer", record_ids=[1], reason_code=ExclusionReason.TRADE_SECRET, note="n"
            )
            with pytest.raises(WorkflowUpdateFailedError) as refused:
                await handle.execute_update(RightsRequestWorkflow.exclude_records, early)
            assert "during review" in str(refused.value.cause)
            await to_review(client, handle)

            se01 = await ticket(case_pool, reference, "se01", "Kommer inte åt")
            gb01 = await ticket(case_pool, reference, "gb01", "Wrong company")
            # Keep the colleague's name in the Swedish ticket's body (say he agreed).
            findings = await case_pool.fetch(
                "SELECT finding_id, path, span_start, span_end FROM redactions"
                " WHERE record_id = $1 AND kind = 'name'",
                se01["id"],
            )
            body = dict(iter_strings(se01["data"]))["$.body"]
            lars = next(
                f
                for f in findings
                if f["path"] == "$.body" and body[f["span_start"] : f["span_end"]] == "Lars Ek"
            )
            # `dsar review` lists the finding with its id and place, and shows samples redacted.
            async with case_pool.acquire() as conn:
                overview = await review_overview(conn, workers_kwargs["registry"], reference, samples=1000)
            shown = {f["finding"]: f for f in overview["findings"]}
            listed = shown[f"{se01['id']}/{lars['finding_id']}"]
            assert (listed["kind"], listed["field"], listed["decision"]) == ("name", "body", "redact")
            assert (listed["company"], listed["system"], listed["key"]) == (
                "se01",
                "support",
                se01["source_key"],
            )
            samples = json.dumps(overview["companies"], ensure_ascii=False)
            assert "Kommer inte åt lönemodulen" in samples  # every record is a sample here
            assert _person("Johan Berg").email not in samples and "Lars Ek" not in samples
            keep = KeepFinding(
                actor="privacy-officer",
                record_id=se01["id"],
                finding_id=lars["finding_id"],
                reason="he agreed",
            )
            with pytest.raises(WorkflowUpdateFailedError) as refused:
                await handle.execute_update(
                    RightsRequestWorkflow.keep_finding, keep.model_copy(update={"actor": "intruder"})
                )
            assert "does not have the reviewer role" in str(refused.value.cause)
            with pytest.raises(WorkflowUpdateFailedError) as refused:
                await handle.execute_update(
                    RightsRequestWorkflow.keep_finding,
                    keep.model_copy(update={"finding_id": "f-0000000000000000"}),
                )
            assert "is not a finding of" in str(refused.value.cause)
            assert await handle.execute_update(RightsRequestWorkflow.keep_finding, keep) == 1

            # Leave the British ticket out altogether.
            exclude = ExcludeRecords(
                actor="privacy-officer",
                record_ids=[gb01["id"]],
                reason_code=ExclusionReason.OTHERS_RIGHTS,
                note="describes a third party's event registration",
            )
            assert await handle.execute_update(RightsRequestWorkflow.exclude_records, exclude) == 1

            # Remove a word the detector has no reason to find, from the subject only.
            subject = se01["data"]["subject"]
            redact = ManualRedaction(
                actor="privacy-officer",
                record_id=se01["id"],
                path="$.subject",
                spans=occurrences(subject, "lönemodulen"),
                reason="internal product code name",
            )
            assert await handle.execute_update(RightsRequestWorkflow.redact_field, redact) == 1

            members = await approve_and_read(handle, workers_kwargs["settings"], reference)
            # The shape with the redaction scan and the review decisions, for the replay test.
            await record_history(handle, "rights_request_access_redaction")
            with pytest.raises(WorkflowUpdateFailedError) as refused:
                await handle.execute_update(RightsRequestWorkflow.keep_finding, keep)
            assert "during review" in str(refused.value.cause)
        finally:
            await handle.terminate("test done: no retention timer left behind")

    document = json.loads(members["data.json"])
    records = packaged_records(document)
    se01_out = next(
        r
        for r in records
        if r["company"] == "se01" and r["key"] == se01["source_key"] and r["table"] == "support_tickets"
    )
    # The kept name stays where the reviewer kept it, and only there.
    assert "Lars Ek" in se01_out["data"]["body"]
    assert se01_out["data"]["subject"] == "Kommer inte åt [redacted]"
    other_lars = [r for r in records if r is not se01_out and "Lars Ek" in json.dumps(r, ensure_ascii=False)]
    assert other_lars == []
    assert not [
        r
        for r in records
        if r["company"] == "gb01" and r["table"] == "support_tickets" and r["key"] == gb01["source_key"]
    ]
    assert document["redactions"]["excluded_records"] == [
        {
            "company": "gb01",
            "system": "support",
            "reason_code": "others_rights",
            "reason": "Disclosing it would adversely affect another person's rights and freedoms.",
            "records": 1,
        }
    ]
    manual = [r for r in document["redactions"]["removed"] if r["kind"] == "manual"]
    assert manual == [
        {
            "company": "se01",
            "system": "support",
            "table": "support_tickets",
            "key": se01["source_key"],
            "field": "subject",
            "kind": "manual",
            "reason": "internal product code name",
        }
    ]
    # The excluded ticket is counted, with its reason, in the report too (never shown).
    html = folded(members["report.html"].decode())
    assert folded("Records we are not disclosing") in html
    actions = [
        r["action"]
        for r in await case_pool.fetch("SELECT action FROM audit_log WHERE reference = $1", reference)
    ]
    assert {"record.excluded", "redaction.added", "redaction.kept"} <= set(actions)

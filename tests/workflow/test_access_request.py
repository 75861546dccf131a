"""The access path on the time-skipping server, with the real activities behind it.

Workers run on fresh task queues, the request is started by the same code the CLI uses,
and the human steps go through the same Updates.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta
from typing import Any

import asyncpg
import pytest
from temporalio.client import WorkflowUpdateFailedError

from casestore.storage import artefact_id, package_key, s3_client
from dsar.domain import Status
from dsar.messages.identity import IdentityDecision
from dsar.messages.review import ReviewDecision
from dsar.messages.state import RequestState
from tests.conftest import record_history
from tests.workflow.conftest import astrid, reach_review, running_workers, start_request_for, wait_for_status
from workflows.rights_request import RightsRequestWorkflow


async def test_access_request_is_delivered_with_only_the_persons_records(
    own_time_skipping_env: Any, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool, servers: Any
) -> None:
    client = own_time_skipping_env.client
    person = astrid()
    async with running_workers(client, **workers_kwargs) as control_queue:
        handle = await start_request_for(client, control_queue, case_pool, date(2026, 11, 20))
        reference = handle.id.removeprefix("dsar-")

        state = await wait_for_status(handle, Status.IDENTITY)
        assert state.due_on == date(2026, 12, 21)  # 20 Dec 2026 is a Sunday

        # Approving before identity is confirmed is refused, and changes nothing.
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(RightsRequestWorkflow.approve, ReviewDecision(actor="reviewer"))

        # Someone without the reviewer role cannot confirm identity.
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(
                RightsRequestWorkflow.verify_identity, IdentityDecision(actor="intruder")
            )
        assert "does not have the reviewer role" in str(refused.value.cause)
        await handle.execute_update(
            RightsRequestWorkflow.verify_identity, IdentityDecision(actor="privacy-officer")
        )
        state = await reach_review(client, handle)
        assert all(c.done for c in state.companies)
        with_data = sorted(c.company for c in state.companies if c.records > 0)
        assert with_data == sorted(person.companies)

        await handle.execute_update(RightsRequestWorkflow.approve, ReviewDecision(actor="reviewer"))
        state = await wait_for_status(handle, Status.DELIVERED)
        settings = workers_kwargs["settings"]
        key = package_key(artefact_id(reference, "access-package"))
        body = s3_client(settings).get_object(Bucket=settings.s3_bucket, Key=key)["Body"].read()
        names = zipfile.ZipFile(io.BytesIO(body)).namelist()
        assert names[:5] == ["cover_letter.html", "report.html", "report.pdf", "data.json", "redactions.csv"]
        tables = [n for n in names[5:] if n.startswith("csv/")]
        assert tables and all(n.endswith(".csv") for n in tables)
        # Files behind records: the event photos, and the app's usage events as CSV parts.
        files = [n for n in names[5:] if not n.startswith("csv/")]
        assert all(n.startswith("files/") for n in files)
        # named after the table in the person's language, not the table itself
        assert "files/se01/app/Use of the app part-00001.csv" in files
        assert len([n for n in files if n.startswith("files/gb01/photos/")]) == 3
        # The package is kept for the retention period, then deleted. Skip ahead explicitly:
        # a result long-poll on the time-skipping server can give up while time races past it.
        await own_time_skipping_env.sleep(timedelta(days=31))
        final: RequestState = await handle.result()
        await record_history(handle, "rights_request_access")
        company = client.get_workflow_handle(f"dsar-{reference}-company-{person.companies[0]}")
        await record_history(company, "company_collection")

    assert final.status == Status.DELIVERED
    assert final.package is not None and final.package.companies_with_data == sorted(person.companies)
    rows = await case_pool.fetch(
        "SELECT matched_on, data FROM collected_records WHERE reference = $1", reference
    )
    assert rows and all(r["matched_on"] != "unknown" for r in rows)
    sent = [m for m in servers.mail.messages() if m["X-DSAR-Reference"] == reference]
    # The events team was asked to search its paper binder, and only that team.
    tasks = [m for m in sent if m["X-DSAR-Kind"] == "manual_task"]
    assert [m["To"] for m in tasks] == ["events-team@ecisolutions.com"]
    sent = [m for m in sent if m["To"].endswith(f"<{person.email}>")]
    assert sorted(m["Subject"].split(" (")[0] for m in sent) == [
        "We have received your request",
        "Your code for downloading your data",
        "Your code to confirm your request",  # identity: her address is one the group holds
        "Your personal data is ready",
    ]
    audit = await case_pool.fetch(
        "SELECT actor, action FROM audit_log WHERE reference = $1 ORDER BY seq", reference
    )
    actions = [r["action"] for r in audit]
    assert actions[0] == "request.registered"
    assert ("privacy-officer", "status.collecting") in [(r["actor"], r["action"]) for r in audit]
    assert actions[-2:] == ["status.delivered", "package.deleted"]
    assert final.package_deleted_at is not None

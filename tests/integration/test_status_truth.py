"""`dsar status` and `dsar list` tell the truth, and an internationalised address is mailed.

On the Temporal dev server (visibility), the real case store and the SMTP catcher, with the
real workers in-process on a fresh task queue; `dsar` runs as its own process, as a person
at the terminal runs it.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import date
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from temporalio.client import Client, WorkflowHandle

from activities._smtp import SmtpSender
from cli import start_request
from devstack.local_servers import LOOPBACK, free_port
from dsar.domain import Channel, Language, RequestSubmission, Right, Status, SubjectIdentity
from dsar.task_queues import CONTROL_TASK_QUEUE
from tests.conftest import TEST_AUDIT_MAC_KEYS, Servers
from tests.polling import eventually
from tests.workflow import conftest as workflow_fixtures
from tests.workflow.conftest import (
    astrid,
    new_reference,
    running_workers,
    start_request_for,
    wait_for_status,
)
from workers.control import control_worker
from workflows.rights_request import RightsRequestWorkflow

pytestmark = pytest.mark.integration
# The workflow tests' fixture: worker settings for a fresh task queue.
workers_kwargs = workflow_fixtures.workers_kwargs


@pytest.fixture
def cli_env(
    servers: Servers, key_text: str, dev_env: Any, tmp_path: Path, team_keys_dir: Path
) -> dict[str, str]:
    """What `dsar` reads from the environment to reach these servers, acting as the privacy
    officer with the test team's keys and the audit trail's key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSAR_")}
    env.update(
        {
            "DSAR_STATE_DIR": str(tmp_path),
            "DSAR_TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
            "DSAR_DATABASE_URL": servers.case_dsn,
            "DSAR_S3_ENDPOINT_URL": servers.s3.endpoint_url,
            "DSAR_SMTP_URL": servers.mail.url,
            "DSAR_CODEC_KEYS": key_text.replace("\n", ","),
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test-secret",
            "DSAR_USER": "privacy-officer",
            "DSAR_KEYS_DIR": str(team_keys_dir),
            "DSAR_AUDIT_MAC_KEYS": TEST_AUDIT_MAC_KEYS,
            "COLUMNS": "200",
        }
    )
    return env


def dsar(env: dict[str, str], *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "cli", *args], env=env, capture_output=True, text=True, timeout=120
    )
    return result, time.monotonic() - started


async def dsar_json(env: dict[str, str], *args: str) -> Any:
    result, _ = await asyncio.to_thread(dsar, env, *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


async def test_a_terminated_request_shows_as_terminated_in_status_and_list(
    dev_env: Any, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool, cli_env: dict[str, str]
) -> None:
    client: Client = dev_env.client
    async with running_workers(client, **workers_kwargs) as queue:
        handle = await start_request_for(client, queue, case_pool, date.today())
        await wait_for_status(handle, Status.IDENTITY)
        await handle.terminate(reason="test: operator ended it")
        reference = handle.id.removeprefix("dsar-")

        shown = await dsar_json(cli_env, "status", reference)
        assert shown["status"] == "terminated" and shown["stage"] == "identity"
        assert shown["execution"]["status"] == "terminated"
        human, _ = await asyncio.to_thread(dsar, cli_env, "status", reference)
        assert human.returncode == 0, human.stderr
        assert "terminated (last stage: identity)" in human.stdout

        async def listed() -> dict[str, Any] | None:  # visibility is eventually consistent
            rows = await dsar_json(cli_env, "list")
            row = next((r for r in rows if r["reference"] == reference), None)
            return row if row and row["status"] == "terminated" else None

        row: dict[str, Any] = await eventually(listed, timeout=30, what=f"{reference} listed as terminated")
        assert row["stage"] == "identity"


async def test_status_answers_from_the_case_store_within_5_s_when_no_worker_runs(
    dev_env: Any, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool, cli_env: dict[str, str]
) -> None:
    client: Client = dev_env.client
    async with running_workers(client, **workers_kwargs) as queue:
        handle = await start_request_for(client, queue, case_pool, date.today())
        state = await wait_for_status(handle, Status.IDENTITY)
    reference = handle.id.removeprefix("dsar-")
    try:
        # The interpreter's own start-up (imports, on a busy machine) is not the command's wait.
        baseline = min([(await asyncio.to_thread(dsar, cli_env, "--help"))[1] for _ in range(2)])
        result, elapsed = await asyncio.to_thread(dsar, cli_env, "status", reference, "--json")
        assert result.returncode == 0, result.stderr
        assert elapsed - baseline < 5, f"status took {elapsed:.1f} s ({baseline:.1f} s to start Python)"
        shown = json.loads(result.stdout)
        assert shown["answering"] is False and shown["status"] == "identity" and shown["collection"] == {}
        assert shown["due_on"] == (state.due_on.isoformat() if state.due_on else None)
        assert shown["execution"]["status"] == "running" and shown["execution"]["last_task_at"]
        human, _ = await asyncio.to_thread(dsar, cli_env, "status", reference)
        assert human.returncode == 0, human.stderr
        assert "the workflow is not answering" in human.stdout and "last task handled" in human.stdout
    finally:
        await handle.terminate(reason="test finished")


async def test_an_internationalised_address_gets_its_acknowledgement(
    dev_env: Any, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool, servers: Servers
) -> None:
    client: Client = dev_env.client
    submission = RequestSubmission(
        rights=[Right.ACCESS],
        subject=SubjectIdentity(full_name="Evé Ünder", email="Evé@Exämple.org"),
        language=Language.EN,
        jurisdiction="SE",
        channel=Channel.EMAIL,
        received_on=date.today(),
    )
    async with running_workers(client, **workers_kwargs) as queue:
        reference = await new_reference(case_pool)
        await start_request(client, reference, submission, "tester", task_queue=queue)
        handle: WorkflowHandle[Any, Any] = client.get_workflow_handle_for(
            RightsRequestWorkflow.run, f"dsar-{reference}"
        )
        try:

            async def acknowledged() -> EmailMessage | None:
                found = [
                    m
                    for m in servers.mail.messages()
                    if m["X-DSAR-Reference"] == reference and m["X-DSAR-Kind"] == "acknowledgement"
                ]
                return found[0] if found else None

            mail: EmailMessage = await eventually(
                acknowledged, timeout=60, what=f"the acknowledgement of {reference}"
            )
            assert getaddresses([str(mail["To"])]) == [("Evé Ünder", "evé@exämple.org")]
            assert astrid().email not in str(mail["To"])
        finally:
            await handle.terminate(reason="test finished")


async def test_status_shows_a_notification_that_keeps_failing_as_retrying_with_its_error(
    dev_env: Any, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool, cli_env: dict[str, str]
) -> None:
    """The relay refuses connections: the acknowledgement is retried, and status says so."""
    client: Client = dev_env.client
    queue = CONTROL_TASK_QUEUE + workers_kwargs["suffix"]
    refusing = SmtpSender(f"smtp://{LOOPBACK}:{free_port()}")  # nothing listens there
    worker = control_worker(
        client,
        settings=workers_kwargs["settings"],
        ring=workers_kwargs["ring"],
        registry=workers_kwargs["registry"],
        pool=case_pool,
        task_queue=queue,
        sender=refusing,
    )
    async with worker:
        handle = await start_request_for(client, queue, case_pool, date.today())
        try:
            reference = handle.id.removeprefix("dsar-")

            async def retrying() -> dict[str, Any] | None:
                shown = await dsar_json(cli_env, "status", reference)
                return shown if shown["execution"]["retrying"] else None

            shown: dict[str, Any] = await eventually(retrying, timeout=60, what="the step shown as retrying")
            assert shown["answering"] is True and shown["status"] == "received"
            [line] = shown["execution"]["retrying"].values()
            assert line.startswith("retrying (attempt ")
            assert line.endswith("mail relay refused or unreachable: ConnectionRefusedError"), line
            human, _ = await asyncio.to_thread(dsar, cli_env, "status", reference)
            assert "step notify:acknowledgement" in human.stdout and "retrying (attempt" in human.stdout
            assert list(shown["execution"]["retrying"]) == ["notify:acknowledgement"]
        finally:
            await handle.terminate(reason="test finished")

"""The `dsar` command guides a person through a request (issue #18, item 4).

Each test drives a real request on the Temporal dev server with the real workers in-process,
the real case store, S3 and SMTP catcher, and runs `dsar` as its own process with its output
piped, as a script, `tee` or a log would read it: what it waits for and the command that
moves it, `--watch` lines, one count of records in status and review, plurals, whole lines,
review markers, per-right wording, and messages that name the reference and the next step.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from contextlib import suppress
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.service import RPCError

from cli import start_request
from devstack.demo_group import DEMO_PEOPLE
from dsar.domain import (
    Channel,
    Language,
    RequestSubmission,
    Right,
    Status,
    SubjectIdentity,
    company_action_workflow_id,
)
from dsar.messages.actions import ActionStatus
from dsar.messages.identity import IdentityDecision
from tests.conftest import Servers
from tests.integration import test_status_truth as status_truth
from tests.integration.test_status_truth import dsar, dsar_json
from tests.polling import eventually
from tests.workflow import conftest as workflow_fixtures
from tests.workflow.conftest import (
    manual_task_waiting,
    new_reference,
    reach_review,
    running_workers,
    start_request_for,
    wait_for_status,
)
from workflows.company_action import CompanyActionWorkflow
from workflows.rights_request import RightsRequestWorkflow

pytestmark = pytest.mark.integration
workers_kwargs = workflow_fixtures.workers_kwargs
# The status tests' fixture: what `dsar` reads from the environment to reach these servers.
cli_env = status_truth.cli_env
# The words the product must not print: a count with the wrong number of its noun.
WRONG_PLURAL = re.compile(r"\b1 (codes|records|customer records|days|bytes|spans|matches)\b")


class Frictions:
    """The frictions a run met, each named; one scenario reports every one of them at once,
    so a run on the code before the fix lists all it finds, not only the first."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def check(self, ok: object, friction: str, shown: object = "") -> None:
        if not ok:
            self.found.append(f"{friction}:\n{str(shown)[-3000:]}")

    def plurals(self, text: str) -> None:
        self.check(not WRONG_PLURAL.search(text), "a count with the wrong number of its noun", text)


async def run_dsar(env: dict[str, str], *args: str, seen: Frictions | None = None) -> str:
    """`dsar ...` with its output piped; the command must succeed."""
    result, _ = await asyncio.to_thread(dsar, env, *args)
    assert result.returncode == 0, f"dsar {' '.join(args)}: {result.stderr}"
    if seen is None:
        assert not WRONG_PLURAL.search(result.stdout), result.stdout
    else:
        seen.plurals(result.stdout)
    return result.stdout


async def refused(env: dict[str, str], *args: str) -> str:
    """`dsar ...` that must be refused; its message (one line, unwrapped)."""
    result, _ = await asyncio.to_thread(dsar, env, *args)
    assert result.returncode != 0, result.stdout
    return " ".join(result.stderr.split())


async def next_line(process: asyncio.subprocess.Process, timeout: float) -> str | None:
    """The next line `dsar status --watch` writes into its pipe, or None within `timeout`."""
    assert process.stdout is not None
    try:
        return (await asyncio.wait_for(process.stdout.readline(), timeout)).decode()
    except TimeoutError:
        return None


@pytest.fixture
def env(cli_env: dict[str, str], roles_file: Path) -> dict[str, str]:
    """The environment of a script or a pipe (no COLUMNS exported), with the roles file."""
    return {k: v for k, v in cli_env.items() if k != "COLUMNS"} | {"DSAR_ROLES_FILE": str(roles_file)}


async def test_an_access_request_says_what_it_waits_for_at_each_stage(
    dev_env: Any, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool, env: dict[str, str]
) -> None:
    client: Client = dev_env.client
    async with running_workers(client, **workers_kwargs) as queue:
        handle = await start_request_for(client, queue, case_pool, date.today())
        reference = handle.id.removeprefix("dsar-")
        watcher = None
        seen = Frictions()
        try:
            await wait_for_status(handle, Status.IDENTITY)

            async def code_sent() -> dict[str, Any] | None:
                shown = await dsar_json(env, "status", reference)
                return shown if shown["identity"] and shown["identity"]["codes_sent"] else None

            # Identity: the person enters the code, or the team checks; both commands named.
            sent: dict[str, Any] = await eventually(code_sent, timeout=30, what="the identity code sent")
            assert sent["status"] == "identity"
            shown = await run_dsar(env, "status", reference, seen=seen)
            seen.check("1 code sent" in shown, "one code sent, said in the singular", shown)
            seen.check(
                re.search(r"\b(1 customer record|[02-9]\d* customer records);", shown), "plural", shown
            )
            seen.check(
                "Waits for: the person to enter the code" in shown
                and f"next: dsar verify {reference} --code CODE" in shown
                and f"dsar verify {reference} --method customer_record" in shown,
                "status says identity waits, and the commands that confirm it",
                shown,
            )

            # --watch into a pipe: a line at once, and one for each change.
            watcher = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "cli", "status", reference, "--watch",
                env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            first = await next_line(watcher, 30)
            seen.check(
                first and reference in first and " identity " in first and "dsar verify" in first,
                "--watch writes a plain line into a pipe at once",
                first,
            )

            said = await run_dsar(
                env,
                "verify",
                reference,
                "--method",
                "customer_record",
                "--note",
                "matched the CRM",
                seen=seen,
            )
            seen.check(
                f"Identity confirmed for {reference}" in said and f"dsar status {reference}" in said,
                "verify names the reference and the next command",
                said,
            )

            # Collection: the events team's binder waits for its owner's export.
            await manual_task_waiting(client, reference)
            lines: list[str] = []
            while first and not any("gb01/signups" in line for line in lines):
                line = await next_line(watcher, 60)
                if line is None:
                    break
                lines.append(line)
            seen.check(
                any(" collecting " in line for line in lines) and bool(lines) and "gb01/signups" in lines[-1],
                "--watch writes a line for each change into a pipe",
                lines,
            )
            shown = await run_dsar(env, "status", reference, seen=seen)
            seen.check(
                "Waits for: the owner of gb01/signups" in shown
                and f"next: dsar upload {reference} --system gb01/signups FILE" in shown,
                "status says the request waits for a manual system's export, and the upload command",
                shown,
            )
            waiting = (await dsar_json(env, "status", reference)).get("waiting_for")
            seen.check(
                waiting and waiting[0]["who"] == "the owner of gb01/signups",
                "status --json says what it waits for",
                waiting,
            )

            said = await run_dsar(
                env, "mark-na", reference, "--system", "gb01/signups", "--reason", "binder searched: none"
            )
            seen.check(f"dsar status {reference}" in said, "mark-na names the next command", said)
            await wait_for_status(handle, Status.REVIEW)

            # Review: one count of records per system in status and review (bulk parts too).
            status = await dsar_json(env, "status", reference)
            review = await dsar_json(env, "review", reference)
            counted = {
                (s["company"], s["system"]): s["records"] for c in status["companies"] for s in c["systems"]
            }
            reviewed = {
                (c["company"], s["system"]): s.get("records", sum(cat["records"] for cat in s["categories"]))
                for c in review["companies"]
                for s in c["systems"]
                if s["status"] == "collected"
            }
            assert reviewed and counted[("se01", "app")] > 0
            seen.check(
                {k: counted[k] for k in reviewed} == reviewed,
                "status and review count the same records",
                (counted, reviewed),
            )
            seen.check(
                [s["command"] for s in status.get("waiting_for", [])]
                == [f"dsar review {reference}  then  dsar approve {reference}"],
                "status names review and approve",
                status.get("waiting_for"),
            )

            # Review in a pipe: finding ids whole on their lines, and the package's markers.
            human = await run_dsar(env, "review", reference, seen=seen)
            assert review["findings"], "the demo data holds other people's data to review"
            cut = [
                f["finding"]
                for f in review["findings"]
                if not re.search(rf"\b{re.escape(f['finding'])}\b", human)
            ]
            seen.check(not cut, "finding ids are whole in piped output", cut)
            markers = [m for s in _samples(review) for m in re.findall(r"\[redacted: [a-z -]+\]", s)]
            assert markers, "a sample shows a redaction"
            seen.check(all(m in human for m in markers), "review samples show the package's markers", human)

            said = await run_dsar(env, "approve", reference, seen=seen)
            seen.check(
                f"Approved {reference}: the package's download link is sent." in said
                and "erasure" not in said
                and f"dsar status {reference}" in said,
                "approve says what follows for access",
                said,
            )
            await wait_for_status(handle, Status.DELIVERED)
            # The package counts records as status and review do (fuzzy matches left open stay out).
            package = (await dsar_json(env, "status", reference))["package"]
            expected = sum(counted.values()) - len(review["fuzzy_matches"])
            seen.check(
                package["records"] == expected, "the package counts the same records", (package, expected)
            )

            # Delivered: verify says what is true, and list counts no days left.
            message = await refused(env, "verify", reference, "--code", "000000")
            seen.check(
                f"{reference} is delivered" in message and "already been used" not in message,
                "verify on a delivered request says so",
                message,
            )
            shown = await run_dsar(env, "status", reference, seen=seen)
            seen.check(
                "days left" not in shown and f"dsar resend-link {reference}" in shown,
                "a delivered request counts no days and names resend-link",
                shown,
            )

            async def listed() -> dict[str, Any] | None:
                rows = await dsar_json(env, "list", "--status", "delivered")
                return next((r for r in rows if r["reference"] == reference), None)

            row: dict[str, Any] = await eventually(listed, timeout=30, what=f"{reference} listed")
            table = await run_dsar(env, "list", "--status", "delivered", seen=seen)
            [line] = [line for line in table.splitlines() if reference in line]
            seen.check(
                row["days_left"] is None and not re.search(r"\s-?\d+\s*\S?\s*$", line),
                "list shows no days left for a delivered request",
                (row, line),
            )
            assert not seen.found, "\n\n".join(seen.found)
        finally:
            if watcher is not None:
                with suppress(ProcessLookupError):
                    watcher.kill()
                await watcher.wait()
            if (await handle.describe()).status is WorkflowExecutionStatus.RUNNING:
                await handle.terminate(reason="test finished")


async def manual_action_waiting(client: Client, reference: str, action: str) -> None:
    """Until the company's child asks the binder's owner (gb01/signups) to act by hand."""
    child = client.get_workflow_handle_for(
        CompanyActionWorkflow.run, company_action_workflow_id(reference, "gb01", action)
    )

    async def waiting() -> bool | None:
        try:
            progress = await child.query(CompanyActionWorkflow.progress)
        except RPCError:
            return None
        return (
            any(s.system == "signups" and s.status is ActionStatus.AWAITING_OWNER for s in progress.systems)
            or None
        )

    found: bool = await eventually(waiting, timeout=60, what=f"gb01/signups awaiting its owner to {action}")
    assert found


def _systems(review: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for c in review["companies"] for s in c["systems"]]


def _samples(review: dict[str, Any]) -> list[str]:
    return [
        json.dumps(sample["data"], ensure_ascii=False)
        for s in _systems(review)
        for cat in s["categories"]
        for sample in cat["samples"]
    ]


async def test_an_erasure_names_its_own_next_steps_and_the_manual_erasure_it_waits_for(
    dev_env: Any, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool, env: dict[str, str]
) -> None:
    client: Client = dev_env.client
    # Not Astrid: her data stays for the other tests of this session.
    person = next(p for p in DEMO_PEOPLE if p.full_name == "Sanne de Vries")
    async with running_workers(client, **workers_kwargs) as queue:
        reference = await new_reference(case_pool)
        submission = RequestSubmission(
            rights=[Right.ERASURE],
            subject=SubjectIdentity(full_name=person.full_name, email=person.email),
            language=Language.EN,
            jurisdiction="SE",
            channel=Channel.EMAIL,
            received_on=date.today(),
        )
        await start_request(client, reference, submission, "tester", task_queue=queue)
        handle: WorkflowHandle[Any, Any] = client.get_workflow_handle_for(
            RightsRequestWorkflow.run, f"dsar-{reference}"
        )
        try:
            await wait_for_status(handle, Status.IDENTITY)
            await handle.execute_update(
                RightsRequestWorkflow.verify_identity,
                IdentityDecision(actor="privacy-officer", method="document_check", note="passport seen"),
            )
            await reach_review(client, handle)
            seen = Frictions()
            said = await run_dsar(env, "approve", reference, seen=seen)
            seen.check(
                f"Approved {reference}: erasure in every company, then the letter to the person." in said
                and "package" not in said,
                "approve on an erasure says what follows for erasure",
                said,
            )

            async def erasing() -> dict[str, Any] | None:
                shown = await dsar_json(env, "status", reference)
                return shown if any(a["action"] == "erase" for a in shown["actions"]) else None

            # The connectors' erasures are recorded; the binder's waits for its owner.
            under_way: dict[str, Any] = await eventually(erasing, timeout=60, what="the erasure under way")
            assert under_way["status"] == "executing"
            await manual_action_waiting(client, reference, "erase")
            shown = await run_dsar(env, "status", reference, seen=seen)
            seen.check(
                re.search(r"erase gb01/signups\s+│\s+awaiting_owner", shown),
                "status lists the manual erasure that waits for its owner",
                shown,
            )
            seen.check(
                "Waits for: the owner of gb01/signups" in shown
                and f"next: dsar done {reference} --system gb01/signups --action erase" in shown,
                "status names the owner and dsar done",
                shown,
            )
            data = await dsar_json(env, "status", reference)
            seen.check(
                any(
                    a["system"] == "signups" and a["status"] == "awaiting_owner"
                    for a in data.get("pending_actions", [])
                ),
                "status --json lists the pending manual erasure",
                data.get("pending_actions"),
            )
            assert not seen.found, "\n\n".join(seen.found)
        finally:
            if (await handle.describe()).status is WorkflowExecutionStatus.RUNNING:
                await handle.terminate(reason="test finished")


async def test_a_locked_code_names_the_request_and_the_command_that_sends_a_new_one(
    dev_env: Any,
    workers_kwargs: dict[str, Any],
    case_pool: asyncpg.Pool,
    env: dict[str, str],
    servers: Servers,
) -> None:
    client: Client = dev_env.client
    async with running_workers(client, **workers_kwargs) as queue:
        handle = await start_request_for(client, queue, case_pool, date.today())
        reference = handle.id.removeprefix("dsar-")
        try:
            await wait_for_status(handle, Status.IDENTITY)

            async def code_stored() -> bool | None:
                found = await case_pool.fetchval(
                    "SELECT count(*) FROM identity_challenges WHERE reference = $1", reference
                )
                return bool(found) or None

            stored: bool = await eventually(code_stored, timeout=30, what="the identity code stored")
            assert stored
            message = await refused(env, "verify", reference, "--code", "000000")
            assert f"{reference}: the code is wrong" in message
            # The last allowed wrong guess locks the code.
            # (No component may move a code's tries; the schema's owner stands in for them.)
            await servers.as_owner(
                "UPDATE identity_challenges SET attempts = 1000 WHERE reference = $1", reference
            )
            message = await refused(env, "verify", reference, "--code", "000000")
            assert f"{reference}: too many wrong codes" in message
            assert f"dsar send-code {reference}" in message
        finally:
            await handle.terminate(reason="test finished")

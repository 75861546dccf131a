"""End to end on the real local stack, driven as a privacy team would drive it.

The stack is the one `dsar dev` starts (`devstack.stack.Stack`), on free ports in a
temporary state folder: Temporal dev server, PostgreSQL, S3, the SMTP catcher and the
worker pools as separate processes. The request is handled with the `dsar` command, the
stock `temporal` CLI checks visibility, and the package is fetched through the link in
the delivered e-mail. Midway through collection the whole worker pool is killed with
SIGKILL and started again; the request still ends with one e-mail and one package.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from casestore.db import create_pool
from devstack.demo_group import DEMO_PEOPLE
from devstack.local_servers import stop_process, venv_binary
from devstack.stack import Ports, Stack
from dsar.group import load_group
from dsar.logs import configure_logging
from tests.polling import eventually_sync
from tests.rights_people import PlantedPerson, plant_person

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    state = tmp_path_factory.mktemp("state")
    ports = Ports.free(len(load_group().companies))
    configure_logging("console", "INFO")
    stack = Stack(state, ports, load_group())
    try:
        stack.bring_up()
        yield stack
    finally:
        stack.stop()


def dsar(stack: Stack, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    given = env or {}
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSAR_")}
    env.update({"DSAR_STATE_DIR": str(stack.state), "DSAR_USER": "privacy-officer", "COLUMNS": "200"})
    env.update(given)
    return subprocess.run(
        [sys.executable, "-m", "cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


def status(stack: Stack, reference: str) -> dict[str, Any]:
    result = dsar(stack, "status", reference, "--json")
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def wait_status(stack: Stack, reference: str, wanted: str, timeout: float = 90) -> dict[str, Any]:
    last: dict[str, Any] = {}

    def reached() -> dict[str, Any] | None:
        last.update(status(stack, reference))
        # The live answer: right after workers restart, status may come from the case store.
        return last if last["status"] == wanted and last.get("answering", True) else None

    return eventually_sync(
        reached, timeout=timeout, what=lambda: f"{reference} stayed {last.get('status')}, wanted {wanted}"
    )


def wait_manual_task(stack: Stack, reference: str, system: str = "gb01/signups", timeout: float = 90) -> None:
    """Until the manual system has asked its owner and waits (as `dsar status --json` shows)."""
    company, code = system.split("/")

    def waiting() -> bool:
        progress = (status(stack, reference).get("collection") or {}).get(company) or {}
        systems = progress.get("systems", [])
        return any(s["system"] == code and s["status"] == "awaiting_upload" for s in systems)

    eventually_sync(waiting, timeout=timeout, what=f"{system} never waited for an upload")


def mails_for(stack: Stack, reference: str) -> list[Any]:
    return [m for m in stack.mail.messages() if m["X-DSAR-Reference"] == reference]


def test_invalid_submission_is_refused_and_starts_nothing(stack: Stack) -> None:
    result = dsar(stack, "submit", "access", "--name", "X", "--email", "nope", "--received", "2026-01-01")
    assert result.returncode == 2
    assert "--email" in result.stderr and "not a valid e-mail address" in result.stderr
    listed = dsar(stack, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == []


def test_access_request_end_to_end_survives_killing_the_workers(stack: Stack) -> None:
    person = next(p for p in DEMO_PEOPLE if p.full_name == "Astrid Lindqvist")
    assert len(person.companies) >= 3
    # Every company answers the identity search; then only the control plane and the first
    # company's worker keep running, so collection is certainly under way (one company
    # done, the others waiting) when the pool dies.
    first = person.companies[0]
    stack.start_workers()

    submitted = dsar(
        stack,
        "submit",
        "access",
        "--name",
        person.full_name,
        "--email",
        person.email,
        "--language",
        "en",
        "--jurisdiction",
        "SE",
        "--received",
        date.today().isoformat(),
        "--json",
    )
    assert submitted.returncode == 0, submitted.stderr
    reference = json.loads(submitted.stdout)["reference"]
    assert re.fullmatch(r"DSAR-\d{4}-\d{6}", reference)

    wait_status(stack, reference, "identity")
    for name in [n for n in stack.workers if n.startswith("company-") and n != f"company-{first}"]:
        stop_process(stack.workers.pop(name), signal.SIGTERM, timeout=30)
    refused = dsar(stack, "approve", reference)
    assert refused.returncode == 1 and "refused" in refused.stderr

    verified = dsar(stack, "verify", reference, "--note", "matched customer record")
    assert verified.returncode == 0, verified.stderr
    state = wait_status(stack, reference, "collecting")

    # gb01's paper sign-up sheets: the events team is asked, their export is uploaded.
    wait_manual_task(stack, reference)
    task = next(m for m in mails_for(stack, reference) if m["X-DSAR-Kind"] == "manual_task")
    assert task["To"] == "events-team@ecisolutions.com" and person.email in task.get_content()
    sheet = stack.state / "signups-export.csv"
    sheet.write_text(
        f"fair,date,name,email\nNordic ERP Days,2026-04-22,{person.full_name},{person.email}\n",
        encoding="utf-8",
    )
    wrong = dsar(stack, "upload", reference, "--system", "gb01/binder", str(sheet))
    assert wrong.returncode == 2 and "--system" in wrong.stderr
    not_manual = dsar(stack, "upload", reference, "--system", "gb01/crm", str(sheet))
    assert not_manual.returncode == 2 and "not waiting for an upload" in not_manual.stderr
    uploaded = dsar(stack, "upload", reference, "--system", "gb01/signups", str(sheet))
    assert uploaded.returncode == 0, uploaded.stderr

    def first_company_done() -> bool:
        progress = status(stack, reference)
        return any(c["company"] == first and c["done"] for c in progress["companies"])

    eventually_sync(first_company_done, timeout=60, what="first company never finished")
    state = status(stack, reference)
    assert state["status"] == "collecting"
    assert not all(c["done"] for c in state["companies"])

    for process in stack.workers.values():
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    stack.workers.clear()
    stack.start_workers()

    state = wait_status(stack, reference, "review")
    with_data = sorted(c["company"] for c in state["companies"] if c["records"] > 0)
    assert with_data == sorted(person.companies)

    # Another demo member, with her own key but only the requester role, cannot approve.
    front_desk = dsar(stack, "approve", reference, env={"DSAR_USER": "front-desk"})
    assert front_desk.returncode == 1 and "does not have the reviewer role" in front_desk.stderr
    approved = dsar(stack, "approve", reference)
    assert approved.returncode == 0, approved.stderr
    wait_status(stack, reference, "delivered")
    # The package was built by the packaging worker's process, not the control worker's.
    logs = stack.state / "logs"
    assert "package.built" in (logs / "worker-packaging-1.log").read_text()
    assert "package.built" not in (logs / "worker-control.log").read_text()
    # Every decision was signed with the local team's keys, and still verifies.
    signatures = dsar(stack, "audit", reference, "--verify-signatures")
    assert signatures.returncode == 0, signatures.stdout + signatures.stderr
    assert "all 3 decisions verified" in signatures.stdout  # verify, upload, approve

    # The stock Temporal CLI finds it by the search attribute.
    listed = subprocess.run(
        [
            venv_binary("temporal"),
            "workflow",
            "list",
            "--address",
            stack.temporal.address,
            "--query",
            'DsarStatus="delivered"',
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    assert f"dsar-{reference}" in listed.stdout

    # Exactly one acknowledgement, one link and one code e-mail, and one package; and one
    # task to the events team, though its worker was killed after sending it.
    mails = mails_for(stack, reference)
    assert [m["X-DSAR-Kind"] for m in mails].count("manual_task") == 1
    mails = [m for m in mails if m["X-DSAR-Kind"] != "manual_task"]
    kinds = sorted(m["Subject"].split(" (")[0] for m in mails)
    assert kinds == [
        "We have received your request",
        "Your code for downloading your data",
        "Your code to confirm your request",  # identity: sent to an address the group holds
        "Your personal data is ready",
    ]
    link, code = link_and_code(mails)
    assert person.email not in link and reference not in link
    assert link.startswith(f"http://127.0.0.1:{stack.ports.download}/d/")

    # The package comes from the product's download page, with the code from the other mail.
    with urllib.request.urlopen(link, timeout=30) as response:  # noqa: S310 - the local page
        assert 'name="code"' in response.read().decode()
    archive = zipfile.ZipFile(io.BytesIO(fetch_with_code(link, code)))
    names = archive.namelist()
    assert names[:5] == ["cover_letter.html", "report.html", "report.pdf", "data.json", "redactions.csv"]
    assert names[5:] and all(n.startswith(("csv/", "files/")) for n in names[5:])
    # The photos she appears in and her app events (as CSV parts) are files in the package.
    files = [n for n in names if n.startswith("files/")]
    assert len([n for n in files if n.startswith("files/gb01/photos/")]) == 3
    assert any(n.startswith("files/se01/app/Use of the app part-") for n in files)  # the label, in English
    document = json.loads(archive.read("data.json"))
    report = archive.read("report.html").decode()
    assert person.full_name in report
    assert "Article 15(1)(a)" in report and "Article 15(2)" in report

    companies_with_records = {
        c["code"]
        for c in document["companies"]
        if any(cat["records"] for s in c["systems"] for cat in s["categories"])
    }
    assert companies_with_records == set(person.companies)
    identity_values = {person.email, person.phone, person.customer_number} - {None}
    for company in document["companies"]:
        for system in company["systems"]:
            for category in system["categories"]:
                for record in category["records"]:
                    if "file" in record["data"]:  # a file; its row says where it was found
                        # A large table's part is named after the table's label in the
                        # package ("Use of the app part-00001.csv"); its file name ends it.
                        assert any(n.endswith(record["data"]["file"].rsplit("/", 1)[-1]) for n in files)
                        continue
                    values = {str(v).lower() for v in record["data"].values() if v is not None}
                    assert values & {str(v).lower() for v in identity_values}, (
                        f"a record in {company['code']}/{system['code']} is not the person's"
                    )

    counts = asyncio_run(_package_counts(stack, reference))
    assert counts == {"artefacts": 1, "delivery_notifications": 1}
    # Its own package folder (other stacks in this test process may share the in-process S3).
    folder = asyncio_run(_package_folder(stack, reference))
    objects = stack_s3_objects(stack)
    assert [k for k in objects if k.startswith(folder)] == [f"{folder}response-package.zip"]

    # A new link on request: the old one stops working, the new one delivers.
    resent = dsar(stack, "resend-link", reference)
    assert resent.returncode == 0, resent.stderr
    new_mails = [m for m in mails_for(stack, reference) if m["X-DSAR-Occasion"] == "resend-1"]
    new_link, new_code = link_and_code(new_mails)
    with pytest.raises(urllib.error.HTTPError) as replaced:
        fetch_with_code(link, code)
    assert replaced.value.code == 410
    assert zipfile.ZipFile(io.BytesIO(fetch_with_code(new_link, new_code))).namelist()


def link_and_code(mails: list[Any]) -> tuple[str, str]:
    link_mail = next(m for m in mails if m["X-DSAR-Kind"] == "delivery")
    code_mail = next(m for m in mails if m["X-DSAR-Kind"] == "download_code")
    link = re.search(r"(http://127\.0\.0\.1:\d+/d/\S+)", link_mail.get_content())
    code = re.search(r"\b(\d{4} \d{4})\b", code_mail.get_content())
    assert link and code, link_mail.get_content()
    return link.group(1), code.group(1)


def fetch_with_code(link: str, code: str) -> bytes:
    """As a browser does: the page's form (with its form token), then the code posted back."""
    with urllib.request.urlopen(link, timeout=30) as page:  # noqa: S310 - the local page
        token = re.search(r'name="form_token" value="([^"]+)"', page.read().decode())
    assert token, "the download page's form carries its form token"
    form = urllib.parse.urlencode({"code": code, "form_token": token.group(1)}).encode()
    with urllib.request.urlopen(link, data=form, timeout=30) as response:  # noqa: S310 - the local page
        assert response.headers["Content-Type"] == "application/zip"
        body: bytes = response.read()
    return body


async def _package_counts(stack: Stack, reference: str) -> dict[str, int]:
    conn = await asyncpg.connect(stack.env["DSAR_DATABASE_URL"])
    try:
        artefacts = await conn.fetchval("SELECT count(*) FROM artefacts WHERE reference = $1", reference)
        sent = await conn.fetchval(
            "SELECT count(*) FROM notifications"
            " WHERE reference = $1 AND kind = 'delivery' AND status = 'sent'",
            reference,
        )
    finally:
        await conn.close()
    return {"artefacts": int(artefacts), "delivery_notifications": int(sent)}


async def _package_folder(stack: Stack, reference: str) -> str:
    conn = await asyncpg.connect(stack.env["DSAR_DATABASE_URL"])
    try:
        key: str = await conn.fetchval(
            "SELECT s3_key FROM artefacts WHERE reference = $1 AND kind = 'access-package'", reference
        )
    finally:
        await conn.close()
    return key.rpartition("/")[0] + "/"


def asyncio_run(coro: Any) -> Any:
    import asyncio

    return asyncio.run(coro)


def stack_s3_objects(stack: Stack) -> list[str]:
    from casestore.storage import s3_client
    from dsar.config import Settings

    settings = Settings.from_env(stack.env)
    listing = s3_client(settings).list_objects_v2(Bucket=settings.s3_bucket)
    return [o["Key"] for o in listing.get("Contents", [])]


def test_readme_walkthrough_names_real_commands() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for command in ("make dev", "make test", "dsar submit access", "dsar verify", "dsar approve"):
        assert command in readme


def test_history_logs_and_search_attributes_hold_no_personal_data(
    stack: Stack, capfd: pytest.CaptureFixture[str]
) -> None:
    """Temporal stores every input and result; none of it may show the person in clear.
    The same payloads open through the codec server for an operator with the token."""
    import base64

    from google.protobuf import json_format
    from temporalio.api.common.v1 import Payloads

    from dsar.client import connect
    from dsar.config import Settings

    if not stack.workers:
        stack.start_workers()
    person = next(p for p in DEMO_PEOPLE if p.full_name == "Astrid Lindqvist")
    national_id = "19780412-1239"
    submitted = dsar(
        stack, "submit", "access", "--name", person.full_name, "--email", person.email,
        "--phone", person.phone, "--customer-number", person.customer_number or "",
        "--national-id", national_id, "--received", date.today().isoformat(), "--json",
    )  # fmt: skip
    assert submitted.returncode == 0, submitted.stderr
    reference = json.loads(submitted.stdout)["reference"]
    wait_status(stack, reference, "identity")
    assert dsar(stack, "verify", reference).returncode == 0
    wait_manual_task(stack, reference)
    not_applicable = dsar(stack, "mark-na", reference, "--system", "gb01/signups", "--reason", "binder: none")
    assert not_applicable.returncode == 0, not_applicable.stderr
    wait_status(stack, reference, "review")
    assert dsar(stack, "approve", reference).returncode == 0
    wait_status(stack, reference, "delivered")

    secrets_ = [person.full_name, person.email, person.phone, person.phone.lstrip("+"), national_id]
    secrets_ += [person.customer_number or "", "Lindqvist", "19780412"]
    secrets_ = [s.lower() for s in secrets_ if s]

    async def gather() -> tuple[list[bytes], list[str], Any]:
        client = await connect(Settings.from_env(stack.env))
        histories: list[bytes] = []
        attributes: list[str] = []
        started_input = None
        ids = [f"dsar-{reference}"] + [f"dsar-{reference}-company-{c.code}" for c in stack.registry.companies]
        for workflow_id in ids:
            handle = client.get_workflow_handle(workflow_id)
            history = await handle.fetch_history()
            histories.append(
                history.to_json().encode() + b"".join(e.SerializeToString() for e in history.events)
            )
            if started_input is None:
                started_input = history.events[0].workflow_execution_started_event_attributes.input
            description = await handle.describe()
            attributes.append(repr(description.raw_description.workflow_execution_info.search_attributes))
            attributes.append(repr(description.raw_description.workflow_execution_info.memo))
        return histories, attributes, started_input

    histories, attributes, started_input = asyncio_run(gather())
    for blob in histories:
        text = blob.decode("utf-8", "replace").lower()
        for secret in secrets_:
            assert secret not in text, "personal data in workflow history"
    for text in attributes:
        for secret in secrets_:
            assert secret not in text.lower(), "personal data in search attributes or memo"
    for log_file in (stack.state / "logs").glob("*.log"):
        content = log_file.read_text(errors="replace").lower()
        for secret in secrets_:
            assert secret not in content, f"personal data in {log_file.name}"

    # An operator with the token reads the same payloads through the codec server.
    body = json.dumps(json_format.MessageToDict(started_input)).encode()
    url = f"http://127.0.0.1:{stack.ports.codec}/decode"

    def post(url: str, headers: dict[str, str]) -> tuple[int, bytes]:
        request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    origin = stack.ui_origin
    plain = {"Content-Type": "application/json", "X-Namespace": "default", "Origin": origin}
    operator_token = stack.codec_token_file.read_text().strip()  # minted by the stack's own issuer
    assert stack.codec_token_file.stat().st_mode & 0o077 == 0
    status_code, reply = post(url, {**plain, "Authorization": f"Bearer {operator_token}"})
    assert status_code == 200
    decoded = json_format.Parse(reply, Payloads())
    assert person.email in base64.b64decode(base64.b64encode(decoded.payloads[0].data)).decode()
    # A token in the URL (the old UI form) is no credential; nor is anything but a valid token.
    url_with_token = f"http://127.0.0.1:{stack.ports.codec}/{operator_token}/decode"
    assert post(url_with_token, plain)[0] == 401
    assert post(url, plain)[0] == 401
    assert post(url, {**plain, "Authorization": "Bearer wrong-token-wrong-token"})[0] == 401
    evil = {**plain, "Origin": "http://evil.example", "Authorization": f"Bearer {operator_token}"}
    assert post(url, evil)[0] == 403
    captured = capfd.readouterr()
    assert "codec.decode" in captured.out + captured.err
    assert f"dsar-{reference}" in captured.out + captured.err


def test_clock_commands_list_extend_clarify_and_report(stack: Stack) -> None:
    """Visibility filters, the extension and clarification commands, and the report, via `dsar`."""
    from datetime import timedelta

    if not stack.workers:
        stack.start_workers()
    person = next(p for p in DEMO_PEOPLE if p.full_name == "Oliver Bennett")
    today = date.today()

    def submit(received: date, jurisdiction: str) -> str:
        result = dsar(
            stack, "submit", "access", "--name", person.full_name, "--email", person.email,
            "--jurisdiction", jurisdiction, "--language", "en", "--received", received.isoformat(), "--json",
            "--new-anyway",  # two separate requests of the same person, on purpose
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return str(json.loads(result.stdout)["reference"])

    late = submit(today - timedelta(days=50), "SE")
    fresh = submit(today, "SE")
    for reference in (late, fresh):
        wait_status(stack, reference, "identity")

    def listed(*flags: str) -> set[str]:
        def refs() -> set[str] | None:  # visibility is eventually consistent
            result = dsar(stack, "list", *flags, "--json")
            assert result.returncode == 0, result.stderr
            found = {r["reference"] for r in json.loads(result.stdout)}
            return found if late in found or fresh in found else None

        return eventually_sync(refs, timeout=30, what=f"either request in list {' '.join(flags)}")

    overdue = listed("--overdue")
    assert late in overdue and fresh not in overdue
    soon = listed("--due-within", "40d")
    assert fresh in soon and late in soon
    # More match than --limit: the soonest due are kept (not the store's first), and the
    # table says how many matched.
    every = json.loads(dsar(stack, "list", "--due-within", "40d", "--json").stdout)
    [first] = json.loads(dsar(stack, "list", "--due-within", "40d", "--limit", "1", "--json").stdout)
    assert len(every) >= 2 and first["due_at"] == min(r["due_at"] for r in every)
    shown = dsar(stack, "list", "--due-within", "40d", "--limit", "1")
    assert f"1 of {len(every)} shown, the soonest due" in " ".join(shown.stdout.split())
    bad = dsar(stack, "list", "--due-within", "soon")
    assert bad.returncode == 2 and "--due-within" in bad.stderr

    too_late = dsar(stack, "extend", late, "--reason", "complex")
    assert too_late.returncode == 1 and "too late" in too_late.stderr
    no_reason = dsar(stack, "extend", fresh, "--reason", "   ")
    assert no_reason.returncode == 1 and "needs a reason" in no_reason.stderr
    extended = dsar(stack, "extend", fresh, "--reason", "Your data is held by four companies.", "--json")
    assert extended.returncode == 0, extended.stderr
    assert json.loads(extended.stdout)["extended"] is True

    asked = dsar(stack, "clarify", fresh, "--question", "Which e-mail address did you use with us?", "--json")
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout)["clock_stopped"] is True
    answered = dsar(stack, "answer", fresh, "--json")
    assert answered.returncode == 0 and json.loads(answered.stdout)["clock_stopped"] is False

    kinds = sorted(m["X-DSAR-Kind"] for m in mails_for(stack, fresh))
    assert kinds == ["acknowledgement", "clarification", "extension", "identity_code"]
    notice = next(m for m in mails_for(stack, fresh) if m["X-DSAR-Kind"] == "extension")
    assert "Your data is held by four companies." in notice.get_content()
    # The overdue one escalated at once, to the escalation address, naming no one.
    escalation = next(
        m for m in stack.mail.messages() if m["X-DSAR-Reference"] == late and m["X-DSAR-Kind"] == "escalation"
    )
    assert person.full_name not in escalation.get_content() and person.email not in escalation["To"]

    report = dsar(
        stack,
        "report",
        "--from",
        (today - timedelta(days=60)).isoformat(),
        "--to",
        today.isoformat(),
        "--json",
    )
    assert report.returncode == 0, report.stderr
    figures = json.loads(report.stdout)
    assert figures["total"]["received"] >= 2
    assert figures["total"]["open_overdue"] >= 1 and figures["total"]["extended"] >= 1


def test_the_control_worker_creates_the_retention_purge_schedule(stack: Stack) -> None:
    """`temporal schedule list` shows the nightly purge once the control worker has started."""
    if not stack.workers:
        stack.start_workers()

    def listed() -> str | None:
        result = subprocess.run(
            [venv_binary("temporal"), "schedule", "list", "--address", stack.temporal.address],
            capture_output=True,
            text=True,
            timeout=60,
        )
        return result.stdout if "dsar-retention-purge" in result.stdout else None

    eventually_sync(listed, timeout=90, what="the dsar-retention-purge schedule")
    shown = dsar(stack, "purge", "--dry-run")
    assert shown.returncode == 0 and "as of" in shown.stdout, shown.stderr


def test_worker_metrics_endpoint_serves_sdk_and_product_metrics(stack: Stack) -> None:
    if not stack.workers:
        stack.start_workers()

    def scrape(port: int) -> str:
        def metrics() -> str | None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
                    text: str = response.read().decode()
            except OSError:
                return None
            return text if "dsar_requests_open" in text or port != stack.metrics_port() else None

        return eventually_sync(metrics, timeout=60, what=f"no metrics on {port}")

    control = scrape(stack.metrics_port())
    # The SDK's own metrics ...
    assert "temporal_worker_task_slots_available" in control or "temporal_request" in control
    # ... and the product's, on the same endpoint.
    assert 'dsar_requests_open{status="identity"' in control or "dsar_requests_open{" in control
    assert "dsar_requests_overdue" in control
    company = scrape(stack.metrics_port(stack.registry.companies[0].code))
    assert "temporal_" in company


def test_a_killed_worker_resumes_a_long_scan_without_duplicates(stack: Stack) -> None:
    """A million app events; se01's worker is SIGKILLed mid-scan and started again."""
    from devstack.demo_bulk import HEAVY_USER_EMAIL, HEAVY_USER_NAME, seed_events

    rows = 1_000_000
    env = stack.env
    asyncio_run(seed_events(env["DSAR_CONN_SE01_DB"], rows))
    if not stack.workers:
        stack.start_workers()
    submitted = dsar(
        stack, "submit", "access", "--name", HEAVY_USER_NAME, "--email", HEAVY_USER_EMAIL,
        "--received", date.today().isoformat(), "--json",
    )  # fmt: skip
    assert submitted.returncode == 0, submitted.stderr
    reference = json.loads(submitted.stdout)["reference"]
    wait_status(stack, reference, "identity")

    async def checkpoint() -> int:
        conn = await asyncpg.connect(env["DSAR_DATABASE_URL"])
        try:
            value = await conn.fetchval(
                "SELECT records FROM collection_checkpoints"
                " WHERE reference = $1 AND company = 'se01' AND system = 'app'",
                reference,
            )
        finally:
            await conn.close()
        return int(value or 0)

    # No customer record holds her, so only a document check is accepted.
    verified = dsar(stack, "verify", reference, "--method", "document_check", "--note", "passport seen")
    assert verified.returncode == 0, verified.stderr
    stored = eventually_sync(
        lambda: asyncio_run(checkpoint()), timeout=120, what="the scan never stored a part", interval=0.05
    )
    assert stored < rows, "the scan finished before the worker could be killed"
    worker = stack.workers.pop("company-se01")
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)
    at_kill = asyncio_run(checkpoint())
    stack.start_worker("company", "se01")

    wait_manual_task(stack, reference)
    assert dsar(stack, "mark-na", reference, "--system", "gb01/signups", "--reason", "none").returncode == 0
    # Review opens once her package is built (a million rows: 2.2-2.6 minutes on 2 cores
    # with the whole stack running), or after the 10 minutes it is given.
    state = wait_status(stack, reference, "review", timeout=360)
    se01 = next(c for c in state["companies"] if c["company"] == "se01")
    app = next(s for s in se01["systems"] if s["system"] == "app")
    assert app["status"] == "collected" and app["records"] == rows

    async def stored_parts() -> tuple[int, int, int]:
        conn = await asyncpg.connect(env["DSAR_DATABASE_URL"])
        try:
            parts = await conn.fetch(
                "SELECT source_key, (data->>'rows')::int AS rows FROM collected_records"
                " WHERE reference = $1 AND company = 'se01' AND system = 'app'"
                " AND source_table = 'app_usage_events'",
                reference,
            )
        finally:
            await conn.close()
        return len(parts), len({p["source_key"] for p in parts}), sum(p["rows"] for p in parts)

    parts, distinct, total = asyncio_run(stored_parts())
    assert parts == distinct == 10 and total == rows  # every row once, in ten parts
    log = (stack.state / "logs" / "worker-company-se01.log").read_text()
    resumed = [json.loads(line) for line in log.splitlines() if '"collection.resumed"' in line]
    resumed = [r for r in resumed if r["reference"] == reference and r["system"] == "app"]
    assert [r["after_rows"] for r in resumed] == [at_kill] and at_kill > 0
    objects = [k for k in stack_s3_objects(stack) if k.startswith("collected/")]
    assert len(objects) >= 10
    assert dsar(stack, "approve", reference).returncode == 0
    wait_status(stack, reference, "delivered", timeout=180)


async def plant_in(stack: Stack) -> PlantedPerson:
    """A person of the test's own in the stack's demo databases (the demo people stay as they are)."""
    pools = {
        name: await create_pool(stack.env[f"DSAR_CONN_{name}"], max_size=2)
        for name in ("GB01_DB", "SE01_DB", "NL01_DB")
    }
    try:
        return await plant_person(pools, load_group())
    finally:
        for pool in pools.values():
            await pool.close()


def test_access_and_erasure_through_the_cli_send_the_copy_then_erase(stack: Stack) -> None:
    """Erasure with a legal hold, driven with `dsar` only; the effect checked in the companies' databases."""
    import asyncio

    if not stack.workers:
        stack.start_workers()
    person = asyncio.run(plant_in(stack))
    bad = dsar(stack, "submit", "erasure", "--name", person.full_name, "--email", person.email,
               "--received", date.today().isoformat(), "--correct", "city=Lund")  # fmt: skip
    assert bad.returncode == 2 and "--correct: only a rectification request" in bad.stderr
    submitted = dsar(
        stack, "submit", "access", "erasure", "--name", person.full_name, "--email", person.email,
        "--phone", person.phone, "--language", "en", "--received", date.today().isoformat(), "--json",
    )  # fmt: skip
    assert submitted.returncode == 0, submitted.stderr
    reference = json.loads(submitted.stdout)["reference"]
    wait_status(stack, reference, "identity")
    weak = dsar(stack, "verify", reference)
    assert weak.returncode == 1 and "document check" in weak.stderr
    strong = dsar(stack, "verify", reference, "--method", "document_check", "--note", "passport seen")
    assert strong.returncode == 0, strong.stderr
    wait_manual_task(stack, reference)
    skipped = dsar(
        stack, "mark-na", reference, "--system", "gb01/signups", "--reason", "binder searched: none"
    )
    assert skipped.returncode == 0, skipped.stderr
    wait_status(stack, reference, "review")
    held = dsar(stack, "hold", reference, "--system", "nl01/crm", "--reason", "pending court claim 2026:17")
    assert held.returncode == 0, held.stderr
    approved = dsar(stack, "approve", reference)
    assert approved.returncode == 0, approved.stderr
    confirm = ("done", reference, "--system", "gb01/signups", "--action", "erase", "--note", "no sheet found")
    early = dsar(stack, *confirm)
    if early.returncode != 0:  # the usual case: the package is still being built
        assert early.returncode == 1 and "not been asked to erase yet" in early.stderr
        eventually_sync(
            lambda: any(m["X-DSAR-Kind"] == "manual_action" for m in mails_for(stack, reference)),
            timeout=90,
            what="the events team was never asked to erase",
        )
        confirmed = dsar(stack, *confirm)
        assert confirmed.returncode == 0, confirmed.stderr
    state = wait_status(stack, reference, "delivered", timeout=120)

    kinds = [m["X-DSAR-Kind"] for m in mails_for(stack, reference)]
    assert kinds.index("delivery") < kinds.index("outcome")
    erased = {(a["company"], a["system"]): a for a in state["actions"] if a["action"] == "erase"}
    assert erased[("gb01", "crm")]["changed"] >= 1 and erased[("gb01", "signups")]["status"] == "done"
    assert erased[("nl01", "crm")]["kept"][0]["legal_basis"].startswith("legal hold")
    outcome = next(m for m in mails_for(stack, reference) if m["X-DSAR-Kind"] == "outcome")
    assert "Bokföringslagen" in outcome.get_content()

    async def remaining() -> tuple[int, int, int]:
        counts = []
        for name, sql in (
            ("GB01_DB", "SELECT count(*) FROM crm_customers WHERE lower(email) = $1"),
            ("SE01_DB", "SELECT count(*) FROM billing_invoices WHERE lower(billing_email) = $1"),
            ("NL01_DB", "SELECT count(*) FROM crm_customers WHERE lower(email) = $1"),
        ):
            conn = await asyncpg.connect(stack.env[f"DSAR_CONN_{name}"])
            try:
                counts.append(int(await conn.fetchval(sql, person.email)))
            finally:
                await conn.close()
        return counts[0], counts[1], counts[2]

    # gb01's customer row is gone; se01 keeps the recent invoice (Bokföringslagen); nl01 is held.
    assert asyncio.run(remaining()) == (0, 1, 1)
    shown = dsar(stack, "status", reference)
    assert (
        shown.returncode == 0 and "erase se01/billing" in shown.stdout and "Bokföringslagen" in shown.stdout
    )

    # Nothing of the person in clear in the histories (the request and its action children)
    # or the logs: the corrections, holds and results travel encrypted or as codes.
    async def histories() -> list[str]:
        from dsar.client import connect
        from dsar.config import Settings
        from dsar.domain import company_action_workflow_id

        client = await connect(Settings.from_env(stack.env))
        ids = [f"dsar-{reference}"] + [
            company_action_workflow_id(reference, c.code, "erase") for c in stack.registry.companies
        ]
        texts = []
        for workflow_id in ids:
            history = await client.get_workflow_handle(workflow_id).fetch_history()
            texts.append(history.to_json())
        return texts

    secrets_ = [person.full_name.lower(), person.email, person.phone, person.customer_number.lower()]
    for text in asyncio.run(histories()):
        assert not [s for s in secrets_ if s in text.lower()], "personal data in workflow history"
    for log_file in (stack.state / "logs").glob("*.log"):
        content = log_file.read_text(errors="replace").lower()
        assert not [s for s in secrets_ if s in content], f"personal data in {log_file.name}"


def test_five_other_rights_in_one_request_through_the_cli(stack: Stack) -> None:
    """Rectification, restriction, portability (transmitted), objection to direct marketing and
    consent withdrawal in one request, driven with `dsar`; each effect checked where it lands."""
    import asyncio

    from devstack.demo_receiver import DemoReceivingController
    from devstack.local_servers import free_port

    if not stack.workers:
        stack.start_workers()

    async def query(name: str, sql: str, *args: object) -> Any:
        conn = await asyncpg.connect(stack.env[f"DSAR_CONN_{name}"])
        try:
            return await conn.fetchval(sql, *args)
        finally:
            await conn.close()

    def wait_task(reference: str, occasion: str) -> None:
        eventually_sync(
            lambda: any(m["X-DSAR-Occasion"] == occasion for m in mails_for(stack, reference)),
            timeout=90,
            what=f"no task {occasion}",
        )

    person = asyncio.run(plant_in(stack))
    receiver = DemoReceivingController(free_port())
    receiver.start()
    try:
        submitted = dsar(
            stack, "submit", "rectification", "restriction", "portability", "objection", "consent_withdrawal",
            "--name", person.full_name, "--email", person.email, "--language", "sv",
            "--received", date.today().isoformat(), "--correct", "city=Uppsala",
            "--objection-to", "direct_marketing", "--transmit-to", receiver.url, "--json",
        )  # fmt: skip
        assert submitted.returncode == 0, submitted.stderr
        reference = json.loads(submitted.stdout)["reference"]
        wait_status(stack, reference, "identity")
        assert dsar(stack, "verify", reference, "--note", "matched customer record").returncode == 0
        wait_manual_task(stack, reference)
        assert status(stack, reference)["status"] == "collecting"  # after acting at once
        # Objection to direct marketing and consent withdrawal took effect before any review.
        assert (
            asyncio.run(
                query("GB01_DB", "SELECT count(*) FROM marketing_suppressions WHERE value = $1", person.email)
            )
            == 1
        )
        assert (
            asyncio.run(
                query(
                    "SE01_DB",
                    "SELECT count(*) FROM app_location_pings"
                    " WHERE lower(user_email) = $1 AND location_consent",
                    person.email,
                )
            )
            == 0
        )
        assert (
            dsar(stack, "mark-na", reference, "--system", "gb01/signups", "--reason", "none").returncode == 0
        )
        wait_status(stack, reference, "review")
        assert dsar(stack, "approve", reference).returncode == 0
        for action in ("rectify", "restrict"):
            wait_task(reference, f"{action}:gb01/signups")
            done = dsar(
                stack, "done", reference, "--system", "gb01/signups", "--action", action, "--note", "binder"
            )
            assert done.returncode == 0, done.stderr
        state = wait_status(stack, reference, "delivered", timeout=120)
        assert state["restriction_active"] and state["transmitted"]["status_code"] == 202
        assert len(receiver.received) == 1 and person.email in receiver.received[0].body.decode()
        city = "SELECT city FROM crm_customers WHERE lower(email) = $1"
        assert {asyncio.run(query(db, city, person.email)) for db in ("GB01_DB", "SE01_DB", "NL01_DB")} == {
            "Uppsala"
        }
        in_export = "SELECT count(*) FROM analytics_export WHERE lower(user_email) = $1"
        assert asyncio.run(query("GB01_DB", in_export, person.email)) == 0
        kinds = [m["X-DSAR-Kind"] for m in mails_for(stack, reference)]
        assert "delivery" in kinds and "outcome" in kinds

        lifted = dsar(stack, "lift-restriction", reference, "--reason", "Adressen är kontrollerad.")
        assert lifted.returncode == 0, lifted.stderr
        wait_task(reference, "lift_restriction:gb01/signups")
        done = dsar(stack, "done", reference, "--system", "gb01/signups", "--action", "lift_restriction")
        assert done.returncode == 0, done.stderr
        eventually_sync(
            lambda: not status(stack, reference)["restriction_active"],
            timeout=90,
            what="the restriction was never lifted",
        )
        assert asyncio.run(query("GB01_DB", in_export, person.email)) == 2
        kinds = [m["X-DSAR-Kind"] for m in mails_for(stack, reference)]
        assert "restriction_lift" in kinds
    finally:
        receiver.stop()

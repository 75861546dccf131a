"""Every decision is signed (issue #15, item 1): the attacks of the probe, each refused.

On the real dev server (its clock is the wall clock, as in production), with the real
workers: a decision sent as someone else with the dsar command, a plain decision sent
through a client without the signing interceptor and through the stock `temporal` CLI,
a replayed signature, an expired one, one by a key whose user lacks the role; then a
request decided through the dsar command is delivered and `dsar audit --verify-signatures`
re-checks every decision, and fails once an audit row's signature is altered.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError

from devstack.local_servers import venv_binary
from dsar.config import Settings
from dsar.domain import Status
from dsar.messages.identity import IdentityDecision, SendIdentityCode
from dsar.messages.state import RequestState
from dsar.signing import sign_decision
from dsar.signing_client import signing_client
from tests.conftest import Servers, record_history
from tests.polling import eventually
from tests.signing_team import TEAM_KEYS, roles_text, team_key
from tests.workflow.conftest import (
    cli_environment,
    dsar,
    reach_review,
    running_workers,
    said,
    start_request_for,
    wait_for_status,
)
from workflows.rights_request import RightsRequestWorkflow


@pytest.fixture
def cli_env(
    settings: Any, key_text: str, roles_file: Path, team_keys_dir: Path, dev_env: Any, tmp_path: Path
) -> dict[str, str]:
    """The `dsar` command against the dev server, acting as the privacy officer."""
    address = dev_env.client.service_client.config.target_host
    return cli_environment(settings, key_text, roles_file, team_keys_dir, address, tmp_path / "state")


def unsigned_client(client: Client) -> Client:
    """A client like any other holder of Temporal access has: no signing interceptor."""
    config = client.config()
    config["interceptors"] = []
    return Client(**config)


async def refused(handle: WorkflowHandle[Any, Any], update: Any, argument: Any) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await handle.execute_update(update, argument)
    return str(caught.value.cause)


async def test_forged_unsigned_replayed_expired_and_unauthorised_decisions_are_refused(
    dev_env: Any, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool, cli_env: dict[str, str]
) -> None:
    client: Client = dev_env.client
    async with running_workers(client, **workers_kwargs) as queue:
        handle = await start_request_for(client, queue, case_pool, date.today())
        reference = handle.id.removeprefix("dsar-")
        await wait_for_status(handle, Status.IDENTITY)
        plain = unsigned_client(client).get_workflow_handle_for(RightsRequestWorkflow.run, handle.id)

        # The stock Temporal CLI with plain JSON, as in the probe (in a thread: the workers
        # run on this test's event loop).
        stock = await asyncio.to_thread(
            subprocess.run,
            [
                venv_binary("temporal"),
                "workflow",
                "update",
                "execute",
                "--address",
                client.service_client.config.target_host,
                "--workflow-id",
                handle.id,
                "--name",
                "verify_identity",
                "--input",
                '{"actor": "privacy-officer", "method": "customer_record"}',
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        # Refused before the validator even sees it: the plain JSON is not sealed by the
        # product's codec (RefusedPayload); were it sealed, the missing signature would refuse it.
        assert stock.returncode != 0 and "(type: RefusedPayload" in stock.stderr, stock.stdout + stock.stderr
        assert (await handle.query(RightsRequestWorkflow.state)).identity_verified_by is None

        # The dsar command as the privacy officer, but holding the intruder's key.
        forged = cli_env | {"DSAR_SIGNING_KEY_FILE": cli_env["DSAR_KEYS_DIR"] + "/intruder.key"}
        result = await dsar(forged, "verify", reference, "--note", "forged")
        assert result.exit_code == 1, said(result)
        assert "the key is not one the roles file lists for user 'privacy-officer'" in said(result)

        # Plain input through a client without the dsar command's signing.
        why = await refused(
            plain, RightsRequestWorkflow.verify_identity, IdentityDecision(actor="privacy-officer")
        )
        assert "the decision is not signed" in why

        # A key whose user does not hold the role, signing as that user.
        why = await refused(handle, RightsRequestWorkflow.verify_identity, IdentityDecision(actor="intruder"))
        assert why.endswith("user 'intruder' does not have the reviewer role")

        # A decision signed ten minutes ago (held back, then sent).
        async def ten_minutes_ago() -> datetime:
            return datetime.now(UTC) - timedelta(minutes=10)

        late = signing_client(unsigned_client(client), team_key, ten_minutes_ago)
        why = await refused(
            late.get_workflow_handle_for(RightsRequestWorkflow.run, handle.id),
            RightsRequestWorkflow.verify_identity,
            IdentityDecision(actor="privacy-officer"),
        )
        assert "more than 5 minutes from the workflow's time" in why

        # A signature made for another request is not valid for this one.
        elsewhere = SendIdentityCode(actor="privacy-officer")
        elsewhere = elsewhere.model_copy(update={"signature": sign_once(elsewhere, "dsar-DSAR-2026-999999")})
        why = await refused(plain, RightsRequestWorkflow.send_identity_code, elsewhere)
        assert "it does not match this decision by user 'privacy-officer'" in why

        # A signed decision is accepted once; the same signature sent again is a replay.
        code = SendIdentityCode(actor="privacy-officer")
        code = code.model_copy(update={"signature": sign_once(code, handle.id)})
        await plain.execute_update(RightsRequestWorkflow.send_identity_code, code)
        why = await refused(plain, RightsRequestWorkflow.send_identity_code, code)
        assert "already used for a decision (a replay)" in why
        state: RequestState = await handle.query(RightsRequestWorkflow.state)
        assert state.status is Status.IDENTITY and state.identity_verified_by is None
        await handle.terminate(reason="test finished")


def sign_once(decision: SendIdentityCode, workflow_id: str) -> Any:
    return sign_decision(
        TEAM_KEYS["privacy-officer"],
        workflow_id=workflow_id,
        update="send_identity_code",
        message=decision,
        actor="privacy-officer",
        now=datetime.now(UTC),
    )


async def test_every_decision_of_a_delivered_request_verifies_from_the_audit_trail(
    dev_env: Any,
    workers_kwargs: dict[str, Any],
    case_pool: asyncpg.Pool,
    cli_env: dict[str, str],
    servers: Servers,
) -> None:
    client: Client = dev_env.client
    async with running_workers(client, **workers_kwargs) as queue:
        handle = await start_request_for(client, queue, case_pool, date.today())
        reference = handle.id.removeprefix("dsar-")
        await wait_for_status(handle, Status.IDENTITY)
        result = await dsar(cli_env, "verify", reference, "--note", "customer record matched")
        assert result.exit_code == 0, said(result)
        await reach_review(client, handle)  # mark-na through the tests' signing client
        result = await dsar(cli_env, "approve", reference)
        assert result.exit_code == 0, said(result)
        await wait_for_status(handle, Status.DELIVERED)
        await record_history(handle, "rights_request_signed_decisions")
        await handle.terminate(reason="test finished")  # it would keep the package for weeks

    result = await dsar(cli_env, "audit", reference, "--verify-signatures", "--json")
    assert result.exit_code == 0, said(result)
    decisions = [(d["actor"], d["update"], d["problem"]) for d in json.loads(result.stdout)["decisions"]]
    assert decisions == [
        ("privacy-officer", "verify_identity", None),
        ("privacy-officer", "mark_not_applicable", None),
        ("privacy-officer", "approve", None),
    ]

    # A superuser gives the approval the signature of another decision: it no longer matches.
    admin = await asyncpg.connect(servers.postgres.dsn("dsar"))
    try:
        async with admin.transaction():
            await admin.execute(
                "SET LOCAL session_replication_role = replica"
            )  # past the append-only trigger
            await admin.execute(
                "UPDATE audit_log SET details = jsonb_set(details, '{signature}', ("
                "  SELECT details->'signature' FROM audit_log WHERE reference = $1"
                "  AND action = 'decision.signed' AND details->>'update' = 'verify_identity'))"
                " WHERE reference = $1 AND action = 'decision.signed' AND details->>'update' = 'approve'",
                reference,
            )
    finally:
        await admin.close()
    result = await dsar(cli_env, "audit", reference, "--verify-signatures")
    assert result.exit_code == 1, said(result)
    assert "1 of 3 decisions failed verification" in said(result)
    assert "it does not match this decision by user 'privacy-officer'" in said(result)


async def test_a_running_request_reads_a_new_key_when_told_to(
    dev_env: Any,
    workers_kwargs: dict[str, Any],
    case_pool: asyncpg.Pool,
    settings: Settings,
    cli_env: dict[str, str],
    tmp_path: Path,
) -> None:
    """The privacy officer's key is listed only after the request loaded the roles file (as
    for requests running when signed decisions were introduced): `dsar keys reload` fixes it."""
    roles = tmp_path / "roles.toml"
    roles.write_text(
        re.sub(r'keys = \["[^"]*privacy-officer@test"\]', "keys = []", roles_text()), encoding="utf-8"
    )
    kwargs = workers_kwargs | {"settings": settings.model_copy(update={"roles_file": str(roles)})}
    client: Client = dev_env.client
    async with running_workers(client, **kwargs) as queue:
        handle = await start_request_for(client, queue, case_pool, date.today())
        reference = handle.id.removeprefix("dsar-")
        await wait_for_status(handle, Status.IDENTITY)
        decision = IdentityDecision(actor="privacy-officer")
        why = await refused(handle, RightsRequestWorkflow.verify_identity, decision)
        assert "the key is not one the roles file lists for user 'privacy-officer'" in why

        roles.write_text(roles_text(), encoding="utf-8")
        why = await refused(handle, RightsRequestWorkflow.verify_identity, decision)
        assert "the key is not one the roles file lists" in why  # read at the next stage only
        result = await dsar(cli_env | {"DSAR_ROLES_FILE": str(roles)}, "keys", "reload", reference)
        assert result.exit_code == 0 and "1 running request(s)" in said(result), said(result)
        # Every running request (this one among those of other tests on the shared server).
        every = await dsar(cli_env | {"DSAR_ROLES_FILE": str(roles)}, "keys", "reload")
        told = re.search(r"(\d+) running request\(s\)", said(every))
        assert every.exit_code == 0 and told is not None and int(told.group(1)) >= 1, said(every)

        async def accepted() -> bool:
            try:
                await handle.execute_update(RightsRequestWorkflow.verify_identity, decision)
            except WorkflowUpdateFailedError:
                return False
            return True

        await eventually(accepted, timeout=30, what="the new key to be accepted")
        await wait_for_status(handle, Status.COLLECTING)
        await handle.terminate(reason="test finished")

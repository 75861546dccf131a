"""Replay of recorded histories: a change to workflow code that would break requests
already running fails here, before it ships.

Every history under tests/histories was recorded from a released shape of a workflow
(`DSAR_RECORD_HISTORIES=1 pytest tests/workflow`); release 0.1.0 is the baseline, with one
recording per shape. From then on change workflow code behind
`workflow.patched("<change-id>")` so that old histories take the old path, and add a
recording of the new shape beside the old ones.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from dsar import activity_refs as refs
from dsar.codec import METADATA_WORKFLOW_ID, KeyRing, data_converter
from dsar.messages.intake import RightsRequestInput
from dsar.messages.state import RequestState
from workers.sandbox import workflow_runner
from workflows.calls import run_activity
from workflows.company_action import CompanyActionWorkflow
from workflows.company_collection import CompanyCollectionWorkflow
from workflows.purge import PurgeWorkflow
from workflows.rights_request import RightsRequestWorkflow

HISTORIES = sorted((Path(__file__).parents[1] / "histories").glob("*.json"))


def load(path: Path) -> WorkflowHistory:
    history = WorkflowHistory.from_json(f"replay-{path.stem}", path.read_text(encoding="utf-8"))
    # Payloads sealed for their workflow (issue #15) open only under that workflow's id,
    # which their metadata names; older recordings' payloads are unbound.
    started = history.events[0].workflow_execution_started_event_attributes
    bound = {
        p.metadata[METADATA_WORKFLOW_ID].decode()
        for p in started.input.payloads
        if METADATA_WORKFLOW_ID in p.metadata
    }
    return WorkflowHistory(bound.pop(), history.events) if bound else history


def replayer(*workflows: type) -> Replayer:
    return Replayer(
        workflows=list(workflows),
        data_converter=data_converter(KeyRing.parse(KEYS)),
        # Fully sandboxed, unlike the workers (workers/sandbox.py): restricted calls fail here.
        workflow_runner=workflow_runner(share_workflow_code=False),
    )


KEYS = "\n".join(
    line
    for line in (Path(__file__).parents[1] / "histories" / "test-codec-keys").read_text().splitlines()
    if line and not line.startswith("#")
)


def test_there_are_recorded_histories_of_every_workflow_type() -> None:
    names = {p.stem for p in HISTORIES}
    assert any(n.startswith("rights_request") for n in names)
    assert any(n.startswith("company_collection") for n in names)
    assert any(n.startswith("company_action") for n in names)


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_recorded_history_replays(path: Path) -> None:
    result = await replayer(
        RightsRequestWorkflow, CompanyCollectionWorkflow, CompanyActionWorkflow, PurgeWorkflow
    ).replay_workflow(load(path))
    assert result.replay_failure is None


@workflow.defn(name="RightsRequestWorkflow", sandboxed=False)
class ReorderedRightsRequestWorkflow(RightsRequestWorkflow):
    """A deliberately broken edit: the deadline is computed after registering, not before."""

    @workflow.run
    async def run(self, req: RightsRequestInput) -> RequestState:
        await run_activity(refs.REGISTER_REQUEST, req)
        return await super().run(req)


async def test_reordering_commands_without_a_patch_fails_replay() -> None:
    path = next(p for p in HISTORIES if p.stem == "rights_request_access")
    result = await replayer(ReorderedRightsRequestWorkflow, CompanyCollectionWorkflow).replay_workflow(
        load(path), raise_on_replay_failure=False
    )
    assert result.replay_failure is not None
    assert "nondetermin" in str(result.replay_failure).lower()

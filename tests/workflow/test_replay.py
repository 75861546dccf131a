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
from dsar.messages.activity_names import Activity
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
    """Replayed under the workflow id it ran with: payloads sealed since the codec binds them
    to their workflow (dsar.codec, METADATA_BINDING) open only there. That id is the one the
    start input names; a recording without it gets one of its own."""
    text = path.read_text(encoding="utf-8")
    started = WorkflowHistory.from_json("", text).events[0].workflow_execution_started_event_attributes
    named = [p.metadata.get(METADATA_WORKFLOW_ID) for p in started.input.payloads]
    workflow_id = named[0].decode() if named and named[0] else f"replay-{path.stem}"
    return WorkflowHistory.from_json(workflow_id, text)


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


PACKAGE_ACTIVITIES = {str(Activity.BUILD_PACKAGE), str(Activity.ENSURE_PACKAGE)}


def package_queues(path: Path) -> set[str]:
    """The task queues a recorded request built and checked its package on."""
    from temporalio.api.enums.v1 import EventType

    return {
        e.activity_task_scheduled_event_attributes.task_queue.name
        for e in load(path).events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and e.activity_task_scheduled_event_attributes.activity_type.name in PACKAGE_ACTIVITIES
    }


def test_requests_from_before_and_after_the_packaging_queue_are_both_recorded() -> None:
    """Both shapes replay (above): packages built on the control queue, and on the packaging queue."""
    by_name = {p.stem: p for p in HISTORIES}
    before = package_queues(by_name["rights_request_access"])
    after = package_queues(by_name["rights_request_access_packaging_queue"])
    assert before and all(q.startswith("dsar-control") for q in before)
    assert after and all(q.startswith("dsar-packaging") for q in after)


def ensure_priorities(path: Path) -> set[int]:
    """The priority keys a recorded request's package checks were scheduled with (0: none)."""
    from temporalio.api.enums.v1 import EventType

    return {
        e.activity_task_scheduled_event_attributes.priority.priority_key
        for e in load(path).events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and e.activity_task_scheduled_event_attributes.activity_type.name == "ensure_package"
    }


def test_requests_from_before_and_after_the_check_went_first_are_both_recorded() -> None:
    """Both replay (above): the package check with Temporal's default priority, and first."""
    from dsar.activity_refs import FIRST

    by_name = {p.stem: p for p in HISTORIES}
    assert ensure_priorities(by_name["rights_request_access_packaging_queue"]) == {0}
    assert ensure_priorities(by_name["rights_request_access_ensure_first"]) == {FIRST}

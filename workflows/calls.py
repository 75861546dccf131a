"""The one way workflows call an activity: through its typed reference.

`run_activity(refs.BUILD_PACKAGE, arg)` is checked by mypy against the reference's input
type and returns its result type; the name on the wire is the reference's, so histories
recorded with `Activity` names replay unchanged. Timeouts and retries come from the
reference too (`dsar.activity_refs`), so every call of one activity gets the same and no
call site chooses them by hand; changing them does not change the commands a workflow
issues, so recorded histories still replay. So does a reference's priority on its task
queue, which goes with the command only in runs patched for it (`PRIORITIES`).

Activity ids: a call may name its activity (`dsar.pending.activity_id`), so `dsar status`
can tell from Temporal's own record which system or step is retrying. Histories recorded
before named ids carried the SDK's sequence numbers; those replay without names
(`workflow.patched(NAMED_IDS)`).
"""

from __future__ import annotations

from typing import TypeVar

from temporalio import workflow
from temporalio.common import Priority

with workflow.unsafe.imports_passed_through():
    from dsar.activity_refs import ActivityRef

I = TypeVar("I")  # noqa: E741
O = TypeVar("O")  # noqa: E741

NAMED_IDS = "named-activity-ids"
# Since 0.1.0 (docs/changing-workflow-code.md): a reference's priority goes with its
# command; a request that scheduled the step without one keeps scheduling it so on replay.
PRIORITIES = "activity-priorities"


async def run_activity(
    ref: ActivityRef[I, O],
    arg: I,
    *,
    task_queue: str | None = None,
    activity_id: str | None = None,
    summary: str | None = None,
) -> O:
    """Execute the referenced activity with `arg` and return its typed result."""
    if activity_id is not None and not workflow.patched(NAMED_IDS):
        activity_id = None
    priority = Priority.default
    if ref.priority is not None and workflow.patched(PRIORITIES):
        priority = Priority(priority_key=ref.priority)
    result: O = await workflow.execute_activity(
        ref.name,
        arg,
        result_type=ref.result,
        task_queue=task_queue,
        start_to_close_timeout=ref.start_to_close,
        schedule_to_close_timeout=ref.budget,
        heartbeat_timeout=ref.heartbeat,
        retry_policy=ref.retry_policy,
        activity_id=activity_id,
        summary=summary,
        priority=priority,
    )
    return result

"""The one way workflows call an activity: through its typed reference.

`run_activity(refs.BUILD_PACKAGE, arg, ...)` is checked by mypy against the reference's
input type and returns its result type; the name on the wire is the reference's, so
histories recorded with `Activity` names replay unchanged.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from dsar.activity_refs import ActivityRef

I = TypeVar("I")  # noqa: E741
O = TypeVar("O")  # noqa: E741


async def run_activity(
    ref: ActivityRef[I, O],
    arg: I,
    *,
    start_to_close_timeout: timedelta,
    retry_policy: RetryPolicy | None = None,
    task_queue: str | None = None,
    schedule_to_close_timeout: timedelta | None = None,
    heartbeat_timeout: timedelta | None = None,
    summary: str | None = None,
) -> O:
    """Execute the referenced activity with `arg` and return its typed result."""
    result: O = await workflow.execute_activity(
        ref.name,
        arg,
        result_type=ref.result,
        task_queue=task_queue,
        start_to_close_timeout=start_to_close_timeout,
        schedule_to_close_timeout=schedule_to_close_timeout,
        heartbeat_timeout=heartbeat_timeout,
        retry_policy=retry_policy,
        summary=summary,
    )
    return result

"""The skeleton both per-company children share: one activity per system, all at once.

Collection and the other rights' actions run inside one group company on its own task
queue. Each lists the company's systems, asks each system through the connector for its
kind (a manual system is a task for its owner instead), and turns a system that fails into
a failed result with a reason the privacy team can act on, counted in a metric, so one
broken system never hides the others' results.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from dsar import activity_refs as refs
    from dsar.activity_refs import ActivityRef
    from dsar.messages.collection import SystemRef

from workflows.calls import run_activity

# Errors a retry cannot fix (a missing table, a refused login): fail fast and report.
PERMANENT_ERRORS = ["PermanentSystemError"]

SYSTEM_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=5,
    non_retryable_error_types=PERMANENT_ERRORS,
)
STEP_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1), non_retryable_error_types=PERMANENT_ERRORS)
SYSTEM_ACTOR = "dsar-workflow"

I = TypeVar("I")  # noqa: E741
R = TypeVar("R")


async def list_systems(company: str, retry_policy: RetryPolicy | None = None) -> list[SystemRef]:
    """The company's systems from the registry its worker holds."""
    return await run_activity(
        refs.LIST_SYSTEMS, company, start_to_close_timeout=timedelta(seconds=30), retry_policy=retry_policy
    )


@dataclass(frozen=True)
class PerSystem(Generic[I, R]):
    """How one child asks each system: the connectors by kind and what to do around them."""

    connectors: Mapping[str, ActivityRef[I, R]]
    # Connectors heartbeat while data flows; a worker that dies is noticed within this time
    # and the next attempt resumes from the last checkpoint.
    heartbeat: timedelta
    metric: str
    metric_help: str
    # What the system is asked (its input), the owner's task for a manual system, and the
    # failed result (recorded where the child records failures).
    input: Callable[[SystemRef], I]
    manual: Callable[[SystemRef], Awaitable[R]]
    failed: Callable[[SystemRef, str], Awaitable[R]]
    # The child's state for its progress query, and the labels of logs, metric and summary.
    replace: Callable[[R], None]
    label: Callable[[SystemRef], str]
    metric_labels: Callable[[SystemRef], dict[str, str]]

    async def run(self, systems: list[SystemRef]) -> list[R]:
        """Every system at once; the results in the order of `systems`."""
        return list(await asyncio.gather(*(self._one(s) for s in systems)))

    async def _one(self, system: SystemRef) -> R:
        if system.kind == "manual":
            return await self.manual(system)
        connector = self.connectors.get(system.kind)
        try:
            if connector is None:
                raise ApplicationError(f"no connector for system kind {system.kind}")
            result = await run_activity(
                connector,
                self.input(system),
                start_to_close_timeout=timedelta(hours=2),
                heartbeat_timeout=self.heartbeat,
                retry_policy=SYSTEM_RETRY,
                summary=f"{self.label(system)} {system.company}/{system.system}",
            )
        except (ActivityError, ApplicationError) as err:
            cause = err.cause if isinstance(err, ActivityError) else err
            reason = cause.message if isinstance(cause, ApplicationError) else type(cause).__name__
            workflow.logger.warning("%s failed in %s/%s", self.label(system), system.company, system.system)
            # Replay-safe: the SDK does not count again when a history is replayed.
            workflow.metric_meter().create_counter(self.metric, self.metric_help).add(
                1, self.metric_labels(system)
            )
            result = await self.failed(system, reason)
        self.replace(result)
        return result

"""The skeleton both per-company children share: one activity per system, all at once.

Collection and the other rights' actions run inside one group company on its own task
queue. Each lists the company's systems, asks each system through the connector for its
kind (a manual system is a task for its owner instead), and turns a system that fails into
a failed result with a reason the privacy team can act on, counted in a metric, so one
broken system never hides the others' results.

A system fails only on a permanent error or once its time budget of transient failures
(`dsar.activity_refs.SYSTEM_BUDGET`, hours) is spent: a database restarting or a network
outage costs time, not a system. While Temporal retries, the activity's id
(`collect:<company>/<system>`, see `dsar.pending`) lets `dsar status` show which system is
retrying and why.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from dsar import activity_refs as refs
    from dsar.activity_refs import ActivityRef
    from dsar.messages.collection import SystemRef
    from dsar.pending import system_activity_id

from workflows.calls import run_activity

SYSTEM_ACTOR = "dsar-workflow"

I = TypeVar("I")  # noqa: E741
R = TypeVar("R")


async def list_systems(company: str) -> list[SystemRef]:
    """The company's systems from the registry its worker holds."""
    return await run_activity(refs.LIST_SYSTEMS, company)


@dataclass(frozen=True)
class PerSystem(Generic[I, R]):
    """How one child asks each system: the connectors by kind and what to do around them."""

    # Connectors heartbeat while data flows (their references say how often): a worker that
    # dies is noticed within seconds and the next attempt resumes from the last checkpoint.
    connectors: Mapping[str, ActivityRef[I, R]]
    metric: str
    metric_help: str
    # What the system is asked (its input), the owner's task for a manual system, and the
    # failed result (recorded where the child records failures).
    input: Callable[[SystemRef], I]
    manual: Callable[[SystemRef], Awaitable[R]]
    failed: Callable[[SystemRef, str], Awaitable[R]]
    # The child's state for its progress query, and the labels of logs, metric, summary and
    # activity id (`collect`, `erase`, ...).
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
                activity_id=system_activity_id(self.label(system), system.company, system.system),
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

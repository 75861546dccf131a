"""Collection inside one group company.

Runs on the company's own task queue, so only workers deployed inside that company touch
its systems. One activity per system, all at once; a system that fails does not hide the
others' results, it is reported as failed with a reason the privacy team can act on.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from dsar.messages import (
        Activity,
        CollectSystemInput,
        CompanyCollectionInput,
        CompanyCollectionResult,
        CompanyCollectionState,
        SystemRef,
        SystemResult,
        SystemStatus,
    )

# Errors a retry cannot fix (a missing table, a refused login): fail fast and report.
PERMANENT_ERRORS = ["PermanentSystemError"]

SYSTEM_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=5,
    non_retryable_error_types=PERMANENT_ERRORS,
)


@workflow.defn
class CompanyCollectionWorkflow:
    def __init__(self) -> None:
        self._state: CompanyCollectionState | None = None

    @workflow.run
    async def run(self, inp: CompanyCollectionInput) -> CompanyCollectionResult:
        self._state = CompanyCollectionState(company=inp.company)
        systems: list[SystemRef] = await workflow.execute_activity(
            Activity.LIST_SYSTEMS,
            inp.company,
            result_type=list[SystemRef],
            start_to_close_timeout=timedelta(seconds=30),
        )
        self._state.systems = [
            SystemResult(company=s.company, system=s.system, name=s.name, status=SystemStatus.PENDING)
            for s in systems
        ]
        results = await asyncio.gather(*(self._collect(inp.reference, s) for s in systems))
        return CompanyCollectionResult(company=inp.company, systems=list(results))

    async def _collect(self, reference: str, system: SystemRef) -> SystemResult:
        try:
            result: SystemResult = await workflow.execute_activity(
                Activity.COLLECT_SYSTEM,
                CollectSystemInput(reference=reference, company=system.company, system=system.system),
                result_type=SystemResult,
                start_to_close_timeout=timedelta(hours=2),
                heartbeat_timeout=timedelta(minutes=1),
                retry_policy=SYSTEM_RETRY,
                summary=f"collect {system.company}/{system.system}",
            )
        except ActivityError as err:
            cause = err.cause
            reason = cause.message if isinstance(cause, ApplicationError) else type(cause).__name__
            workflow.logger.warning("system %s/%s failed", system.company, system.system)
            # Replay-safe: the SDK does not count again when a history is replayed.
            workflow.metric_meter().create_counter(
                "dsar_collection_failures", "Systems whose collection failed"
            ).add(1, {"company": system.company, "system": system.system})
            result = SystemResult(
                company=system.company,
                system=system.system,
                name=system.name,
                status=SystemStatus.FAILED,
                error=reason,
            )
        self._replace(result)
        return result

    def _replace(self, result: SystemResult) -> None:
        assert self._state is not None
        self._state.systems = [result if s.system == result.system else s for s in self._state.systems]

    @workflow.query
    def progress(self) -> CompanyCollectionState:
        assert self._state is not None
        return self._state

"""One data-subject request, from receipt to delivery, read top to bottom.

received -> identity -> collecting -> review -> packaging -> delivery -> delivered

Every side effect is an activity named in `dsar.messages.Activity`; human steps are
Updates whose validators answer the CLI at once. The workflow keeps only process facts
(status, dates, counts, references): collected records stay in the case store.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    from dsar import search_attributes as sa
    from dsar.domain import Status, workflow_id_for
    from dsar.messages import (
        Activity,
        BuildPackageInput,
        CollectionPlan,
        CompanyCollectionInput,
        CompanyCollectionResult,
        CompanyProgress,
        DeadlineInput,
        DeadlineResult,
        IdentityDecision,
        NotificationKind,
        NotificationResult,
        PackageResult,
        RequestState,
        ReviewDecision,
        RightsRequestInput,
        SendNotification,
        StatusChange,
    )
    from dsar.roles import Role, RoleGrants
    from workflows.company_collection import CompanyCollectionWorkflow

T = TypeVar("T")

ACTIVITY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(minutes=1),
    non_retryable_error_types=["InvalidRequestError"],
)
SYSTEM_ACTOR = "dsar-workflow"


@workflow.defn
class RightsRequestWorkflow:
    def __init__(self) -> None:
        self._state: RequestState | None = None
        self._identity: IdentityDecision | None = None
        self._approval: ReviewDecision | None = None
        self._grants = RoleGrants()

    @workflow.run
    async def run(self, req: RightsRequestInput) -> RequestState:
        sub = req.submission
        self._state = RequestState(
            reference=req.reference,
            status=Status.RECEIVED,
            rights=sub.rights,
            jurisdiction=sub.jurisdiction,
            received_on=sub.received_on,
        )
        deadline = await self._activity(
            Activity.COMPUTE_DEADLINE,
            DeadlineInput(received_on=sub.received_on, jurisdiction=sub.jurisdiction),
            DeadlineResult,
        )
        self._apply_deadline(deadline)
        await self._activity(Activity.REGISTER_REQUEST, req, type(None))
        await self._set_status(Status.RECEIVED, req.submitted_by)
        await self._notify(NotificationKind.ACKNOWLEDGEMENT)

        # Identity: nothing is collected before the requester is known to be the person.
        await self._refresh_grants()
        await self._set_status(Status.IDENTITY, SYSTEM_ACTOR)
        await workflow.wait_condition(lambda: self._identity is not None)
        assert self._identity is not None
        self._state.identity_verified_by = self._identity.actor
        await self._set_status(
            Status.COLLECTING, self._identity.actor, {"identity_method": self._identity.method}
        )

        # Fan-out: one child per company, on that company's task queue.
        plan = await self._activity(Activity.PLAN_COLLECTION, req.reference, CollectionPlan)
        self._state.companies = [
            CompanyProgress(company=c.code, task_queue=c.task_queue) for c in plan.companies
        ]
        await asyncio.gather(*(self._collect(req.reference, c.code, c.task_queue) for c in plan.companies))

        # Review: a person approves what will be sent.
        await self._refresh_grants()
        await self._set_status(Status.REVIEW, SYSTEM_ACTOR)
        await workflow.wait_condition(lambda: self._approval is not None)
        assert self._approval is not None
        self._state.approved_by = self._approval.actor
        await self._set_status(Status.PACKAGING, self._approval.actor)

        self._state.package = await self._activity(
            Activity.BUILD_PACKAGE,
            BuildPackageInput(reference=req.reference),
            PackageResult,
            timeout=timedelta(hours=1),
        )
        await self._set_status(Status.DELIVERY, SYSTEM_ACTOR)
        await self._notify(NotificationKind.DELIVERY)
        self._state.delivered_at = workflow.now()
        await self._set_status(Status.DELIVERED, SYSTEM_ACTOR)
        return self._state

    # --- human steps -------------------------------------------------------------------

    @workflow.update
    async def verify_identity(self, decision: IdentityDecision) -> RequestState:
        self._identity = decision
        return self._current()

    @verify_identity.validator
    def _check_verify(self, decision: IdentityDecision) -> None:
        state = self._current()
        if state.status is not Status.IDENTITY or self._identity is not None:
            raise ValueError(
                f"identity can only be confirmed while the request waits for it "
                f"(it is now '{state.status.value}')"
            )
        self._require(decision.actor, Role.REVIEWER)

    @workflow.update
    async def approve(self, decision: ReviewDecision) -> RequestState:
        self._approval = decision
        return self._current()

    @approve.validator
    def _check_approve(self, decision: ReviewDecision) -> None:
        state = self._current()
        if state.status is not Status.REVIEW or self._approval is not None:
            raise ValueError(
                f"a request can only be approved while it waits for review (it is now '{state.status.value}')"
            )
        self._require(decision.actor, Role.REVIEWER)

    @workflow.query
    def state(self) -> RequestState:
        return self._current()

    def _require(self, actor: str, role: Role) -> None:
        try:
            self._grants.require(actor, role)
        except PermissionError as exc:
            raise ValueError(str(exc)) from None

    # --- steps -------------------------------------------------------------------------

    async def _refresh_grants(self) -> None:
        """Grants are read when a human step opens, so a revoked user is refused from then on."""
        self._grants = await self._activity(Activity.LOAD_ROLES, self._current().reference, RoleGrants)

    async def _collect(self, reference: str, company: str, task_queue: str) -> None:
        result: CompanyCollectionResult = await workflow.execute_child_workflow(
            CompanyCollectionWorkflow.run,
            CompanyCollectionInput(reference=reference, company=company),
            id=f"{workflow_id_for(reference)}-company-{company}",
            task_queue=task_queue,
            static_summary=f"Collection in {company} for {reference}",
        )
        for progress in self._current().companies:
            if progress.company == company:
                progress.done = True
                progress.records = result.records
                progress.failed_systems = [s.system for s in result.systems if s.status == "failed"]
        self._update_details()

    async def _notify(self, kind: NotificationKind) -> NotificationResult:
        return await self._activity(
            Activity.SEND_NOTIFICATION,
            SendNotification(reference=self._current().reference, kind=kind),
            NotificationResult,
        )

    async def _set_status(
        self, status: Status, actor: str, details: dict[str, str | int | bool | None] | None = None
    ) -> None:
        state = self._current()
        state.status = status
        workflow.upsert_search_attributes([sa.DSAR_STATUS.value_set(status.value)])
        self._update_details()
        await self._activity(
            Activity.RECORD_STATUS,
            StatusChange(
                reference=state.reference,
                status=status,
                actor=actor,
                due_on=state.due_on,
                details=details or {},
            ),
            type(None),
        )

    def _apply_deadline(self, deadline: DeadlineResult) -> None:
        state = self._current()
        state.due_on = deadline.due_on
        state.due_at = deadline.due_at
        state.clock_stopped = deadline.clock_stopped
        updates: list[SearchAttributeUpdate[Any]] = [
            sa.DSAR_RIGHTS.value_set([r.value for r in state.rights]),
            sa.DSAR_JURISDICTION.value_set(state.jurisdiction),
        ]
        if deadline.due_at is not None:
            updates.append(sa.DSAR_DUE_AT.value_set(deadline.due_at))
        workflow.upsert_search_attributes(updates)

    def _update_details(self) -> None:
        """Current details in the UI: what an operator needs at a glance, no personal data."""
        state = self._current()
        today = workflow.now().date()
        lines = [
            f"**{state.reference}** · {', '.join(r.value for r in state.rights)} · {state.jurisdiction}",
            f"- Stage: **{state.status.value}**",
            f"- Received: {state.received_on.isoformat()}",
        ]
        if state.clock_stopped:
            lines.append("- Clock: **stopped** (waiting for the person)")
        elif state.due_on is not None:
            left = (state.due_on - today).days
            lines.append(f"- Due: {state.due_on.isoformat()} ({left} days left)")
        for c in state.companies:
            mark = "done" if c.done else "collecting"
            failed = f", failed: {', '.join(c.failed_systems)}" if c.failed_systems else ""
            lines.append(f"- {c.company}: {mark}, {c.records} records{failed}")
        workflow.set_current_details("\n".join(lines))

    def _current(self) -> RequestState:
        if self._state is None:
            raise ValueError("the request has not started yet")
        return self._state

    async def _activity(
        self, name: str, arg: Any, result_type: type[T], timeout: timedelta = timedelta(minutes=5)
    ) -> T:
        result: T = await workflow.execute_activity(
            name,
            arg,
            result_type=result_type,
            start_to_close_timeout=timeout,
            retry_policy=ACTIVITY_RETRY,
        )
        return result

"""Collection: one child workflow per company, on that company's own task queue.

The request keeps per company only what the privacy team acts on (systems, their status,
record counts); the records themselves stay in the case store. Manual systems wait for
their owner's export (`dsar upload`) or a decision that they do not apply (`dsar mark-na`),
forwarded to the company's child as signals after the role check here; a failed system can
be collected again during review (`dsar retry`).
"""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from dsar import activity_refs as refs
    from dsar.domain import Status, company_workflow_id
    from dsar.messages.collection import (
        CompanyCollectionInput,
        RecordSystemResultInput,
        SystemDecision,
        SystemResult,
        SystemStatus,
        UploadedFile,
    )
    from dsar.messages.state import CompanyProgress, RequestState
    from dsar.roles import Role
    from workflows.company_collection import CompanyCollectionWorkflow

from workflows.rights_request.context import SYSTEM_ACTOR, RequestContext

# Since 0.1.0 (docs/changing-workflow-code.md): a mark that reaches a company's child only
# after the child finished (a second `dsar mark-na` in quick succession) waits for the
# child's result and answers "already settled" instead of failing the Update.
MARK_AFTER_CHILD_FINISHED = "mark-na-after-child-finished"
# The failure type of a signal to a workflow that has already closed.
CHILD_GONE = "ExternalWorkflowExecutionNotFound"


class CollectionStage:
    """Per company: its child workflow, its systems' results, and the team's steps on them."""

    def __init__(self, ctx: RequestContext) -> None:
        self._ctx = ctx

    async def collect_all(self) -> list[str]:
        """Every company of the plan at once; returns the companies' codes."""
        ctx = self._ctx
        if ctx.state.status is not Status.COLLECTING:  # after acting at once
            await ctx.set_status(Status.COLLECTING, SYSTEM_ACTOR)
        plan = await ctx.plan()
        ctx.state.companies = [
            CompanyProgress(company=c.code, task_queue=c.task_queue) for c in plan.companies
        ]
        await asyncio.gather(*(self.collect(c.code) for c in plan.companies))
        return [c.code for c in plan.companies]

    async def collect(self, company: str, systems: list[str] | None = None) -> None:
        """Run (or re-run, for some systems) the company's child workflow and merge its results."""
        reference = self._ctx.state.reference
        progress = self.progress(company)
        progress.done = False
        result = await workflow.execute_child_workflow(
            CompanyCollectionWorkflow.run,
            CompanyCollectionInput(
                reference=reference,
                company=company,
                systems=systems,
                notify_queue=workflow.info().task_queue,
                round=progress.rounds,
            ),
            id=self._child_id(progress),
            task_queue=progress.task_queue,
            static_summary=f"Collection in {company} for {reference}",
        )
        fresh = {s.system: s for s in result.systems}
        known = {s.system for s in progress.systems}
        progress.systems = [fresh.get(s.system, s) for s in progress.systems] + [
            s for s in result.systems if s.system not in known
        ]
        self._settle(progress)

    def _settle(self, progress: CompanyProgress) -> None:
        progress.done = True
        progress.records = sum(s.records for s in progress.systems)
        progress.failed_systems = [s.system for s in progress.systems if s.status is SystemStatus.FAILED]
        self._ctx.publish_failed()

    def progress(self, company: str) -> CompanyProgress:
        for progress in self._ctx.state.companies:
            if progress.company == company:
                return progress
        raise ValueError(f"company: {company} is not part of this request")

    def system(self, company: str, code: str) -> SystemResult:
        progress = self.progress(company)
        for system in progress.systems:
            if system.system == code:
                return system
        raise ValueError(f"system: {progress.company}/{code} was not collected for this request")

    def _child_id(self, progress: CompanyProgress) -> str:
        return company_workflow_id(self._ctx.state.reference, progress.company, progress.rounds)

    # --- decisions about single systems ---------------------------------------------------

    async def attach_upload(self, upload: UploadedFile) -> RequestState:
        """A manual system's export, already in the case bucket, handed to the waiting company."""
        progress = self.progress(upload.company)
        await workflow.get_external_workflow_handle(self._child_id(progress)).signal(
            CompanyCollectionWorkflow.attach_upload, upload
        )
        await self._ctx.record(
            "system.upload_attached",
            upload.actor,
            {"system": f"{upload.company}/{upload.system}", "bytes": upload.bytes, "sha256": upload.sha256},
        )
        return self._ctx.state

    def check_upload(self, upload: UploadedFile) -> None:
        self._ctx.require(upload, Role.REVIEWER)
        if self.progress(upload.company).done:
            raise ValueError(
                f"system: {upload.company}/{upload.system} is not waiting for an upload;"
                " ask for a re-collection with dsar retry first"
            )

    async def mark_not_applicable(self, decision: SystemDecision) -> RequestState:
        """The system holds nothing relevant (or cannot be searched), with the reason on record."""
        progress = self.progress(decision.company)
        if not progress.done:
            try:
                await workflow.get_external_workflow_handle(self._child_id(progress)).signal(
                    CompanyCollectionWorkflow.mark_not_applicable, decision
                )
            except ApplicationError as exc:
                # The company's child finished (an earlier mark settled its last manual
                # system) but its result has not reached this workflow yet.
                if exc.type != CHILD_GONE or not workflow.patched(MARK_AFTER_CHILD_FINISHED):
                    raise
                await workflow.wait_condition(lambda: progress.done)
                self._refuse_if_settled(decision, patched=True)
                await self._settle_not_applicable(progress, decision)
        else:
            # The child's result arrived between the validator and here: the same answer.
            self._refuse_if_settled(decision, patched=False)
            await self._settle_not_applicable(progress, decision)
        return self._ctx.state

    def _refuse_if_settled(self, decision: SystemDecision, *, patched: bool) -> None:
        """Only a failed system is settled here; one the child settled is not changed again."""
        system = self.system(decision.company, decision.system)
        if system.status is SystemStatus.FAILED:
            return
        if patched or workflow.patched(MARK_AFTER_CHILD_FINISHED):
            raise ApplicationError(
                f"system: {decision.company}/{decision.system} is already settled"
                f" ({system.status.value}); nothing was changed",
                type="SystemAlreadySettled",
                non_retryable=True,
            )

    async def _settle_not_applicable(self, progress: CompanyProgress, decision: SystemDecision) -> None:
        """A failed system of a finished company settled by the team, here rather than in the child."""
        ctx = self._ctx
        system = self.system(decision.company, decision.system)
        settled = system.model_copy(
            update={
                "status": SystemStatus.NOT_APPLICABLE,
                "note": decision.reason.strip(),
                "note_for_person": decision.note_for_person.strip() or None,
                "error": None,
            }
        )
        progress.systems = [settled if s.system == system.system else s for s in progress.systems]
        await ctx.call(
            refs.RECORD_SYSTEM_RESULT,
            RecordSystemResultInput(
                reference=ctx.state.reference,
                result=settled,
                actor=decision.actor,
                occasion=f"r{progress.rounds}",
            ),
        )
        self._settle(progress)

    def check_not_applicable(self, decision: SystemDecision) -> None:
        self._ctx.require(decision, Role.REVIEWER)
        if not decision.reason.strip():
            raise ValueError("reason: say why the system does not apply; it goes on record")
        self._ctx.require_open()
        if self.progress(decision.company).done:
            system = self.system(decision.company, decision.system)
            if system.status is not SystemStatus.FAILED:
                raise ValueError(
                    f"system: {decision.company}/{decision.system} is {system.status.value};"
                    " only a failed or outstanding system can be marked not applicable"
                )

    async def retry_system(self, decision: SystemDecision) -> None:
        """Collect one system again (it failed, or the reviewer sent it back)."""
        progress = self.progress(decision.company)
        progress.rounds += 1
        await self._ctx.record(
            "system.recollect",
            decision.actor,
            {"system": f"{decision.company}/{decision.system}", "round": progress.rounds},
        )
        await self.collect(decision.company, [decision.system])

    def check_retry(self, decision: SystemDecision) -> None:
        ctx = self._ctx
        ctx.require(decision, Role.REVIEWER)
        if not ctx.reviewing:
            raise ValueError(
                f"a system can be collected again while the request waits for review (it is now "
                f"'{ctx.state.status.value}')"
            )
        if not self.progress(decision.company).done:
            raise ValueError(f"company: {decision.company} is still collecting")
        self.system(decision.company, decision.system)

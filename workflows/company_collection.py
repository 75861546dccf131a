"""Collection inside one group company.

Runs on the company's own task queue, so only workers deployed inside that company touch
its systems. One activity per system, all at once, each by its connector kind; a system
that fails does not hide the others' results, it is reported as failed with a reason the
privacy team can act on (retry it, or mark it not applicable).

A manual system is a task for its owner: an e-mail saying whom to search for, reminders
on the configured days, and a wait, as long as it takes, for the export (`dsar upload`)
or a decision that the system does not apply (`dsar mark-na`). Both arrive as signals
from the request's workflow, which checks the sender's role first.
"""

from __future__ import annotations

from collections.abc import Callable

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dsar import activity_refs as refs
    from dsar.messages.collection import (
        CollectSystemInput,
        CompanyCollectionInput,
        CompanyCollectionResult,
        CompanyCollectionState,
        IngestUploadInput,
        RecordSystemResultInput,
        SystemDecision,
        SystemRef,
        SystemResult,
        SystemStatus,
        UploadedFile,
    )
    from dsar.messages.notifications import NotificationKind, SendNotification
    from dsar.pending import system_activity_id

from workflows.calls import run_activity
from workflows.manual_task import wait_with_reminders
from workflows.per_system import SYSTEM_ACTOR, PerSystem, list_systems

CONNECTORS = {
    "postgres": refs.COLLECT_POSTGRES,
    "s3": refs.COLLECT_S3,
    "http": refs.COLLECT_HTTP,
}


@workflow.defn
class CompanyCollectionWorkflow:
    def __init__(self) -> None:
        self._state: CompanyCollectionState | None = None
        self._uploads: dict[str, UploadedFile] = {}
        self._not_applicable: dict[str, SystemDecision] = {}

    @workflow.run
    async def run(self, inp: CompanyCollectionInput) -> CompanyCollectionResult:
        self._state = CompanyCollectionState(company=inp.company)
        systems = await list_systems(inp.company)
        if inp.systems is not None:
            systems = [s for s in systems if s.system in inp.systems]
        self._state.systems = [self._result(s, SystemStatus.PENDING) for s in systems]

        async def manual(system: SystemRef) -> SystemResult:
            return await self._manual(inp, system)

        async def failed(system: SystemRef, reason: str) -> SystemResult:
            return self._result(system, SystemStatus.FAILED).model_copy(update={"error": reason})

        results = await PerSystem(
            connectors=CONNECTORS,
            metric="dsar_collection_failures",
            metric_help="Systems whose collection failed",
            input=lambda s: CollectSystemInput(reference=inp.reference, company=s.company, system=s.system),
            manual=manual,
            failed=failed,
            replace=self._replace,
            label=lambda s: "collect",
            metric_labels=lambda s: {"company": s.company, "system": s.system},
        ).run(systems)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return CompanyCollectionResult(company=inp.company, systems=results)

    @staticmethod
    def _result(system: SystemRef, status: SystemStatus) -> SystemResult:
        return SystemResult(
            company=system.company, system=system.system, name=system.name, kind=system.kind, status=status
        )

    async def _manual(self, inp: CompanyCollectionInput, system: SystemRef) -> SystemResult:
        """Ask the owner, remind them, and wait for the export or a not-applicable decision."""
        code = f"{system.company}/{system.system}"
        # A re-collection asks the owner again: a new occasion, so a new e-mail.
        task = code if inp.round == 0 else f"{code}#r{inp.round}"
        waiting = self._result(system, SystemStatus.AWAITING_UPLOAD)
        self._replace(waiting)
        await self._record(inp.reference, waiting, SYSTEM_ACTOR, task)
        await self._notify(inp, NotificationKind.MANUAL_TASK, task, code)
        answered: Callable[[], bool] = lambda: (  # noqa: E731
            system.system in self._uploads or system.system in self._not_applicable
        )

        async def remind(days: int) -> None:
            await self._notify(inp, NotificationKind.MANUAL_REMINDER, f"{task}/day-{days}", code)

        await wait_with_reminders(answered, system.reminder_days, remind)
        if system.system in self._uploads:
            upload = self._uploads[system.system]
            result = await run_activity(
                refs.INGEST_UPLOAD,
                IngestUploadInput(reference=inp.reference, upload=upload),
                activity_id=system_activity_id("ingest", system.company, system.system),
                summary=f"ingest upload {code}",
            )
        else:
            decision = self._not_applicable[system.system]
            result = waiting.model_copy(
                update={
                    "status": SystemStatus.NOT_APPLICABLE,
                    "note": decision.reason,
                    "note_for_person": decision.note_for_person.strip() or None,
                }
            )
            await self._record(inp.reference, result, decision.actor, task)
        self._replace(result)
        return result

    async def _notify(
        self, inp: CompanyCollectionInput, kind: NotificationKind, occasion: str, code: str
    ) -> None:
        await run_activity(
            refs.SEND_NOTIFICATION,
            SendNotification(reference=inp.reference, kind=kind, occasion=occasion, system=code),
            task_queue=inp.notify_queue,
        )

    async def _record(self, reference: str, result: SystemResult, actor: str, occasion: str) -> None:
        await run_activity(
            refs.RECORD_SYSTEM_RESULT,
            RecordSystemResultInput(reference=reference, result=result, actor=actor, occasion=occasion),
        )

    # --- decisions forwarded by the request's workflow (it has checked the role) ----------

    @workflow.signal
    def attach_upload(self, upload: UploadedFile) -> None:
        if self._awaiting(upload.system):
            self._uploads[upload.system] = upload
        else:
            workflow.logger.warning("upload for %s ignored: not waiting for one", upload.system)

    @workflow.signal
    def mark_not_applicable(self, decision: SystemDecision) -> None:
        if self._awaiting(decision.system):
            self._not_applicable[decision.system] = decision
        else:
            workflow.logger.warning("decision for %s ignored: not waiting for one", decision.system)

    def _awaiting(self, system: str) -> bool:
        state = self._current()
        return any(
            s.system == system and s.status is SystemStatus.AWAITING_UPLOAD for s in state.systems
        ) and (system not in self._uploads and system not in self._not_applicable)

    def _replace(self, result: SystemResult) -> None:
        state = self._current()
        state.systems = [result if s.system == result.system else s for s in state.systems]

    def _current(self) -> CompanyCollectionState:
        if self._state is None:
            raise ValueError("collection has not started yet")
        return self._state

    @workflow.query
    def progress(self) -> CompanyCollectionState:
        return self._current()

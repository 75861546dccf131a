"""One action (erase, rectify, restrict, ...) in every system of one group company.

The counterpart of collection for the rights other than access, with the same shape:
it runs on the company's own task queue, one activity per system by connector kind, all
at once; a system that fails is reported failed with a reason and does not hide the
others. Only systems whose registry entry supports the right are asked.

A manual system gets a task for its owner (what to do, for whom) with reminders, and
waits until the privacy team confirms it was done, or says it does not apply
(`dsar done`), forwarded as a signal by the request's workflow.
"""

from __future__ import annotations

from collections.abc import Callable

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dsar import activity_refs as refs
    from dsar.messages.actions import (
        Action,
        ActionConfirmation,
        ActionResult,
        ActionStatus,
        CompanyActionInput,
        CompanyActionResult,
        CompanyActionState,
        ExecuteSystemInput,
        RecordActionResultInput,
    )
    from dsar.messages.collection import SystemRef
    from dsar.messages.notifications import NotificationKind, SendNotification

from workflows.calls import run_activity
from workflows.manual_task import wait_with_reminders
from workflows.per_system import SYSTEM_ACTOR, PerSystem, list_systems

EXECUTORS = {
    "postgres": refs.EXECUTE_POSTGRES,
    "s3": refs.EXECUTE_S3,
    "http": refs.EXECUTE_HTTP,
}


@workflow.defn
class CompanyActionWorkflow:
    def __init__(self) -> None:
        self._state: CompanyActionState | None = None
        self._confirmations: dict[str, ActionConfirmation] = {}

    @workflow.run
    async def run(self, inp: CompanyActionInput) -> CompanyActionResult:
        self._state = CompanyActionState(company=inp.company, action=inp.action)
        systems = await list_systems(inp.company)
        systems = [s for s in systems if inp.action.right in s.rights]
        if inp.action is Action.SUPPRESS_MARKETING:
            # At once means at once: a binder cannot be asked to wait on. The group-wide list
            # is what anyone sending marketing checks first, whatever the source of the address.
            systems = [s for s in systems if s.kind != "manual"]
        if inp.systems is not None:
            systems = [s for s in systems if s.system in inp.systems]
        self._state.systems = [self._result(s, inp, ActionStatus.PENDING) for s in systems]

        async def manual(system: SystemRef) -> ActionResult:
            return await self._manual(inp, system)

        async def failed(system: SystemRef, reason: str) -> ActionResult:
            result = self._result(system, inp, ActionStatus.FAILED).model_copy(update={"error": reason})
            return await self._record(inp, result, SYSTEM_ACTOR, f"failed#r{inp.round}")

        results = await PerSystem(
            connectors=EXECUTORS,
            metric="dsar_action_failures",
            metric_help="Systems where an action failed",
            input=lambda s: ExecuteSystemInput(
                reference=inp.reference,
                company=s.company,
                system=s.system,
                action=inp.action,
                corrections=inp.corrections,
                legal_hold=inp.legal_holds.get(s.system),
                jurisdiction=inp.jurisdiction,
            ),
            manual=manual,
            failed=failed,
            replace=self._replace,
            label=lambda s: inp.action.value,
            metric_labels=lambda s: {"company": s.company, "system": s.system, "action": inp.action.value},
        ).run(systems)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return CompanyActionResult(company=inp.company, action=inp.action, systems=results)

    async def _manual(self, inp: CompanyActionInput, system: SystemRef) -> ActionResult:
        """Ask the owner to act by hand, remind them, and wait for the team's confirmation."""
        code = f"{system.company}/{system.system}"
        task = f"{inp.action.value}:{code}" + (f"#r{inp.round}" if inp.round else "")
        waiting = self._result(system, inp, ActionStatus.AWAITING_OWNER)
        self._replace(await self._record(inp, waiting, SYSTEM_ACTOR, task))
        await self._notify(inp, task, code)

        async def remind(days: int) -> None:
            await self._notify(inp, f"{task}/day-{days}", code)

        answered: Callable[[], bool] = lambda: system.system in self._confirmations  # noqa: E731
        await wait_with_reminders(answered, system.reminder_days, remind)
        confirmation = self._confirmations[system.system]
        done = self._result(
            system, inp, ActionStatus.DONE if confirmation.done else ActionStatus.NOT_APPLICABLE
        ).model_copy(
            update={
                "changed": confirmation.changed,
                "note": confirmation.note or None,
                "note_for_person": confirmation.note_for_person.strip() or None,
            }
        )
        result = await self._record(inp, done, confirmation.actor, task)
        self._replace(result)
        return result

    async def _notify(self, inp: CompanyActionInput, occasion: str, code: str) -> None:
        await run_activity(
            refs.SEND_NOTIFICATION,
            SendNotification(
                reference=inp.reference,
                kind=NotificationKind.MANUAL_ACTION,
                occasion=occasion,
                system=code,
                action=inp.action,
                # The owner cannot correct by hand without the new values (they travel encrypted).
                text="\n".join(f"{c.field.value}: {c.value}" for c in inp.corrections) or None,
            ),
            task_queue=inp.notify_queue,
        )

    async def _record(
        self, inp: CompanyActionInput, result: ActionResult, actor: str, occasion: str
    ) -> ActionResult:
        return await run_activity(
            refs.RECORD_ACTION_RESULT,
            RecordActionResultInput(reference=inp.reference, result=result, actor=actor, occasion=occasion),
        )

    @staticmethod
    def _result(system: SystemRef, inp: CompanyActionInput, status: ActionStatus) -> ActionResult:
        return ActionResult(
            company=system.company,
            system=system.system,
            name=system.name,
            kind=system.kind,
            action=inp.action,
            status=status,
        )

    # --- the privacy team's confirmation, forwarded by the request's workflow -------------

    @workflow.signal
    def confirm_action(self, confirmation: ActionConfirmation) -> None:
        state = self._current()
        # A manual system not yet settled: the confirmation may even arrive before the task
        # e-mail has gone out, and is then found as soon as the wait begins.
        waiting = any(
            s.system == confirmation.system and s.kind == "manual" and not s.status.settled
            for s in state.systems
        )
        if waiting and confirmation.action is state.action and confirmation.system not in self._confirmations:
            self._confirmations[confirmation.system] = confirmation
        else:
            workflow.logger.warning("confirmation for %s ignored: not waiting for one", confirmation.system)

    def _replace(self, result: ActionResult) -> None:
        state = self._current()
        state.systems = [result if s.system == result.system else s for s in state.systems]

    def _current(self) -> CompanyActionState:
        if self._state is None:
            raise ValueError("the action has not started yet")
        return self._state

    @workflow.query
    def progress(self) -> CompanyActionState:
        return self._current()

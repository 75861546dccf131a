"""The rights beside access: actions in every company, Art. 19 notices, the outcome letter.

Each action (erase, rectify, restrict, ...) runs as one child workflow per company on its
own queue; a failed system is taken again (`dsar retry-action`) or settled by the team
(`dsar done`) before the request moves on. Which actions a request takes, and in what
order, comes from the rights table (`rights.py`). A restriction stays in force after the
answer until the team lifts it, and the person is told before it is lifted (Art. 18(3)).
"""

from __future__ import annotations

import asyncio

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dsar import activity_refs as refs
    from dsar.domain import Right, Status, company_action_workflow_id
    from dsar.messages.actions import (
        Action,
        ActionConfirmation,
        ActionResult,
        ActionRetry,
        ActionStatus,
        CompanyActionInput,
        LiftRestriction,
        RecordActionResultInput,
    )
    from dsar.messages.collection import CompanyTarget
    from dsar.messages.notifications import NotificationKind, SendNotification, SentNotice
    from dsar.messages.state import RequestState
    from dsar.roles import Role
    from workflows.company_action import CompanyActionWorkflow

from workflows.rights_request.context import SYSTEM_ACTOR, RequestContext
from workflows.rights_request.long_wait import wait_or_continue_as_new
from workflows.rights_request.review import ReviewStage
from workflows.rights_request.rights import RequestSteps

# Since 0.1.0 (docs/changing-workflow-code.md): an erasure also reduces the person's
# earlier closed cases in the case store before the outcome letter says so.
ERASE_EARLIER_CASES = "erase-earlier-cases"


class OtherRightsStage:
    """Actions in every company, in the order the rights table gives, and their settling."""

    def __init__(self, ctx: RequestContext, review: ReviewStage) -> None:
        self._ctx = ctx
        self._review = review
        # Each (company, action)'s latest round; the ones running are `ctx.acting`.
        self._rounds: dict[tuple[str, Action], int] = {}
        self._lift: LiftRestriction | None = None

    async def act_at_once(self, steps: RequestSteps) -> None:
        """Art. 21(3) and 7(3): no balancing and no review, so at once."""
        ctx = self._ctx
        if not steps.at_once:
            return
        await ctx.set_status(Status.EXECUTING, SYSTEM_ACTOR)
        for action in steps.at_once:
            if action is Action.SUPPRESS_MARKETING:
                listed = await ctx.call(refs.ADD_TO_SUPPRESSION_LIST, ctx.state.reference)
                await ctx.record("objection.suppression_listed", SYSTEM_ACTOR, {"entries": listed.entries})
            await self._act_everywhere(action)

    async def act_after_review(self, steps: RequestSteps) -> None:
        """Corrections first, then the restriction flag, erasure last (after the copy)."""
        ctx = self._ctx
        assert ctx.approval is not None
        await ctx.set_status(Status.EXECUTING, ctx.approval.actor)
        for action in steps.actions_after_review(ctx.state.objection_upheld is True):
            await self._act_everywhere(action)
            if action is Action.RESTRICT:
                # An upheld objection (Art. 21(1)) stops the processing: the data is only stored.
                ctx.state.restriction_active = True

    async def finish(self) -> None:
        """Art. 19: tell every recipient of changed data; then tell the person what was done."""
        await self._notify_recipients([Action.RECTIFY, Action.ERASE, Action.RESTRICT])
        ctx, state = self._ctx, self._ctx.state
        if Right.ERASURE in ctx.submission.rights and workflow.patched(ERASE_EARLIER_CASES):
            # Art. 17 covers the case store's own copies from the person's earlier requests.
            earlier = await ctx.call(refs.ERASE_EARLIER_CASES, state.reference)
            if earlier.reduced or earlier.held:
                workflow.logger.info("earlier cases: %d reduced, %d held", earlier.reduced, earlier.held)
        objection = self._review.objection
        await ctx.call(
            refs.SEND_NOTIFICATION,
            SendNotification(
                reference=state.reference,
                kind=NotificationKind.OUTCOME,
                text=objection.grounds.strip() if objection else None,
                objection_upheld=objection.uphold if objection else None,
            ),
        )
        state.notices.append(SentNotice(kind=NotificationKind.OUTCOME, occasion="", at=workflow.now()))
        ctx.update_details()

    async def _notify_recipients(self, actions: list[Action]) -> None:
        ctx, state = self._ctx, self._ctx.state
        told: dict[str, list[Action]] = {}
        for result in state.actions:
            if result.action in actions and result.action.tells_recipients and result.changed > 0:
                for code in result.recipients:
                    told.setdefault(code, [])
                    if result.action not in told[code]:
                        told[code].append(result.action)
        for code in sorted(told):
            await ctx.call(
                refs.SEND_NOTIFICATION,
                SendNotification(
                    reference=state.reference,
                    kind=NotificationKind.RECIPIENT_NOTICE,
                    occasion=code,
                    recipient=code,
                    actions=told[code],
                ),
            )
            state.recipients_notified.append(code)

    async def _act_everywhere(self, action: Action) -> None:
        """One child per company for this action; then wait until no system is left failed."""
        plan = await self._ctx.plan()
        await asyncio.gather(*(self._act_in(c, action) for c in plan.companies))
        await workflow.wait_condition(lambda: not self._failed(action))

    async def _act_in(self, company: CompanyTarget, action: Action, systems: list[str] | None = None) -> None:
        ctx, state = self._ctx, self._ctx.state
        key = (company.code, action)
        round = self._rounds.get(key, -1) + 1
        self._rounds[key] = round
        ctx.acting.add(key)
        ctx.update_details()
        try:
            result = await workflow.execute_child_workflow(
                CompanyActionWorkflow.run,
                CompanyActionInput(
                    reference=state.reference,
                    company=company.code,
                    action=action,
                    corrections=ctx.submission.corrections if action is Action.RECTIFY else [],
                    legal_holds={
                        k.split("/", 1)[1]: v
                        for k, v in state.legal_holds.items()
                        if k.split("/", 1)[0] == company.code
                    },
                    jurisdiction=state.jurisdiction,
                    systems=systems,
                    notify_queue=workflow.info().task_queue,
                    round=round,
                ),
                id=company_action_workflow_id(state.reference, company.code, action.value, round),
                task_queue=company.task_queue,
                static_summary=f"{action.value} in {company.code} for {state.reference}",
            )
        finally:
            ctx.acting.discard(key)
        for system in result.systems:
            self._put(system)

    def _put(self, result: ActionResult) -> None:
        state = self._ctx.state
        state.actions = [
            a
            for a in state.actions
            if (a.company, a.system, a.action) != (result.company, result.system, result.action)
        ] + [result]
        self._ctx.publish_failed()

    def _failed(self, action: Action) -> list[ActionResult]:
        return [a for a in self._ctx.state.actions if a.action is action and a.status is ActionStatus.FAILED]

    def _result(self, company: str, system: str, action: Action) -> ActionResult:
        for result in self._ctx.state.actions:
            if (result.company, result.system, result.action) == (company, system, action):
                return result
        raise ValueError(
            f"system: {company}/{system} has not been asked to {action.value} yet (the request is now"
            f" '{self._ctx.state.status.value}'); confirm once its owner has the task"
        )

    # --- the privacy team's steps on single systems ----------------------------------------

    async def confirm_action(self, confirmation: ActionConfirmation) -> RequestState:
        """A manual system's owner did what was asked, or the team settles a failed system."""
        ctx, state = self._ctx, self._ctx.state
        key = (confirmation.company, confirmation.action)
        if key in ctx.acting:
            child = company_action_workflow_id(
                state.reference, confirmation.company, confirmation.action.value, self._rounds[key]
            )
            await workflow.get_external_workflow_handle(child).signal(
                CompanyActionWorkflow.confirm_action, confirmation
            )
        else:
            current = self._result(confirmation.company, confirmation.system, confirmation.action)
            settled = current.model_copy(
                update={
                    "status": ActionStatus.DONE if confirmation.done else ActionStatus.NOT_APPLICABLE,
                    "changed": confirmation.changed,
                    "note": confirmation.note.strip() or None,
                    "note_for_person": confirmation.note_for_person.strip() or None,
                    "error": None,
                }
            )
            recorded = await ctx.call(
                refs.RECORD_ACTION_RESULT,
                RecordActionResultInput(
                    reference=state.reference,
                    result=settled,
                    actor=confirmation.actor,
                    occasion=f"settled#r{self._rounds.get(key, 0)}",
                ),
                task_queue=ctx.company_queue(confirmation.company),
            )
            self._put(recorded)
        return state

    def check_confirm_action(self, confirmation: ActionConfirmation) -> None:
        self._ctx.require(confirmation, Role.REVIEWER)
        if not confirmation.done and not confirmation.note.strip():
            raise ValueError("note: say why the system cannot take the action; it goes on record")
        if (confirmation.company, confirmation.action) in self._ctx.acting:
            return  # the company's child knows which systems wait for their owner, and checks
        current = self._result(confirmation.company, confirmation.system, confirmation.action)
        if current.status is not ActionStatus.FAILED:
            raise ValueError(
                f"system: {confirmation.company}/{confirmation.system} is {current.status.value} for"
                f" {confirmation.action.value}; only a failed system, or one waiting for its owner,"
                " is confirmed"
            )

    async def retry_action(self, retry: ActionRetry) -> RequestState:
        """Take a failed action again in one system, as a new round of its company's child."""
        await self._ctx.record(
            "action.retry",
            retry.actor,
            {"system": f"{retry.company}/{retry.system}", "action": retry.action.value},
        )
        plan = await self._ctx.plan()
        company = next(c for c in plan.companies if c.code == retry.company)
        await self._act_in(company, retry.action, [retry.system])
        return self._ctx.state

    def check_retry_action(self, retry: ActionRetry) -> None:
        self._ctx.require(retry, Role.REVIEWER)
        current = self._result(retry.company, retry.system, retry.action)
        if current.status is not ActionStatus.FAILED:
            raise ValueError(
                f"system: {retry.company}/{retry.system} is {current.status.value} for {retry.action.value};"
                " only a failed action is taken again"
            )
        if (retry.company, retry.action) in self._ctx.acting:
            raise ValueError(f"company: {retry.action.value} is still running in {retry.company}")

    # --- restriction, after the answer (Art. 18(3)) -------------------------------------------

    async def await_lift(self) -> None:
        """The restriction stays until the team lifts it, and the person is told first."""
        ctx, state = self._ctx, self._ctx.state
        await ctx.refresh_grants()
        ctx.update_details()
        await wait_or_continue_as_new(
            ctx,
            lambda: self._lift is not None,
            # The package's retention runs beside this wait; only this wait is carried over.
            lambda: state.package is None or state.package_deleted_at is not None,
        )
        assert self._lift is not None
        await ctx.notify(NotificationKind.RESTRICTION_LIFT, text=self._lift.reason.strip())
        await ctx.record("restriction.lifting", self._lift.actor, {})
        await self._act_everywhere(Action.LIFT_RESTRICTION)
        state.restriction_active = False
        state.restriction_lifted_at = workflow.now()
        await ctx.record("restriction.lifted", self._lift.actor, {})
        ctx.update_details()

    async def lift_restriction(self, request: LiftRestriction) -> RequestState:
        """The main line tells the person first (Art. 18(3)), then clears the flags everywhere."""
        self._lift = request
        return self._ctx.state

    def check_lift(self, request: LiftRestriction) -> None:
        self._ctx.require(request, Role.REVIEWER)
        if not request.reason.strip():
            raise ValueError("reason: the person is told why the restriction is lifted")
        state = self._ctx.state
        if not state.restriction_active or state.status is not Status.DELIVERED:
            raise ValueError("no restriction is in force for this request")
        if self._lift is not None:
            raise ValueError("the restriction is already being lifted")

"""One data-subject request, from receipt to delivery, read top to bottom.

received -> identity -> collecting -> review -> packaging -> delivery -> delivered
               └─> closed (identity not verified)          (package kept, then deleted)

Beside the main line runs the statutory clock (Art. 12(3)). Every side effect is an
activity called through its typed reference (`dsar.activity_refs`); every human step is an
Update whose validator answers the CLI at once. Each stage's logic and checks live in its
own module; this class keeps the order of the legal process and what a person can do to
a request, in process order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dsar import activity_refs as refs
    from dsar.domain import Status
    from dsar.messages.actions import ActionConfirmation, ActionRetry, LiftRestriction
    from dsar.messages.clock import ClarificationAnswer, ClarificationRequest, ExtensionDecision
    from dsar.messages.collection import SystemDecision, UploadedFile
    from dsar.messages.delivery import ResendLinkRequest
    from dsar.messages.identity import AttachAuthorisation, IdentityDecision, SendIdentityCode
    from dsar.messages.intake import RightsRequestInput
    from dsar.messages.notifications import NotificationKind
    from dsar.messages.review import (
        ExcludeRecords,
        KeepFinding,
        LegalHold,
        ManualRedaction,
        MatchDecision,
        ObjectionDecision,
        RefusalDecision,
        ReviewDecision,
    )
    from dsar.messages.state import RequestState

from workflows.rights_request.clock import ClockStage
from workflows.rights_request.collection import CollectionStage
from workflows.rights_request.context import SYSTEM_ACTOR, RequestContext
from workflows.rights_request.delivery import DeliveryStage
from workflows.rights_request.identity import IdentityStage
from workflows.rights_request.other_rights import OtherRightsStage
from workflows.rights_request.review import ReviewStage
from workflows.rights_request.rights import steps_for
from workflows.rights_request.signatures import signed_update


@workflow.defn
class RightsRequestWorkflow:
    """The request's main line and its Updates; the stages share one `RequestContext`."""

    def __init__(self) -> None:
        self._ctx = ctx = RequestContext()
        self._clock = ClockStage(ctx)
        self._identity = IdentityStage(ctx)
        self._collection = CollectionStage(ctx)
        self._review = ReviewStage(ctx, self._collection)
        self._other_rights = OtherRightsStage(ctx, self._review)
        self._delivery = DeliveryStage(ctx)

    @workflow.run
    async def run(self, req: RightsRequestInput) -> RequestState:
        ctx = self._ctx
        if req.carried is not None:  # continued as new while a restriction stays (long_wait.py)
            ctx.resume(req)
            await self._other_rights.await_lift()
            await workflow.wait_condition(workflow.all_handlers_finished)
            return ctx.state
        state = ctx.start(req)
        ctx.clock = await ctx.call(refs.LOAD_CLOCK_SETTINGS, req.reference)
        await self._clock.recompute()
        await ctx.call(refs.REGISTER_REQUEST, req)
        await ctx.set_status(Status.RECEIVED, req.submitted_by)
        await ctx.notify(NotificationKind.ACKNOWLEDGEMENT)
        clock = asyncio.create_task(self._clock.watch())

        # Identity: nothing is collected before the requester is known to be the person.
        await ctx.refresh_grants()
        await self._clock.stop_for_identity()
        await self._identity.prepare()
        await ctx.set_status(Status.IDENTITY, SYSTEM_ACTOR)
        if not await self._identity.await_verified():
            await self._identity.close_unverified()
            return await self._finish(clock)
        if ctx.refusal is not None:
            await self._review.close_refused()
            return await self._finish(clock)
        await self._clock.resume_after_identity()
        await self._identity.start_collecting()

        # What the rights asked for need (rights.py): actions at once, review, a copy, actions after.
        steps = steps_for(req.submission)
        if steps.acting:
            await self._other_rights.act_at_once(steps)
        if steps.review:
            companies = await self._collection.collect_all()
            await self._review.scan_for_others_data(companies)
            if steps.copy:
                # Ready before review opens: approval sends it at once (delivery.py).
                await self._delivery.prepare_package(portable=steps.portable)
            if not await self._review.await_decision():
                await self._review.close_refused()
                await self._delivery.discard_prepared()
                return await self._finish(clock)
            if steps.copy:
                await self._delivery.deliver_package(portable=steps.portable)
            if steps.acting:
                # The copy goes out before anything is changed or erased.
                await self._other_rights.act_after_review(steps)
        if steps.acting:
            await self._other_rights.finish()
        state.delivered_at = workflow.now()
        await ctx.set_status(Status.DELIVERED, SYSTEM_ACTOR)

        # Answered: the package is kept for a while, a restriction stays until lifted.
        after: list[Coroutine[Any, Any, None]] = []
        if state.package is not None:
            after.append(self._delivery.keep_then_delete_package())
        if state.restriction_active:
            after.append(self._other_rights.await_lift())
        if after:
            await self._stop_clock(clock)
        await asyncio.gather(*after)
        return await self._finish(clock)

    async def _stop_clock(self, clock: asyncio.Task[None]) -> None:
        """Answered or closed: the statutory clock has nothing left to watch."""
        self._ctx.closed = True
        await clock

    async def _finish(self, clock: asyncio.Task[None]) -> RequestState:
        await self._stop_clock(clock)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._ctx.state

    @workflow.query
    def state(self) -> RequestState:
        return self._ctx.state

    @workflow.signal
    async def reload_roles(self) -> None:
        """The roles file changed (a new key, a revocation): read it now, not at the next stage."""
        await workflow.wait_condition(lambda: self._ctx.started)
        await self._ctx.refresh_grants()

    # --- the clock: extension and clarification, at any time while the request is open ----

    @signed_update
    async def extend(self, decision: ExtensionDecision) -> RequestState:
        return await self._clock.extend(decision)

    @extend.validator
    def _check_extend(self, decision: ExtensionDecision) -> None:
        self._clock.check_extend(decision)

    @signed_update
    async def clarify(self, request: ClarificationRequest) -> RequestState:
        return await self._clock.clarify(request)

    @clarify.validator
    def _check_clarify(self, request: ClarificationRequest) -> None:
        self._clock.check_clarify(request)

    @signed_update
    async def answer(self, answer: ClarificationAnswer) -> RequestState:
        return await self._clock.answer(answer)

    @answer.validator
    def _check_answer(self, answer: ClarificationAnswer) -> None:
        self._clock.check_answer(answer)

    # --- identity ------------------------------------------------------------------------

    @signed_update
    async def attach_authorisation(self, request: AttachAuthorisation) -> RequestState:
        return await self._identity.attach_authorisation(request)

    @attach_authorisation.validator
    def _check_authorisation(self, request: AttachAuthorisation) -> None:
        self._identity.check_authorisation(request)

    @signed_update
    async def send_identity_code(self, request: SendIdentityCode) -> RequestState:
        return await self._identity.send_code(request)

    @send_identity_code.validator
    def _check_send_code(self, request: SendIdentityCode) -> None:
        self._identity.check_send_code(request)

    @signed_update
    async def verify_identity(self, decision: IdentityDecision) -> RequestState:
        return await self._identity.verify(decision)

    @verify_identity.validator
    def _check_verify(self, decision: IdentityDecision) -> None:
        self._identity.check_verify(decision)

    # --- collection: manual systems and failed ones --------------------------------------

    @signed_update
    async def attach_upload(self, upload: UploadedFile) -> RequestState:
        return await self._collection.attach_upload(upload)

    @attach_upload.validator
    def _check_upload(self, upload: UploadedFile) -> None:
        self._collection.check_upload(upload)

    @signed_update
    async def mark_not_applicable(self, decision: SystemDecision) -> RequestState:
        return await self._collection.mark_not_applicable(decision)

    @mark_not_applicable.validator
    def _check_not_applicable(self, decision: SystemDecision) -> None:
        self._collection.check_not_applicable(decision)

    @signed_update
    async def retry_system(self, decision: SystemDecision) -> RequestState:
        await self._collection.retry_system(decision)
        await self._review.scan_for_others_data([decision.company])  # new records, new ids: scan again
        return self._ctx.state

    @retry_system.validator
    def _check_retry(self, decision: SystemDecision) -> None:
        self._collection.check_retry(decision)

    # --- review: matches, redaction, legal holds, an objection; approval or refusal -------

    @signed_update
    async def confirm_matches(self, decision: MatchDecision) -> int:
        return await self._review.confirm_matches(decision)

    @confirm_matches.validator
    def _check_matches(self, decision: MatchDecision) -> None:
        self._review.check_matches(decision)

    @signed_update
    async def exclude_records(self, decision: ExcludeRecords) -> int:
        return await self._review.exclude_records(decision)

    @exclude_records.validator
    def _check_exclude(self, decision: ExcludeRecords) -> None:
        self._review.check_exclude(decision)

    @signed_update
    async def redact_field(self, decision: ManualRedaction) -> int:
        return await self._review.redact_field(decision)

    @redact_field.validator
    def _check_redact(self, decision: ManualRedaction) -> None:
        self._review.check_redact(decision)

    @signed_update
    async def keep_finding(self, decision: KeepFinding) -> int:
        return await self._review.keep_finding(decision)

    @keep_finding.validator
    def _check_keep(self, decision: KeepFinding) -> None:
        self._review.check_keep(decision)

    @signed_update
    async def place_legal_hold(self, hold: LegalHold) -> RequestState:
        return await self._review.place_legal_hold(hold)

    @place_legal_hold.validator
    def _check_legal_hold(self, hold: LegalHold) -> None:
        self._review.check_legal_hold(hold)

    @signed_update
    async def decide_objection(self, decision: ObjectionDecision) -> RequestState:
        return await self._review.decide_objection(decision)

    @decide_objection.validator
    def _check_objection(self, decision: ObjectionDecision) -> None:
        self._review.check_objection(decision)

    @signed_update
    async def approve(self, decision: ReviewDecision) -> RequestState:
        return await self._review.approve(decision)

    @approve.validator
    def _check_approve(self, decision: ReviewDecision) -> None:
        self._review.check_approve(decision)

    @signed_update
    async def refuse(self, decision: RefusalDecision) -> RequestState:
        return await self._review.refuse(decision)

    @refuse.validator
    def _check_refuse(self, decision: RefusalDecision) -> None:
        self._review.check_refuse(decision)

    # --- the other rights: actions in single systems, lifting a restriction ---------------

    @signed_update
    async def confirm_action(self, confirmation: ActionConfirmation) -> RequestState:
        return await self._other_rights.confirm_action(confirmation)

    @confirm_action.validator
    def _check_confirm_action(self, confirmation: ActionConfirmation) -> None:
        self._other_rights.check_confirm_action(confirmation)

    @signed_update
    async def retry_action(self, retry: ActionRetry) -> RequestState:
        return await self._other_rights.retry_action(retry)

    @retry_action.validator
    def _check_retry_action(self, retry: ActionRetry) -> None:
        self._other_rights.check_retry_action(retry)

    @signed_update
    async def lift_restriction(self, request: LiftRestriction) -> RequestState:
        return await self._other_rights.lift_restriction(request)

    @lift_restriction.validator
    def _check_lift(self, request: LiftRestriction) -> None:
        self._other_rights.check_lift(request)

    # --- delivery: after the answer ------------------------------------------------------

    @signed_update
    async def resend_link(self, request: ResendLinkRequest) -> RequestState:
        return await self._delivery.resend_link(request)

    @resend_link.validator
    def _check_resend_link(self, request: ResendLinkRequest) -> None:
        self._delivery.check_resend_link(request)

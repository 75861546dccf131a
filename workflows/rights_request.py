"""One data-subject request, from receipt to delivery, read top to bottom.

received -> identity -> collecting -> review -> packaging -> delivery -> delivered
               └─> closed (identity not verified)          (package kept, then deleted)

Beside the main line runs the statutory clock (Art. 12(3)): reminders to the privacy
team before the due date and an escalation on it and every working day after, all as
durable timers that move whenever the deadline moves (an extension, a stopped clock).

Every side effect is an activity named in `dsar.messages.Activity`; human steps are
Updates whose validators answer the CLI at once. The workflow keeps only process facts
(status, dates, counts, references): collected records stay in the case store.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from dsar import search_attributes as sa
    from dsar.domain import (
        ObjectionScope,
        RequestSubmission,
        Right,
        Status,
        company_action_workflow_id,
        company_workflow_id,
    )
    from dsar.messages import (
        Action,
        ActionConfirmation,
        ActionResult,
        ActionRetry,
        ActionStatus,
        Activity,
        AttachAuthorisation,
        BuildPackageInput,
        ClarificationAnswer,
        ClarificationRequest,
        ClockSettings,
        ClockStopInfo,
        CollectionPlan,
        CompanyActionInput,
        CompanyActionResult,
        CompanyCollectionInput,
        CompanyCollectionResult,
        CompanyProgress,
        CompanyTarget,
        ConfirmIdentityCodeInput,
        DeadlineEvent,
        DeadlineInput,
        DeadlineResult,
        DecideMatchesInput,
        DeletePackageInput,
        ExcludeRecords,
        ExtensionDecision,
        FindHeldContactsInput,
        HeldContacts,
        IdentityDecision,
        IdentityMethod,
        IdentityProgress,
        IndexNamesInput,
        KeepFinding,
        LegalHold,
        LiftRestriction,
        ManualRedaction,
        MatchDecision,
        NotificationKind,
        NotificationResult,
        ObjectionDecision,
        PackageDeletion,
        PackageResult,
        PortableInput,
        RecordActionResultInput,
        RecordSystemResultInput,
        RedactionDecisionInput,
        RefusalDecision,
        RequestState,
        ResendLinkRequest,
        ReviewDecision,
        RightsRequestInput,
        ScanResult,
        SendIdentityCode,
        SendNotification,
        SensitiveReason,
        SentNotice,
        StatusChange,
        StopReason,
        SuppressionResult,
        SystemDecision,
        SystemResult,
        SystemStatus,
        TransmissionResult,
        UploadedFile,
        notice_key,
    )
    from dsar.roles import Role, RoleGrants
    from workflows.company_action import CompanyActionWorkflow
    from workflows.company_collection import CompanyCollectionWorkflow

T = TypeVar("T")

ACTIVITY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(minutes=1),
    non_retryable_error_types=["InvalidRequestError"],
)
SYSTEM_ACTOR = "dsar-workflow"
IDENTITY_NOT_VERIFIED = "identity_not_verified"
REFUSED = "refused_unfounded_or_excessive"
# A company whose names cannot be indexed (its database is down) must not hold up review
# for ever; its e-mail addresses, numbers and the other companies' names are still found.
NAME_INDEX_RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), maximum_attempts=5)
# Who tells the workflow that the person typed the right code on the verification page.
VERIFICATION_PAGE_ACTOR = "verification-page"
# A company whose worker does not answer the identity search in this time counts as "nothing found".
IDENTITY_SEARCH_TIMEOUT = timedelta(minutes=10)
_SENSITIVE_WORDS = {
    SensitiveReason.ERASURE: "it asks for erasure",
    SensitiveReason.NEW_CONTACT: "its e-mail address is not one the group holds for the person",
    SensitiveReason.AGENT: "an agent acts for the person",
}


@workflow.defn
class RightsRequestWorkflow:
    def __init__(self) -> None:
        self._state: RequestState | None = None
        self._req: RightsRequestInput | None = None
        self._identity: IdentityDecision | None = None
        self._approval: ReviewDecision | None = None
        self._grants = RoleGrants()
        self._clock = ClockSettings()
        self._stops: list[ClockStopInfo] = []
        self._deadline: DeadlineResult | None = None
        self._deadline_version = 0
        self._questions = 0
        self._closed = False
        self._failed_published = False
        self._refusal: RefusalDecision | None = None
        # Delivery after the fact: re-sent links, and the package's deletion, one at a time.
        self._delivery_lock = asyncio.Lock()
        self._keeping_package = False
        self._resends = 0
        # Scans and review decisions under way: the package waits for them.
        self._review_busy = 0
        # The rights other than access: the company plan, each (company, action)'s latest
        # round and the ones running, the objection decision and the lifting of a restriction.
        self._plan_cache: CollectionPlan | None = None
        self._action_rounds: dict[tuple[str, Action], int] = {}
        self._acting: set[tuple[str, Action]] = set()
        self._objection: ObjectionDecision | None = None
        self._lift: LiftRestriction | None = None

    @workflow.run
    async def run(self, req: RightsRequestInput) -> RequestState:
        self._req = req
        sub = req.submission
        self._state = RequestState(
            reference=req.reference,
            status=Status.RECEIVED,
            rights=sub.rights,
            jurisdiction=sub.jurisdiction,
            received_on=sub.received_on,
        )
        self._clock = await self._activity(Activity.LOAD_CLOCK_SETTINGS, req.reference, ClockSettings)
        await self._recompute_deadline()
        await self._activity(Activity.REGISTER_REQUEST, req, type(None))
        await self._set_status(Status.RECEIVED, req.submitted_by)
        await self._notify(NotificationKind.ACKNOWLEDGEMENT)
        clock = asyncio.create_task(self._watch_deadline())

        # Identity: nothing is collected before the requester is known to be the person.
        # Where the jurisdiction says so (the ICO), the clock waits for the evidence.
        await self._refresh_grants()
        self._stops.append(ClockStopInfo(reason=StopReason.IDENTITY, started_at=workflow.now()))
        await self._recompute_deadline()
        await self._prepare_identity()
        await self._set_status(Status.IDENTITY, SYSTEM_ACTOR)
        if not await self._await_identity():
            await self._close_unverified()
            return await self._finish(clock)
        if self._refusal is not None:
            await self._close_refused()
            return await self._finish(clock)
        assert self._identity is not None
        self._stops[0].resumed_at = workflow.now()
        await self._recompute_deadline()
        self._state.identity_verified_by = self._identity.actor
        if self._state.identity is not None:
            self._state.identity.method = self._identity.method
        await self._set_status(
            Status.COLLECTING, self._identity.actor, {"identity_method": self._identity.method}
        )

        rights = set(req.submission.rights)
        # Rights other than access compose their steps below; access alone runs the access line.
        acting = bool(rights - {Right.ACCESS})
        if acting:
            # Art. 21(3) and 7(3): no balancing and no review, so at once.
            await self._act_at_once()
        if not acting or self._needs_review():
            if self._state.status is not Status.COLLECTING:  # after acting at once
                await self._set_status(Status.COLLECTING, SYSTEM_ACTOR)
            # Fan-out: one child per company, on that company's task queue.
            plan = await self._plan()
            self._state.companies = [
                CompanyProgress(company=c.code, task_queue=c.task_queue) for c in plan.companies
            ]
            await asyncio.gather(*(self._collect(c.code) for c in plan.companies))
            await self._scan_for_others_data([c.code for c in plan.companies])

            # Review: a person approves what will be sent and done.
            await self._refresh_grants()
            await self._set_status(Status.REVIEW, SYSTEM_ACTOR)
            await workflow.wait_condition(
                lambda: (self._approval is not None and self._review_busy == 0) or self._refusal is not None
            )
            if self._refusal is not None:
                await self._close_refused()
                return await self._finish(clock)
            assert self._approval is not None
            self._state.approved_by = self._approval.actor
            if not acting or rights & {Right.ACCESS, Right.PORTABILITY}:
                await self._deliver_package(portable=acting and Right.PORTABILITY in rights)
            if acting:
                # The copy goes out before anything is changed or erased.
                await self._act_after_review()
        if acting:
            await self._finish_other_rights()
        self._state.delivered_at = workflow.now()
        await self._set_status(Status.DELIVERED, SYSTEM_ACTOR)
        after: list[Coroutine[Any, Any, None]] = []
        if self._state.package is not None:
            after.append(self._keep_then_delete_package(clock))
        if self._state.restriction_active:
            after.append(self._await_lift(clock))
        await asyncio.gather(*after)
        return await self._finish(clock)

    async def _deliver_package(self, portable: bool) -> None:
        req = self._req
        state = self._current()
        assert req is not None and self._approval is not None
        await self._set_status(Status.PACKAGING, self._approval.actor)
        state.package = await self._activity(
            Activity.BUILD_PACKAGE,
            BuildPackageInput(reference=req.reference, portable=portable),
            PackageResult,
            timeout=timedelta(hours=1),
        )
        await self._set_status(Status.DELIVERY, SYSTEM_ACTOR)
        await self._send_download_link(occasion="")
        if portable and req.submission.transmit_to:
            # Art. 20(2): straight to the other controller, once.
            state.transmitted = await self._activity(
                Activity.TRANSMIT_PORTABLE_DATA,
                PortableInput(reference=req.reference, transmit_to=req.submission.transmit_to),
                TransmissionResult,
                timeout=timedelta(minutes=10),
            )
            await self._record("portability.transmitted", SYSTEM_ACTOR, {"bytes": state.transmitted.bytes})

    # --- the rights other than access ----------------------------------------------------

    def _needs_review(self) -> bool:
        """Only an objection to direct marketing and a withdrawal of consent act without one."""
        sub = self._submission()
        rights = set(sub.rights)
        reviewed = {Right.ACCESS, Right.PORTABILITY, Right.RECTIFICATION, Right.ERASURE, Right.RESTRICTION}
        other_objection = sub.objection is not None and sub.objection.scope is ObjectionScope.OTHER
        return bool(rights & reviewed) or other_objection

    async def _act_at_once(self) -> None:
        sub = self._submission()
        state = self._current()
        dm_objection = sub.objection is not None and sub.objection.scope is ObjectionScope.DIRECT_MARKETING
        if not dm_objection and Right.CONSENT_WITHDRAWAL not in sub.rights:
            return
        await self._set_status(Status.EXECUTING, SYSTEM_ACTOR)
        if dm_objection:
            listed = await self._activity(
                Activity.ADD_TO_SUPPRESSION_LIST, state.reference, SuppressionResult
            )
            await self._record("objection.suppression_listed", SYSTEM_ACTOR, {"entries": listed.entries})
            await self._act_everywhere(Action.SUPPRESS_MARKETING)
        if Right.CONSENT_WITHDRAWAL in sub.rights:
            await self._act_everywhere(Action.WITHDRAW_CONSENT)

    async def _act_after_review(self) -> None:
        """Corrections first, then the restriction flag, erasure last (after the copy)."""
        sub = self._submission()
        state = self._current()
        assert self._approval is not None
        await self._set_status(Status.EXECUTING, self._approval.actor)
        if Right.RECTIFICATION in sub.rights:
            await self._act_everywhere(Action.RECTIFY)
        if Right.RESTRICTION in sub.rights or state.objection_upheld:
            # An upheld objection (Art. 21(1)) stops the processing: the data is only stored.
            await self._act_everywhere(Action.RESTRICT)
            state.restriction_active = True
        if Right.ERASURE in sub.rights:
            await self._act_everywhere(Action.ERASE)

    async def _finish_other_rights(self) -> None:
        """Art. 19: tell every recipient of changed data; then tell the person what was done."""
        await self._notify_recipients([Action.RECTIFY, Action.ERASE, Action.RESTRICT])
        state = self._current()
        await self._activity(
            Activity.SEND_NOTIFICATION,
            SendNotification(
                reference=state.reference,
                kind=NotificationKind.OUTCOME,
                text=self._objection.grounds.strip() if self._objection else None,
                objection_upheld=self._objection.uphold if self._objection else None,
            ),
            NotificationResult,
        )
        state.notices.append(SentNotice(kind=NotificationKind.OUTCOME, occasion="", at=workflow.now()))
        self._update_details()

    async def _notify_recipients(self, actions: list[Action]) -> None:
        state = self._current()
        told: dict[str, list[Action]] = {}
        for result in state.actions:
            if result.action in actions and result.action.tells_recipients and result.changed > 0:
                for code in result.recipients:
                    told.setdefault(code, [])
                    if result.action not in told[code]:
                        told[code].append(result.action)
        for code in sorted(told):
            await self._activity(
                Activity.SEND_NOTIFICATION,
                SendNotification(
                    reference=state.reference,
                    kind=NotificationKind.RECIPIENT_NOTICE,
                    occasion=code,
                    recipient=code,
                    actions=told[code],
                ),
                NotificationResult,
            )
            state.recipients_notified.append(code)

    async def _act_everywhere(self, action: Action) -> None:
        """One child per company for this action; then wait until no system is left failed."""
        plan = await self._plan()
        await asyncio.gather(*(self._act_in(c, action) for c in plan.companies))
        await workflow.wait_condition(lambda: not self._failed_actions(action))

    async def _act_in(self, company: CompanyTarget, action: Action, systems: list[str] | None = None) -> None:
        state = self._current()
        sub = self._submission()
        key = (company.code, action)
        round = self._action_rounds.get(key, -1) + 1
        self._action_rounds[key] = round
        self._acting.add(key)
        self._update_details()
        try:
            result: CompanyActionResult = await workflow.execute_child_workflow(
                CompanyActionWorkflow.run,
                CompanyActionInput(
                    reference=state.reference,
                    company=company.code,
                    action=action,
                    corrections=sub.corrections if action is Action.RECTIFY else [],
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
            self._acting.discard(key)
        for system in result.systems:
            self._put_action(system)

    def _put_action(self, result: ActionResult) -> None:
        state = self._current()
        state.actions = [
            a
            for a in state.actions
            if (a.company, a.system, a.action) != (result.company, result.system, result.action)
        ] + [result]
        self._publish_failed()

    def _failed_actions(self, action: Action) -> list[ActionResult]:
        return [a for a in self._current().actions if a.action is action and a.status is ActionStatus.FAILED]

    async def _await_lift(self, clock: asyncio.Task[None]) -> None:
        """Art. 18(3): the restriction stays until the team lifts it, and the person is told first."""
        state = self._current()
        self._closed = True  # answered: the statutory clock has nothing left to watch
        await clock
        await self._refresh_grants()
        self._update_details()
        await workflow.wait_condition(lambda: self._lift is not None)
        assert self._lift is not None
        await self._notify(NotificationKind.RESTRICTION_LIFT, text=self._lift.reason.strip())
        await self._record("restriction.lifting", self._lift.actor, {})
        await self._act_everywhere(Action.LIFT_RESTRICTION)
        state.restriction_active = False
        state.restriction_lifted_at = workflow.now()
        await self._record("restriction.lifted", self._lift.actor, {})
        self._update_details()

    async def _plan(self) -> CollectionPlan:
        if self._plan_cache is None:
            self._plan_cache = await self._activity(
                Activity.PLAN_COLLECTION, self._current().reference, CollectionPlan
            )
        return self._plan_cache

    def _submission(self) -> RequestSubmission:
        assert self._req is not None
        return self._req.submission

    # --- after delivery ----------------------------------------------------------------

    async def _send_download_link(self, occasion: str) -> None:
        """Link and code travel in two e-mails, so one intercepted or forwarded mail is not enough."""
        await self._notify(NotificationKind.DELIVERY, occasion=occasion)
        await self._notify(NotificationKind.DOWNLOAD_CODE, occasion=occasion)

    async def _keep_then_delete_package(self, clock: asyncio.Task[None]) -> None:
        """Art. 5(1)(e): the copy made for the person is kept only while they may still fetch it."""
        state = self._current()
        self._closed = True  # answered: the statutory clock has nothing left to watch
        await clock
        await self._refresh_grants()  # who may re-send the link from now on
        self._keeping_package = True
        self._update_details()
        await workflow.sleep(timedelta(days=self._clock.package_retention_days))
        async with self._delivery_lock:
            self._keeping_package = False
            deletion = await self._activity(
                Activity.DELETE_PACKAGE,
                DeletePackageInput(
                    reference=state.reference, retention_days=self._clock.package_retention_days
                ),
                PackageDeletion,
            )
        # Workflow time, like delivered_at; the case store holds the wall-clock moment.
        state.package_deleted_at = workflow.now()
        if deletion.artefact_id is None:
            workflow.logger.warning("no package found to delete")
        self._update_details()

    @workflow.update
    async def resend_link(self, request: ResendLinkRequest) -> RequestState:
        """A new link and code (lost e-mail, expired or locked link); the earlier ones stop working."""
        state = self._current()
        async with self._delivery_lock:
            if not self._keeping_package:  # deleted while this update waited for the lock
                raise ApplicationError("the package has been deleted; there is nothing left to send")
            self._resends += 1
            occasion = f"resend-{self._resends}"
            await self._send_download_link(occasion)
            state.links_resent = self._resends
            await self._record("download.link_resent", request.actor, {}, occasion=occasion)
        return state

    @resend_link.validator
    def _check_resend_link(self, request: ResendLinkRequest) -> None:
        self._require(request.actor, Role.REVIEWER)
        state = self._current()
        if state.package_deleted_at is not None:
            raise ValueError("the package has been deleted after its retention period; nothing to send")
        if state.status is not Status.DELIVERED or not self._keeping_package:
            raise ValueError(
                f"a new download link can only be sent once the answer is delivered "
                f"(the request is now '{state.status.value}')"
            )

    # --- human steps -------------------------------------------------------------------

    @workflow.update
    async def verify_identity(self, decision: IdentityDecision) -> RequestState:
        if decision.method == IdentityMethod.EMAIL_CODE.value:
            # The code was checked outside (CLI or page); the case store says whether it was right.
            try:
                await self._activity(
                    Activity.CONFIRM_IDENTITY_CODE,
                    ConfirmIdentityCodeInput(
                        reference=self._current().reference, challenge=decision.challenge or ""
                    ),
                    bool,
                )
            except ActivityError:
                raise ApplicationError("no right code has been entered for this request") from None
        if self._identity is None:  # another confirmation may have won while this one waited
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
        self._check_method(decision)

    def _check_method(self, decision: IdentityDecision) -> None:
        """Methods by risk (legal rules, Identity): the worse a mistake would hurt, the stronger the check."""
        methods = {m.value for m in IdentityMethod} - {IdentityMethod.PRIVACY_TEAM_CHECK.value}
        if decision.method not in methods:
            raise ValueError(f"method: choose how identity was confirmed: {', '.join(sorted(methods))}")
        method = IdentityMethod(decision.method)
        if not (method is IdentityMethod.EMAIL_CODE and decision.actor == VERIFICATION_PAGE_ACTOR):
            self._require(decision.actor, Role.REVIEWER)
        progress = self._identity_progress()
        if progress.agent and not progress.authorisation_attached:
            raise ValueError(
                "an agent acts for the person: attach the person's written authorisation first"
                " (dsar attach-authorisation)"
            )
        if progress.sensitive and method is not IdentityMethod.DOCUMENT_CHECK:
            why = "; ".join(_SENSITIVE_WORDS[r] for r in progress.sensitive)
            raise ValueError(f"this request needs a document check ({why}); {method.value} is not enough")
        if method is IdentityMethod.CUSTOMER_RECORD and not progress.customer_records:
            raise ValueError("no customer record of the group matches the identity given; check a document")
        if method is IdentityMethod.EMAIL_CODE and (not progress.codes_sent or not decision.challenge):
            raise ValueError("no code has been sent for this request, or none was given")
        if method is IdentityMethod.DOCUMENT_CHECK and not (decision.note or "").strip():
            raise ValueError("note: say which document was checked (not its number); it goes on record")

    def _identity_progress(self) -> IdentityProgress:
        progress = self._current().identity
        if progress is None:
            raise ValueError("identity is not open yet for this request")
        return progress

    @workflow.update
    async def attach_authorisation(self, request: AttachAuthorisation) -> RequestState:
        """The agent's written authorisation from the person, already in the case bucket."""
        progress = self._identity_progress()
        progress.authorisation_attached = True
        self._update_details()
        await self._record(
            "identity.authorisation_attached",
            request.actor,
            {"sha256": request.file.sha256, "bytes": request.file.bytes},
        )
        return self._current()

    @attach_authorisation.validator
    def _check_authorisation(self, request: AttachAuthorisation) -> None:
        self._require(request.actor, Role.REVIEWER)
        state = self._current()
        if state.status not in (Status.RECEIVED, Status.IDENTITY) or self._identity is not None:
            raise ValueError(f"identity is no longer open (the request is now '{state.status.value}')")
        if not self._identity_progress().agent:
            raise ValueError("no agent acts for the person in this request")

    @workflow.update
    async def send_identity_code(self, request: SendIdentityCode) -> RequestState:
        """A new code (expired, locked, lost); the one before stops working."""
        await self._send_identity_code()
        await self._record(
            "identity.code_resent", request.actor, {}, occasion=str(self._identity_progress().codes_sent)
        )
        return self._current()

    @send_identity_code.validator
    def _check_send_code(self, request: SendIdentityCode) -> None:
        self._require(request.actor, Role.REVIEWER)
        state = self._current()
        if state.status is not Status.IDENTITY or self._identity is not None:
            raise ValueError(f"identity is no longer open (the request is now '{state.status.value}')")
        progress = self._identity_progress()
        if progress.sensitive:
            raise ValueError("this request needs a document check; a code would not be enough")
        if not progress.email_held:
            raise ValueError("the group holds no e-mail address for the person to send a code to")

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
        busy = [c.company for c in state.companies if not c.done]
        if busy:
            raise ValueError(f"collection is still running in {', '.join(busy)}; approve when it is done")
        objection = self._submission().objection
        if objection is not None and objection.scope is ObjectionScope.OTHER and self._objection is None:
            raise ValueError(
                "the objection must be decided first (dsar decide-objection): upheld, or overridden by"
                " compelling legitimate grounds"
            )

    # --- decisions for the rights other than access ------------------------------------------

    @workflow.update
    async def place_legal_hold(self, hold: LegalHold) -> RequestState:
        """Art. 17(3)(e): the system's data is kept despite the erasure, and the letter says why."""
        state = self._current()
        state.legal_holds[f"{hold.company}/{hold.system}"] = hold.reason.strip()
        await self._record("erasure.legal_hold", hold.actor, {"system": f"{hold.company}/{hold.system}"})
        self._update_details()
        return state

    @place_legal_hold.validator
    def _check_legal_hold(self, hold: LegalHold) -> None:
        self._require(hold.actor, Role.REVIEWER)
        if Right.ERASURE not in self._current().rights:
            raise ValueError("a legal hold only applies to an erasure request")
        if not hold.reason.strip():
            raise ValueError("reason: a legal hold needs its legal ground; the person is told it")
        self._check_reviewing("a legal hold is placed during review")
        self._system(self._progress(hold.company), hold.system)

    @workflow.update
    async def decide_objection(self, decision: ObjectionDecision) -> RequestState:
        """Art. 21(1): processing stops unless compelling legitimate grounds override the objection."""
        state = self._current()
        self._objection = decision
        state.objection_upheld = decision.uphold
        await self._record(
            "objection.decided",
            decision.actor,
            {"upheld": decision.uphold, "grounds_chars": len(decision.grounds)},
        )
        self._update_details()
        return state

    @decide_objection.validator
    def _check_objection(self, decision: ObjectionDecision) -> None:
        self._require(decision.actor, Role.REVIEWER)
        objection = self._submission().objection
        if objection is None or objection.scope is not ObjectionScope.OTHER:
            raise ValueError("only an objection to processing other than direct marketing is decided")
        if not decision.grounds.strip():
            raise ValueError("grounds: say why the objection is upheld or overridden; the person is told")
        self._check_reviewing("an objection is decided during review")

    def _check_reviewing(self, what: str) -> None:
        state = self._current()
        if state.status is not Status.REVIEW or self._approval is not None:
            raise ValueError(f"{what} (the request is now '{state.status.value}')")

    @workflow.update
    async def confirm_action(self, confirmation: ActionConfirmation) -> RequestState:
        """A manual system's owner did what was asked, or the team settles a failed system."""
        state = self._current()
        key = (confirmation.company, confirmation.action)
        if key in self._acting:
            child = company_action_workflow_id(
                state.reference, confirmation.company, confirmation.action.value, self._action_rounds[key]
            )
            await workflow.get_external_workflow_handle(child).signal(
                CompanyActionWorkflow.confirm_action, confirmation
            )
        else:
            current = self._action_result(confirmation.company, confirmation.system, confirmation.action)
            settled = current.model_copy(
                update={
                    "status": ActionStatus.DONE if confirmation.done else ActionStatus.NOT_APPLICABLE,
                    "changed": confirmation.changed,
                    "note": confirmation.note.strip() or None,
                    "error": None,
                }
            )
            recorded: ActionResult = await workflow.execute_activity(
                Activity.RECORD_ACTION_RESULT,
                RecordActionResultInput(
                    reference=state.reference,
                    result=settled,
                    actor=confirmation.actor,
                    occasion=f"settled#r{self._action_rounds.get(key, 0)}",
                ),
                result_type=ActionResult,
                task_queue=self._company_queue(confirmation.company),
                start_to_close_timeout=timedelta(minutes=5),
                retry_policy=ACTIVITY_RETRY,
            )
            self._put_action(recorded)
        return state

    @confirm_action.validator
    def _check_confirm_action(self, confirmation: ActionConfirmation) -> None:
        self._require(confirmation.actor, Role.REVIEWER)
        if not confirmation.done and not confirmation.note.strip():
            raise ValueError("note: say why the system cannot take the action; it goes on record")
        if (confirmation.company, confirmation.action) in self._acting:
            return  # the company's child knows which systems wait for their owner, and checks
        current = self._action_result(confirmation.company, confirmation.system, confirmation.action)
        if current.status is not ActionStatus.FAILED:
            raise ValueError(
                f"system: {confirmation.company}/{confirmation.system} is {current.status.value} for"
                f" {confirmation.action.value}; only a failed system, or one waiting for its owner,"
                " is confirmed"
            )

    @workflow.update
    async def retry_action(self, retry: ActionRetry) -> RequestState:
        """Take a failed action again in one system, as a new round of its company's child."""
        await self._record(
            "action.retry",
            retry.actor,
            {"system": f"{retry.company}/{retry.system}", "action": retry.action.value},
        )
        plan = await self._plan()
        company = next(c for c in plan.companies if c.code == retry.company)
        await self._act_in(company, retry.action, [retry.system])
        return self._current()

    @retry_action.validator
    def _check_retry_action(self, retry: ActionRetry) -> None:
        self._require(retry.actor, Role.REVIEWER)
        current = self._action_result(retry.company, retry.system, retry.action)
        if current.status is not ActionStatus.FAILED:
            raise ValueError(
                f"system: {retry.company}/{retry.system} is {current.status.value} for {retry.action.value};"
                " only a failed action is taken again"
            )
        if (retry.company, retry.action) in self._acting:
            raise ValueError(f"company: {retry.action.value} is still running in {retry.company}")

    @workflow.update
    async def lift_restriction(self, request: LiftRestriction) -> RequestState:
        """The main line tells the person first (Art. 18(3)), then clears the flags everywhere."""
        self._lift = request
        return self._current()

    @lift_restriction.validator
    def _check_lift(self, request: LiftRestriction) -> None:
        self._require(request.actor, Role.REVIEWER)
        if not request.reason.strip():
            raise ValueError("reason: the person is told why the restriction is lifted")
        state = self._current()
        if not state.restriction_active or state.status is not Status.DELIVERED:
            raise ValueError("no restriction is in force for this request")
        if self._lift is not None:
            raise ValueError("the restriction is already being lifted")

    def _action_result(self, company: str, system: str, action: Action) -> ActionResult:
        for result in self._current().actions:
            if (result.company, result.system, result.action) == (company, system, action):
                return result
        raise ValueError(
            f"system: {company}/{system} has not been asked to {action.value} yet (the request is now"
            f" '{self._current().status.value}'); confirm once its owner has the task"
        )

    def _company_queue(self, company: str) -> str:
        assert self._plan_cache is not None
        return next(c.task_queue for c in self._plan_cache.companies if c.code == company)

    # --- decisions about single systems ---------------------------------------------------

    @workflow.update
    async def attach_upload(self, upload: UploadedFile) -> RequestState:
        """A manual system's export, already in the case bucket, handed to the waiting company."""
        progress = self._progress(upload.company)
        await workflow.get_external_workflow_handle(self._child_id(progress)).signal(
            CompanyCollectionWorkflow.attach_upload, upload
        )
        await self._record(
            "system.upload_attached",
            upload.actor,
            {"system": f"{upload.company}/{upload.system}", "bytes": upload.bytes, "sha256": upload.sha256},
        )
        return self._current()

    @attach_upload.validator
    def _check_upload(self, upload: UploadedFile) -> None:
        self._require(upload.actor, Role.REVIEWER)
        progress = self._progress(upload.company)
        if progress.done:
            raise ValueError(
                f"system: {upload.company}/{upload.system} is not waiting for an upload;"
                " ask for a re-collection with dsar retry first"
            )

    @workflow.update
    async def mark_not_applicable(self, decision: SystemDecision) -> RequestState:
        """The system holds nothing relevant (or cannot be searched), with the reason on record."""
        progress = self._progress(decision.company)
        if not progress.done:
            await workflow.get_external_workflow_handle(self._child_id(progress)).signal(
                CompanyCollectionWorkflow.mark_not_applicable, decision
            )
        else:
            system = self._system(progress, decision.system)
            settled = system.model_copy(
                update={"status": SystemStatus.NOT_APPLICABLE, "note": decision.reason.strip(), "error": None}
            )
            progress.systems = [settled if s.system == system.system else s for s in progress.systems]
            await self._activity(
                Activity.RECORD_SYSTEM_RESULT,
                RecordSystemResultInput(
                    reference=self._current().reference,
                    result=settled,
                    actor=decision.actor,
                    occasion=f"r{progress.rounds}",
                ),
                type(None),
            )
            self._settle(progress)
        return self._current()

    @mark_not_applicable.validator
    def _check_not_applicable(self, decision: SystemDecision) -> None:
        self._require(decision.actor, Role.REVIEWER)
        if not decision.reason.strip():
            raise ValueError("reason: say why the system does not apply; it goes on record")
        state = self._current()
        if self._closed or not state.status.is_open:
            raise ValueError(f"the request is already {state.status.value}")
        progress = self._progress(decision.company)
        if progress.done:
            system = self._system(progress, decision.system)
            if system.status is not SystemStatus.FAILED:
                raise ValueError(
                    f"system: {decision.company}/{decision.system} is {system.status.value};"
                    " only a failed or outstanding system can be marked not applicable"
                )

    @workflow.update
    async def retry_system(self, decision: SystemDecision) -> RequestState:
        """Collect one system again (it failed, or the reviewer sent it back)."""
        progress = self._progress(decision.company)
        progress.rounds += 1
        await self._record(
            "system.recollect",
            decision.actor,
            {"system": f"{decision.company}/{decision.system}", "round": progress.rounds},
        )
        await self._collect(decision.company, [decision.system])
        # New records, new record ids: scan again.
        await self._scan_for_others_data([decision.company])
        return self._current()

    @retry_system.validator
    def _check_retry(self, decision: SystemDecision) -> None:
        self._require(decision.actor, Role.REVIEWER)
        state = self._current()
        if state.status is not Status.REVIEW or self._approval is not None:
            raise ValueError(
                f"a system can be collected again while the request waits for review (it is now "
                f"'{state.status.value}')"
            )
        progress = self._progress(decision.company)
        if not progress.done:
            raise ValueError(f"company: {decision.company} is still collecting")
        self._system(progress, decision.system)

    @workflow.update
    async def confirm_matches(self, decision: MatchDecision) -> int:
        """Records found only by name and postcode enter the package once a reviewer confirms them."""
        return await self._activity(
            Activity.DECIDE_MATCHES,
            DecideMatchesInput(reference=self._current().reference, decision=decision),
            int,
        )

    @confirm_matches.validator
    def _check_matches(self, decision: MatchDecision) -> None:
        self._require(decision.actor, Role.REVIEWER)
        state = self._current()
        if state.status is not Status.REVIEW or self._approval is not None:
            raise ValueError(
                f"matches are confirmed during review (the request is now '{state.status.value}')"
            )

    # --- redaction decisions (Art. 15(4)) ---------------------------------------------------

    @workflow.update
    async def exclude_records(self, decision: ExcludeRecords) -> int:
        """Leave whole records out (privilege, trade secret, another person's rights)."""
        return await self._decide(
            RedactionDecisionInput(reference=self._current().reference, exclude=decision)
        )

    @exclude_records.validator
    def _check_exclude(self, decision: ExcludeRecords) -> None:
        self._check_review_decision(decision.actor)
        if not decision.note.strip():
            raise ValueError("note: say what the record is and why the reason applies; it goes on record")

    @workflow.update
    async def redact_field(self, decision: ManualRedaction) -> int:
        """Remove text the detector missed; the person is told a reviewer removed it, and why."""
        return await self._decide(
            RedactionDecisionInput(reference=self._current().reference, redact=decision)
        )

    @redact_field.validator
    def _check_redact(self, decision: ManualRedaction) -> None:
        self._check_review_decision(decision.actor)
        if not decision.reason.strip():
            raise ValueError("reason: a redaction needs a reason; the person is told it")

    @workflow.update
    async def keep_finding(self, decision: KeepFinding) -> int:
        """Overrule one automatic redaction: the value stays in the copy."""
        return await self._decide(RedactionDecisionInput(reference=self._current().reference, keep=decision))

    @keep_finding.validator
    def _check_keep(self, decision: KeepFinding) -> None:
        self._check_review_decision(decision.actor)
        if not decision.reason.strip():
            raise ValueError("reason: say why the value may be disclosed; it goes on record")

    def _check_review_decision(self, actor: str) -> None:
        self._require(actor, Role.REVIEWER)
        state = self._current()
        if state.status is not Status.REVIEW or self._approval is not None:
            raise ValueError(
                f"redaction decisions are made during review (the request is now '{state.status.value}')"
            )

    async def _decide(self, decision: RedactionDecisionInput) -> int:
        """One activity for every decision; a decision naming nothing of this request is
        refused with the activity's reason, so the CLI can show it."""
        self._review_busy += 1
        try:
            return await self._activity(Activity.DECIDE_REDACTION, decision, int)
        except ActivityError as err:
            cause = err.cause
            if isinstance(cause, ApplicationError) and cause.type == "InvalidRequestError":
                raise ApplicationError(cause.message) from None
            raise
        finally:
            self._review_busy -= 1

    async def _scan_for_others_data(self, companies: list[str]) -> None:
        """Each company indexes the names it knows (on its own queue, so its customer list
        stays inside it), then one scan over all records finds other people's data."""
        state = self._current()
        self._review_busy += 1
        try:

            async def index(code: str) -> bool:
                try:
                    await workflow.execute_activity(
                        Activity.INDEX_KNOWN_NAMES,
                        IndexNamesInput(reference=state.reference, company=code),
                        result_type=int,
                        task_queue=self._progress(code).task_queue,
                        start_to_close_timeout=timedelta(minutes=30),
                        retry_policy=NAME_INDEX_RETRY,
                    )
                except ActivityError:
                    return False
                return True

            indexed = await asyncio.gather(*(index(code) for code in companies))
            missing = {code for code, ok in zip(companies, indexed, strict=True) if not ok}
            state.names_not_indexed = sorted((set(state.names_not_indexed) - set(companies)) | missing)
            if missing:
                workflow.logger.warning("names not indexed in %s", ", ".join(sorted(missing)))
            scan = await self._activity(
                Activity.SCAN_REDACTIONS, state.reference, ScanResult, timeout=timedelta(hours=1)
            )
            state.redaction_findings = scan.findings
            self._update_details()
        finally:
            self._review_busy -= 1

    @workflow.update
    async def refuse(self, decision: RefusalDecision) -> RequestState:
        """Art. 12(5)(b): refuse a manifestly unfounded or excessive request; the main line closes it."""
        self._refusal = decision
        return self._current()

    @refuse.validator
    def _check_refuse(self, decision: RefusalDecision) -> None:
        self._require(decision.actor, Role.REVIEWER)
        if not decision.reason.strip():
            raise ValueError("reason: a refusal must give the person its reasons (Art. 12(4))")
        state = self._current()
        if self._refusal is not None:
            raise ValueError("the request has already been refused")
        if state.status not in (Status.IDENTITY, Status.REVIEW) or self._approval is not None:
            raise ValueError(
                f"a request can be refused while it waits for identity or for review "
                f"(it is now '{state.status.value}')"
            )

    @workflow.update
    async def extend(self, decision: ExtensionDecision) -> RequestState:
        """Art. 12(3): up to two more months, told to the person with reasons in time."""
        state = self._current()
        if state.extended:  # a second update validated before the first one ran
            raise ValueError("the deadline has already been extended once")
        state.extended = True
        state.extension_reason = decision.reason.strip()
        await self._recompute_deadline()
        await self._record("deadline.extended", decision.actor, {"due_on": _iso(state.due_on)})
        await self._notify(NotificationKind.EXTENSION, text=state.extension_reason)
        return state

    @extend.validator
    def _check_extend(self, decision: ExtensionDecision) -> None:
        self._require(decision.actor, Role.REVIEWER)
        state = self._current()
        if not decision.reason.strip():
            raise ValueError("reason: an extension needs a reason, since the person must be told why")
        if self._closed or not state.status.is_open:
            raise ValueError(f"the request is already {state.status.value}")
        if state.extended:
            raise ValueError("the deadline has already been extended once")
        deadline = self._current_deadline()
        if deadline.extension_notice_by_at is None:
            raise ValueError(
                "no extension is possible now: the clock is stopped, or the jurisdiction allows none"
            )
        if workflow.now() > deadline.extension_notice_by_at:
            raise ValueError(
                f"too late: the person had to be told of an extension by the original due date "
                f"{_iso(deadline.extension_notice_by)}"
            )

    @workflow.update
    async def clarify(self, request: ClarificationRequest) -> RequestState:
        """Ask the person a question; by the jurisdiction's policy the clock waits for the answer."""
        state = self._current()
        self._questions += 1
        state.open_question = True
        self._stops.append(ClockStopInfo(reason=StopReason.CLARIFICATION, started_at=workflow.now()))
        await self._recompute_deadline()
        await self._record("clarification.asked", request.actor, {}, occasion=str(self._questions))
        await self._notify(
            NotificationKind.CLARIFICATION, occasion=str(self._questions), text=request.question.strip()
        )
        return state

    @clarify.validator
    def _check_clarify(self, request: ClarificationRequest) -> None:
        self._require(request.actor, Role.REVIEWER)
        if not request.question.strip():
            raise ValueError("question: must not be empty")
        state = self._current()
        if self._closed or not state.status.is_open:
            raise ValueError(f"the request is already {state.status.value}")
        if state.open_question:
            raise ValueError("a question to the person is already waiting for an answer")

    @workflow.update
    async def answer(self, answer: ClarificationAnswer) -> RequestState:
        state = self._current()
        state.open_question = False
        for stop in self._stops:
            if stop.reason is StopReason.CLARIFICATION and stop.resumed_at is None:
                stop.resumed_at = workflow.now()
        await self._recompute_deadline()
        await self._record(
            "clarification.answered", answer.actor, {"due_on": _iso(state.due_on)}, str(self._questions)
        )
        return state

    @answer.validator
    def _check_answer(self, answer: ClarificationAnswer) -> None:
        self._require(answer.actor, Role.REVIEWER)
        if not self._current().open_question:
            raise ValueError("there is no open question to the person")

    @workflow.query
    def state(self) -> RequestState:
        return self._current()

    def _require(self, actor: str, role: Role) -> None:
        try:
            self._grants.require(actor, role)
        except PermissionError as exc:
            raise ValueError(str(exc)) from None

    # --- the clock ---------------------------------------------------------------------

    async def _recompute_deadline(self) -> None:
        state = self._current()
        deadline = await self._activity(
            Activity.COMPUTE_DEADLINE,
            DeadlineInput(
                received_on=state.received_on,
                jurisdiction=state.jurisdiction,
                stops=self._stops,
                extended=state.extended,
                settings=self._clock,
            ),
            DeadlineResult,
        )
        self._deadline = deadline
        self._deadline_version += 1
        state.due_on = deadline.due_on
        state.due_at = deadline.due_at
        state.clock_stopped = deadline.clock_stopped
        updates: list[SearchAttributeUpdate[Any]] = [
            sa.DSAR_RIGHTS.value_set([r.value for r in state.rights]),
            sa.DSAR_JURISDICTION.value_set(state.jurisdiction),
            sa.DSAR_DUE_AT.value_set(deadline.due_at) if deadline.due_at else sa.DSAR_DUE_AT.value_unset(),
        ]
        workflow.upsert_search_attributes(updates)
        self._update_details()

    async def _watch_deadline(self) -> None:
        """Sleep until the next reminder or escalation; start over whenever the deadline moves."""
        while not self._closed:
            version = self._deadline_version
            moved: Callable[[], bool] = lambda v=version: self._closed or self._deadline_version != v  # type: ignore[misc]  # noqa: E731
            deadline = self._current_deadline()
            now = workflow.now()
            sent = {n.key for n in self._current().notices}
            pending = [e for e in deadline.events if notice_key(e.kind, e.occasion) not in sent]
            missed = [e for e in pending if e.at <= now and e.kind is NotificationKind.ESCALATION]
            if missed and not any(k.startswith(NotificationKind.ESCALATION.value) for k in sent):
                # Entered or resumed after its due date: escalate at once, once.
                await self._send_event(missed[-1])
                continue
            upcoming = [e for e in pending if e.at > now]
            if not upcoming:
                await workflow.wait_condition(moved)
                continue
            changed = await self._wait_until(moved, upcoming[0].at)
            if not changed:
                await self._send_event(upcoming[0])

    async def _send_event(self, event: DeadlineEvent) -> None:
        await self._notify(event.kind, occasion=event.occasion)

    async def _await_identity(self) -> bool:
        """Remind the person on the configured days; give up after the configured period."""
        started = workflow.now()
        close_at = started + timedelta(days=self._clock.identity_timeout_days)
        # A refusal ends the wait as well; the caller tells the two apart.
        verified: Callable[[], bool] = lambda: self._identity is not None or self._refusal is not None  # noqa: E731
        for days in sorted(
            d for d in self._clock.identity_reminder_days if d < self._clock.identity_timeout_days
        ):
            if await self._wait_until(verified, started + timedelta(days=days)):
                return True
            await self._notify(
                NotificationKind.IDENTITY_REMINDER, occasion=f"day-{days}", text=close_at.date().isoformat()
            )
        return await self._wait_until(verified, close_at)

    async def _prepare_identity(self) -> None:
        """What the group holds decides which methods are enough, and whether a code can be sent."""
        req = self._req
        assert req is not None
        sub = req.submission
        progress = IdentityProgress(
            agent=sub.agent is not None,
            authorisation_attached=sub.agent is not None and sub.agent.authorisation_key is not None,
        )
        if Right.ERASURE in sub.rights:
            progress.sensitive.append(SensitiveReason.ERASURE)
        if sub.agent is not None:
            progress.sensitive.append(SensitiveReason.AGENT)
        self._current().identity = progress
        plan = await self._activity(Activity.PLAN_COLLECTION, req.reference, CollectionPlan)
        found = await asyncio.gather(*(self._find_held(c) for c in plan.companies))
        progress.searched = True
        progress.customer_records = sum(f.customer_records for f in found)
        progress.email_held = any(f.email_held for f in found)
        progress.companies_unavailable = [f.company for f in found if f.unavailable]
        if not progress.email_held:
            progress.sensitive.append(SensitiveReason.NEW_CONTACT)
        await self._record(
            "identity.records_searched",
            SYSTEM_ACTOR,
            {
                "customer_records": progress.customer_records,
                "email_held": progress.email_held,
                "companies_unavailable": ",".join(progress.companies_unavailable) or None,
                "sensitive": ",".join(r.value for r in progress.sensitive) or None,
            },
        )
        if not progress.sensitive:
            await self._send_identity_code()

    async def _find_held(self, company: CompanyTarget) -> HeldContacts:
        """On the company's own queue; a company that cannot answer does not hold the request up."""
        try:
            found: HeldContacts = await workflow.execute_activity(
                Activity.FIND_HELD_CONTACTS,
                FindHeldContactsInput(reference=self._current().reference, company=company.code),
                result_type=HeldContacts,
                task_queue=company.task_queue,
                start_to_close_timeout=timedelta(minutes=2),
                schedule_to_close_timeout=IDENTITY_SEARCH_TIMEOUT,
                retry_policy=ACTIVITY_RETRY,
            )
        except ActivityError:
            return HeldContacts(company=company.code, unavailable=True)
        return found

    async def _send_identity_code(self) -> None:
        progress = self._identity_progress()
        progress.codes_sent += 1
        self._update_details()
        await self._notify(NotificationKind.IDENTITY_CODE, occasion=str(progress.codes_sent))

    async def _close_refused(self) -> None:
        """The letter gives the reasons and the person's remedies: the authority and the courts."""
        assert self._refusal is not None
        state = self._current()
        state.outcome = REFUSED
        await self._notify(NotificationKind.REFUSAL, text=self._refusal.reason.strip())
        await self._set_status(Status.REJECTED, self._refusal.actor, {"outcome": REFUSED})

    async def _close_unverified(self) -> None:
        state = self._current()
        state.outcome = IDENTITY_NOT_VERIFIED
        await self._notify(NotificationKind.IDENTITY_NOT_VERIFIED)
        await self._set_status(Status.CLOSED, SYSTEM_ACTOR, {"outcome": IDENTITY_NOT_VERIFIED})

    async def _finish(self, clock: asyncio.Task[None]) -> RequestState:
        self._closed = True
        await clock
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._current()

    async def _wait_until(self, condition: Callable[[], bool], when: datetime) -> bool:
        """True if the condition came true before `when`, False once `when` has passed."""
        remaining = when - workflow.now()
        if remaining <= timedelta(0):
            return condition()
        try:
            await workflow.wait_condition(condition, timeout=remaining)
        except TimeoutError:
            return False
        return True

    # --- steps -------------------------------------------------------------------------

    async def _refresh_grants(self) -> None:
        """Grants are read when a human step opens, so a revoked user is refused from then on."""
        self._grants = await self._activity(Activity.LOAD_ROLES, self._current().reference, RoleGrants)

    async def _collect(self, company: str, systems: list[str] | None = None) -> None:
        """Run (or re-run, for some systems) the company's child workflow and merge its results."""
        progress = self._progress(company)
        progress.done = False
        result: CompanyCollectionResult = await workflow.execute_child_workflow(
            CompanyCollectionWorkflow.run,
            CompanyCollectionInput(
                reference=self._current().reference,
                company=company,
                systems=systems,
                notify_queue=workflow.info().task_queue,
                round=progress.rounds,
            ),
            id=self._child_id(progress),
            task_queue=progress.task_queue,
            static_summary=f"Collection in {company} for {self._current().reference}",
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
        self._publish_failed()

    def _publish_failed(self) -> None:
        """`DsarFailedSystems`: systems whose collection or action failed, until settled."""
        state = self._current()
        failed = [f"{c.company}/{s}" for c in state.companies for s in c.failed_systems]
        acting = sorted({f"{a.company}/{a.system}" for a in state.actions if a.status is ActionStatus.FAILED})
        failed += [s for s in acting if s not in failed]
        if failed or self._failed_published:
            self._failed_published = True
            workflow.upsert_search_attributes(
                [sa.DSAR_FAILED_SYSTEMS.value_set(failed) if failed else sa.DSAR_FAILED_SYSTEMS.value_unset()]
            )
        self._update_details()

    def _progress(self, company: str) -> CompanyProgress:
        for progress in self._current().companies:
            if progress.company == company:
                return progress
        raise ValueError(f"company: {company} is not part of this request")

    def _child_id(self, progress: CompanyProgress) -> str:
        return company_workflow_id(self._current().reference, progress.company, progress.rounds)

    def _system(self, progress: CompanyProgress, code: str) -> SystemResult:
        for system in progress.systems:
            if system.system == code:
                return system
        raise ValueError(f"system: {progress.company}/{code} was not collected for this request")

    async def _notify(
        self, kind: NotificationKind, occasion: str = "", text: str | None = None
    ) -> NotificationResult:
        state = self._current()
        at = workflow.now()
        result = await self._activity(
            Activity.SEND_NOTIFICATION,
            SendNotification(reference=state.reference, kind=kind, occasion=occasion, text=text),
            NotificationResult,
        )
        state.notices.append(SentNotice(kind=kind, occasion=occasion, at=at))
        return result

    async def _set_status(
        self, status: Status, actor: str, details: dict[str, str | int | bool | None] | None = None
    ) -> None:
        self._current().status = status
        workflow.upsert_search_attributes([sa.DSAR_STATUS.value_set(status.value)])
        self._update_details()
        await self._record(None, actor, details or {})

    async def _record(
        self,
        action: str | None,
        actor: str,
        details: dict[str, str | int | bool | None],
        occasion: str = "",
    ) -> None:
        """Mirror status and deadline into the case store, and append to the audit trail."""
        state = self._current()
        await self._activity(
            Activity.RECORD_STATUS,
            StatusChange(
                reference=state.reference,
                status=state.status,
                actor=actor,
                due_on=state.due_on,
                extended=state.extended,
                action=action,
                occasion=occasion,
                details=details,
            ),
            type(None),
        )

    def _update_details(self) -> None:
        """Current details in the UI: what an operator needs at a glance, no personal data."""
        state = self._current()
        today = workflow.now().date()
        lines = [
            f"**{state.reference}** · {', '.join(r.value for r in state.rights)} · {state.jurisdiction}",
            f"- Stage: **{state.status.value}**" + (f" ({state.outcome})" if state.outcome else ""),
            f"- Received: {state.received_on.isoformat()}",
        ]
        if state.clock_stopped:
            lines.append("- Clock: **stopped** (waiting for the person)")
        elif state.due_on is not None and state.status.is_open:
            left = (state.due_on - today).days
            overdue = " — **OVERDUE**" if left < 0 else ""
            lines.append(f"- Due: {state.due_on.isoformat()} ({left} days left){overdue}")
        if state.extended:
            lines.append("- Deadline extended (Art. 12(3))")
        if state.open_question:
            lines.append("- Waiting for the person's answer to a question")
        if state.identity is not None and state.status in (Status.RECEIVED, Status.IDENTITY):
            allowed = ", ".join(m.value for m in state.identity.allowed_methods) or "none yet"
            lines.append(
                f"- Identity: {allowed}"
                + (f" ({state.identity.codes_sent} codes sent)" if state.identity.codes_sent else "")
            )
        if state.package_deleted_at is not None:
            lines.append(f"- Package deleted {state.package_deleted_at.date().isoformat()}")
        elif self._keeping_package and state.delivered_at is not None:
            until = state.delivered_at + timedelta(days=self._clock.package_retention_days)
            resent = f", {state.links_resent} new links sent" if state.links_resent else ""
            lines.append(f"- Package kept until {until.date().isoformat()}{resent}")
        if state.redaction_findings is not None:
            unindexed = (
                f" (names not indexed in {', '.join(state.names_not_indexed)})"
                if state.names_not_indexed
                else ""
            )
            lines.append(f"- Other people's data found: {state.redaction_findings}{unindexed}")
        for action in sorted({a.action for a in state.actions} | {a for _, a in self._acting}):
            results = [a for a in state.actions if a.action is action]
            done = sum(1 for a in results if a.status.settled and a.status is not ActionStatus.FAILED)
            broken = [f"{a.company}/{a.system}" for a in results if a.status is ActionStatus.FAILED]
            running = sorted(c for c, a in self._acting if a is action)
            line = f"- {action.value}: {done} systems settled, {sum(a.changed for a in results)} changed"
            if running:
                line += f", running in {', '.join(running)}"
            if broken:
                line += f", **failed: {', '.join(broken)}**"
            lines.append(line)
        if state.legal_holds:
            lines.append(f"- Legal holds: {', '.join(sorted(state.legal_holds))}")
        if state.restriction_active:
            lines.append("- Restriction in force (lift with dsar lift-restriction; the person is told first)")
        for c in state.companies:
            mark = "done" if c.done else "collecting"
            failed = f", failed: {', '.join(c.failed_systems)}" if c.failed_systems else ""
            lines.append(f"- {c.company}: {mark}, {c.records} records{failed}")
        workflow.set_current_details("\n".join(lines))

    def _current(self) -> RequestState:
        if self._state is None:
            raise ValueError("the request has not started yet")
        return self._state

    def _current_deadline(self) -> DeadlineResult:
        if self._deadline is None:
            raise ValueError("the deadline has not been computed yet")
        return self._deadline

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


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None

"""Identity: nothing is collected before the requester is known to be the person.

What the group already holds decides which methods are enough (the worse a mistake would
hurt, the stronger the check) and whether a one-time code can be sent to an address the
group holds. The person is reminded on the configured days; without proof the request
is closed after the configured period.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from dsar import activity_refs as refs
    from dsar.domain import Right, Status
    from dsar.messages.collection import CompanyTarget
    from dsar.messages.identity import (
        AttachAuthorisation,
        ConfirmIdentityCodeInput,
        FindHeldContactsInput,
        HeldContacts,
        IdentityDecision,
        IdentityMethod,
        IdentityProgress,
        SendIdentityCode,
        SensitiveReason,
    )
    from dsar.messages.notifications import NotificationKind
    from dsar.messages.state import RequestState
    from dsar.pending import company_activity_id
    from dsar.roles import Role

from workflows.calls import run_activity
from workflows.rights_request.context import SYSTEM_ACTOR, VERIFICATION_PAGE_ACTOR, RequestContext

IDENTITY_NOT_VERIFIED = "identity_not_verified"
_SENSITIVE_WORDS = {
    SensitiveReason.ERASURE: "it asks for erasure",
    SensitiveReason.NEW_CONTACT: "its e-mail address is not one the group holds for the person",
    SensitiveReason.AGENT: "an agent acts for the person",
}


class IdentityStage:
    """The methods a request allows, the codes sent, and the confirmation that ends the wait."""

    def __init__(self, ctx: RequestContext) -> None:
        self._ctx = ctx
        self.decision: IdentityDecision | None = None

    async def prepare(self) -> None:
        """What the group holds decides which methods are enough, and whether a code can be sent."""
        ctx = self._ctx
        sub = ctx.submission
        progress = IdentityProgress(
            agent=sub.agent is not None,
            authorisation_attached=sub.agent is not None and sub.agent.authorisation_key is not None,
        )
        if Right.ERASURE in sub.rights:
            progress.sensitive.append(SensitiveReason.ERASURE)
        if sub.agent is not None:
            progress.sensitive.append(SensitiveReason.AGENT)
        ctx.state.identity = progress
        plan = await ctx.call(refs.PLAN_COLLECTION, ctx.state.reference)
        found = await asyncio.gather(*(self._find_held(c) for c in plan.companies))
        progress.searched = True
        progress.customer_records = sum(f.customer_records for f in found)
        progress.email_held = any(f.email_held for f in found)
        progress.companies_unavailable = [f.company for f in found if f.unavailable]
        if not progress.email_held:
            progress.sensitive.append(SensitiveReason.NEW_CONTACT)
        await ctx.record(
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
            await self._send_code()

    async def _find_held(self, company: CompanyTarget) -> HeldContacts:
        """On the company's own queue; a company that cannot answer within the search's time
        budget (`dsar.activity_refs.IDENTITY_SEARCH_BUDGET`) does not hold the request up."""
        try:
            return await run_activity(
                refs.FIND_HELD_CONTACTS,
                FindHeldContactsInput(reference=self._ctx.state.reference, company=company.code),
                task_queue=company.task_queue,
                activity_id=company_activity_id("identity_search", company.code),
            )
        except ActivityError:
            return HeldContacts(company=company.code, unavailable=True)

    async def _send_code(self) -> None:
        progress = self._progress()
        progress.codes_sent += 1
        self._ctx.update_details()
        await self._ctx.notify(NotificationKind.IDENTITY_CODE, occasion=str(progress.codes_sent))

    async def await_verified(self) -> bool:
        """Remind the person on the configured days; give up after the configured period.

        A refusal ends the wait as well; the caller tells the two apart."""
        ctx = self._ctx
        started = workflow.now()
        close_at = started + timedelta(days=ctx.clock.identity_timeout_days)
        verified: Callable[[], bool] = lambda: self.decision is not None or ctx.refusal is not None  # noqa: E731
        for days in sorted(
            d for d in ctx.clock.identity_reminder_days if d < ctx.clock.identity_timeout_days
        ):
            if await ctx.wait_until(verified, started + timedelta(days=days)):
                return True
            await ctx.notify(
                NotificationKind.IDENTITY_REMINDER, occasion=f"day-{days}", text=close_at.date().isoformat()
            )
        return await ctx.wait_until(verified, close_at)

    async def start_collecting(self) -> None:
        """Verified: on record who confirmed it and how, and collection begins."""
        ctx = self._ctx
        assert self.decision is not None
        ctx.state.identity_verified_by = self.decision.actor
        if ctx.state.identity is not None:
            ctx.state.identity.method = self.decision.method
        await ctx.set_status(
            Status.COLLECTING, self.decision.actor, {"identity_method": self.decision.method}
        )

    async def close_unverified(self) -> None:
        ctx = self._ctx
        ctx.state.outcome = IDENTITY_NOT_VERIFIED
        await ctx.notify(NotificationKind.IDENTITY_NOT_VERIFIED)
        await ctx.set_status(Status.CLOSED, SYSTEM_ACTOR, {"outcome": IDENTITY_NOT_VERIFIED})

    # --- the privacy team's (or the verification page's) steps ---------------------------

    async def verify(self, decision: IdentityDecision) -> RequestState:
        ctx = self._ctx
        if decision.method == IdentityMethod.EMAIL_CODE.value:
            # The code was checked outside (CLI or page); the case store says whether it was right.
            try:
                await ctx.call(
                    refs.CONFIRM_IDENTITY_CODE,
                    ConfirmIdentityCodeInput(
                        reference=ctx.state.reference, challenge=decision.challenge or ""
                    ),
                )
            except ActivityError:
                raise ApplicationError("no right code has been entered for this request") from None
        if self.decision is None:  # another confirmation may have won while this one waited
            self.decision = decision
        return ctx.state

    def check_verify(self, decision: IdentityDecision) -> None:
        """Methods by risk (legal rules, Identity): the worse a mistake would hurt, the stronger the check."""
        ctx, state = self._ctx, self._ctx.state
        if state.status is not Status.IDENTITY or self.decision is not None:
            raise ValueError(
                f"identity can only be confirmed while the request waits for it "
                f"(it is now '{state.status.value}')"
            )
        methods = {m.value for m in IdentityMethod}
        if decision.method not in methods:
            raise ValueError(f"method: choose how identity was confirmed: {', '.join(sorted(methods))}")
        method = IdentityMethod(decision.method)
        relayed = method is IdentityMethod.EMAIL_CODE and decision.actor == VERIFICATION_PAGE_ACTOR
        # The page's relay signs as a service with its own key; everyone else is a reviewer.
        ctx.require(decision, Role.SERVICE if relayed else Role.REVIEWER)
        progress = self._progress()
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

    def _progress(self) -> IdentityProgress:
        progress = self._ctx.state.identity
        if progress is None:
            raise ValueError("identity is not open yet for this request")
        return progress

    async def attach_authorisation(self, request: AttachAuthorisation) -> RequestState:
        """The agent's written authorisation from the person, already in the case bucket."""
        self._progress().authorisation_attached = True
        self._ctx.update_details()
        await self._ctx.record(
            "identity.authorisation_attached",
            request.actor,
            {"sha256": request.file.sha256, "bytes": request.file.bytes},
        )
        return self._ctx.state

    def check_authorisation(self, request: AttachAuthorisation) -> None:
        self._ctx.require(request, Role.REVIEWER)
        state = self._ctx.state
        if state.status not in (Status.RECEIVED, Status.IDENTITY) or self.decision is not None:
            raise ValueError(f"identity is no longer open (the request is now '{state.status.value}')")
        if not self._progress().agent:
            raise ValueError("no agent acts for the person in this request")

    async def send_code(self, request: SendIdentityCode) -> RequestState:
        """A new code (expired, locked, lost); the one before stops working."""
        await self._send_code()
        await self._ctx.record(
            "identity.code_resent", request.actor, {}, occasion=str(self._progress().codes_sent)
        )
        return self._ctx.state

    def check_send_code(self, request: SendIdentityCode) -> None:
        self._ctx.require(request, Role.REVIEWER)
        state = self._ctx.state
        if state.status is not Status.IDENTITY or self.decision is not None:
            raise ValueError(f"identity is no longer open (the request is now '{state.status.value}')")
        progress = self._progress()
        if progress.sensitive:
            raise ValueError("this request needs a document check; a code would not be enough")
        if not progress.email_held:
            raise ValueError("the group holds no e-mail address for the person to send a code to")

"""Review: a person approves what will be sent and done, or refuses the request.

Before the reviewer sees anything, each company indexes the names it knows and one scan
finds other people's data in the collected records (Art. 15(4)). During review the
reviewer confirms matches found only by name, excludes or redacts records, keeps values
the detector flagged, places legal holds against an erasure (Art. 17(3)) and decides an
objection (Art. 21(1)). A manifestly unfounded or excessive request is refused with
reasons (Art. 12(5)), while identity or review is open.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from dsar import activity_refs as refs
    from dsar.domain import ObjectionScope, Right, Status
    from dsar.messages.notifications import NotificationKind
    from dsar.messages.review import (
        DecideMatchesInput,
        ExcludeRecords,
        IndexNamesInput,
        KeepFinding,
        LegalHold,
        ManualRedaction,
        MatchDecision,
        ObjectionDecision,
        RedactionDecisionInput,
        RefusalDecision,
        ReviewDecision,
    )
    from dsar.messages.state import RequestState
    from dsar.pending import company_activity_id
    from dsar.roles import Role

from workflows.calls import run_activity
from workflows.rights_request.collection import CollectionStage
from workflows.rights_request.context import SYSTEM_ACTOR, RequestContext

REFUSED = "refused_unfounded_or_excessive"
# A request stores only the names its records mention, noted before the companies index.
NAMES_AMONG_CANDIDATES = "names-among-candidates"


class ReviewStage:
    """The scan, the reviewer's decisions, and the approval or refusal that ends review."""

    def __init__(self, ctx: RequestContext, collection: CollectionStage) -> None:
        self._ctx = ctx
        self._collection = collection
        self.objection: ObjectionDecision | None = None
        # Scans and review decisions under way: the package waits for them.
        self._busy = 0

    async def scan_for_others_data(self, companies: list[str]) -> None:
        """Each company indexes the names it knows (on its own queue, so its customer list
        stays inside it), then one scan over all records finds other people's data.

        Since `names-among-candidates`, the records' capitalised phrases are noted first and
        a company keeps only its names among them; records collected again may mention
        anyone, so every company of the request then indexes again, not only `companies`."""
        ctx, state = self._ctx, self._ctx.state
        self._busy += 1
        try:
            among = workflow.patched(NAMES_AMONG_CANDIDATES)
            if among:
                await ctx.call(refs.NOTE_NAME_CANDIDATES, state.reference)
                companies = [c.company for c in state.companies]

            async def index(code: str) -> bool:
                # A company whose names cannot be indexed within the index's time budget (its
                # database down for long) does not hold up review for ever; its e-mail
                # addresses, numbers and the other companies' names are still found.
                try:
                    await run_activity(
                        refs.INDEX_KNOWN_NAMES,
                        IndexNamesInput(reference=state.reference, company=code, among_candidates=among),
                        task_queue=self._collection.progress(code).task_queue,
                        activity_id=company_activity_id("index_names", code),
                    )
                except ActivityError:
                    return False
                return True

            indexed = await asyncio.gather(*(index(code) for code in companies))
            missing = {code for code, ok in zip(companies, indexed, strict=True) if not ok}
            state.names_not_indexed = sorted((set(state.names_not_indexed) - set(companies)) | missing)
            if missing:
                workflow.logger.warning("names not indexed in %s", ", ".join(sorted(missing)))
            scan = await ctx.call(refs.SCAN_REDACTIONS, state.reference)
            state.redaction_findings = scan.findings
            ctx.update_details()
        finally:
            self._busy -= 1

    async def await_decision(self) -> bool:
        """Open review and wait for an approval (and no decision under way) or a refusal.

        True once approved, False if refused."""
        ctx = self._ctx
        await ctx.refresh_grants()
        await ctx.set_status(Status.REVIEW, SYSTEM_ACTOR)
        await workflow.wait_condition(
            lambda: (ctx.approval is not None and self._busy == 0) or ctx.refusal is not None
        )
        if ctx.refusal is not None:
            return False
        assert ctx.approval is not None
        ctx.state.approved_by = ctx.approval.actor
        return True

    async def approve(self, decision: ReviewDecision) -> RequestState:
        self._ctx.approval = decision
        return self._ctx.state

    def check_approve(self, decision: ReviewDecision) -> None:
        ctx, state = self._ctx, self._ctx.state
        if not ctx.reviewing:
            raise ValueError(
                f"a request can only be approved while it waits for review (it is now '{state.status.value}')"
            )
        ctx.require(decision, Role.REVIEWER)
        busy = [c.company for c in state.companies if not c.done]
        if busy:
            raise ValueError(f"collection is still running in {', '.join(busy)}; approve when it is done")
        objection = ctx.submission.objection
        if objection is not None and objection.scope is ObjectionScope.OTHER and self.objection is None:
            raise ValueError(
                "the objection must be decided first (dsar decide-objection): upheld, or overridden by"
                " compelling legitimate grounds"
            )

    def _check_reviewing(self, what: str) -> None:
        if not self._ctx.reviewing:
            raise ValueError(f"{what} (the request is now '{self._ctx.state.status.value}')")

    # --- matches found only by name ---------------------------------------------------------

    async def confirm_matches(self, decision: MatchDecision) -> int:
        """Records found only by name and postcode enter the package once a reviewer confirms them."""
        ctx = self._ctx
        return await ctx.call(
            refs.DECIDE_MATCHES, DecideMatchesInput(reference=ctx.state.reference, decision=decision)
        )

    def check_matches(self, decision: MatchDecision) -> None:
        self._ctx.require(decision, Role.REVIEWER)
        self._check_reviewing("matches are confirmed during review")

    # --- redaction decisions (Art. 15(4)) ---------------------------------------------------

    async def exclude_records(self, decision: ExcludeRecords) -> int:
        """Leave whole records out (privilege, trade secret, another person's rights)."""
        return await self._decide(
            RedactionDecisionInput(reference=self._ctx.state.reference, exclude=decision)
        )

    def check_exclude(self, decision: ExcludeRecords) -> None:
        self._check_redaction(decision)
        if not decision.note.strip():
            raise ValueError("note: say what the record is and why the reason applies; it goes on record")

    async def redact_field(self, decision: ManualRedaction) -> int:
        """Remove text the detector missed; the person is told a reviewer removed it, and why."""
        return await self._decide(
            RedactionDecisionInput(reference=self._ctx.state.reference, redact=decision)
        )

    def check_redact(self, decision: ManualRedaction) -> None:
        self._check_redaction(decision)
        if not decision.reason.strip():
            raise ValueError("reason: a redaction needs a reason; the person is told it")

    async def keep_finding(self, decision: KeepFinding) -> int:
        """Overrule one automatic redaction: the value stays in the copy."""
        return await self._decide(RedactionDecisionInput(reference=self._ctx.state.reference, keep=decision))

    def check_keep(self, decision: KeepFinding) -> None:
        self._check_redaction(decision)
        if not decision.reason.strip():
            raise ValueError("reason: say why the value may be disclosed; it goes on record")

    def _check_redaction(self, decision: ExcludeRecords | ManualRedaction | KeepFinding) -> None:
        self._ctx.require(decision, Role.REVIEWER)
        self._check_reviewing("redaction decisions are made during review")

    async def _decide(self, decision: RedactionDecisionInput) -> int:
        """One activity for every decision; a decision naming nothing of this request is
        refused with the activity's reason, so the CLI can show it."""
        self._busy += 1
        try:
            return await self._ctx.call(refs.DECIDE_REDACTION, decision)
        except ActivityError as err:
            cause = err.cause
            if isinstance(cause, ApplicationError) and cause.type == "InvalidRequestError":
                raise ApplicationError(cause.message) from None
            raise
        finally:
            self._busy -= 1

    # --- decisions for the rights other than access ------------------------------------------

    async def place_legal_hold(self, hold: LegalHold) -> RequestState:
        """Art. 17(3)(e): the system's data is kept despite the erasure, and the letter says why."""
        ctx, state = self._ctx, self._ctx.state
        state.legal_holds[f"{hold.company}/{hold.system}"] = hold.reason.strip()
        await ctx.record("erasure.legal_hold", hold.actor, {"system": f"{hold.company}/{hold.system}"})
        ctx.update_details()
        return state

    def check_legal_hold(self, hold: LegalHold) -> None:
        self._ctx.require(hold, Role.REVIEWER)
        if Right.ERASURE not in self._ctx.state.rights:
            raise ValueError("a legal hold only applies to an erasure request")
        if not hold.reason.strip():
            raise ValueError("reason: a legal hold needs its legal ground; the person is told it")
        self._check_reviewing("a legal hold is placed during review")
        self._collection.system(hold.company, hold.system)

    async def decide_objection(self, decision: ObjectionDecision) -> RequestState:
        """Art. 21(1): processing stops unless compelling legitimate grounds override the objection."""
        ctx, state = self._ctx, self._ctx.state
        self.objection = decision
        state.objection_upheld = decision.uphold
        await ctx.record(
            "objection.decided",
            decision.actor,
            {"upheld": decision.uphold, "grounds_chars": len(decision.grounds)},
        )
        ctx.update_details()
        return state

    def check_objection(self, decision: ObjectionDecision) -> None:
        self._ctx.require(decision, Role.REVIEWER)
        objection = self._ctx.submission.objection
        if objection is None or objection.scope is not ObjectionScope.OTHER:
            raise ValueError("only an objection to processing other than direct marketing is decided")
        if not decision.grounds.strip():
            raise ValueError("grounds: say why the objection is upheld or overridden; the person is told")
        self._check_reviewing("an objection is decided during review")

    # --- refusal (Art. 12(5)(b)) ---------------------------------------------------------------

    async def refuse(self, decision: RefusalDecision) -> RequestState:
        """Refuse a manifestly unfounded or excessive request; the main line closes it."""
        self._ctx.refusal = decision
        return self._ctx.state

    def check_refuse(self, decision: RefusalDecision) -> None:
        ctx, state = self._ctx, self._ctx.state
        ctx.require(decision, Role.REVIEWER)
        if not decision.reason.strip():
            raise ValueError("reason: a refusal must give the person its reasons (Art. 12(4))")
        if ctx.refusal is not None:
            raise ValueError("the request has already been refused")
        if state.status not in (Status.IDENTITY, Status.REVIEW) or ctx.approval is not None:
            raise ValueError(
                f"a request can be refused while it waits for identity or for review "
                f"(it is now '{state.status.value}')"
            )

    async def close_refused(self) -> None:
        """The letter gives the reasons and the person's remedies: the authority and the courts."""
        ctx = self._ctx
        assert ctx.refusal is not None
        ctx.state.outcome = REFUSED
        await ctx.notify(NotificationKind.REFUSAL, text=ctx.refusal.reason.strip())
        await ctx.set_status(Status.REJECTED, ctx.refusal.actor, {"outcome": REFUSED})

"""The statutory clock (Art. 12(3)): the deadline, its extension, and questions that stop it.

An escalation on the due date and every working day after is a durable timer that starts
over whenever the deadline moves (an extension, a stopped clock). Reminders to the privacy
team before the due date go out in the morning's list of every request due soon
(workflows/team_reminders.py), read from the `DsarDueAt` this stage keeps current; a
request started before that list existed (`TEAM_REMINDERS_LISTED`) keeps timers for its
own. The jurisdiction's policy decides whether waiting for identity evidence or for the
person's answer stops the clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    from dsar import activity_refs as refs
    from dsar import search_attributes as sa
    from dsar.messages.clock import (
        ClarificationAnswer,
        ClarificationRequest,
        ClockStopInfo,
        DeadlineEvent,
        DeadlineInput,
        DeadlineResult,
        ExtensionDecision,
        StopReason,
    )
    from dsar.messages.notifications import NotificationKind, notice_key
    from dsar.messages.state import RequestState
    from dsar.roles import Role

from workflows.rights_request.context import RequestContext

# Team reminders come in the morning's list, not from each request's own timers.
TEAM_REMINDERS_LISTED = "team-reminders-in-morning-list"


class ClockStage:
    """The deadline and its events; the stops, the extension and the questions that move it."""

    def __init__(self, ctx: RequestContext) -> None:
        self._ctx = ctx
        self._stops: list[ClockStopInfo] = []
        self._deadline: DeadlineResult | None = None
        self._version = 0
        self._questions = 0

    @property
    def deadline(self) -> DeadlineResult:
        if self._deadline is None:
            raise ValueError("the deadline has not been computed yet")
        return self._deadline

    async def recompute(self) -> None:
        ctx, state = self._ctx, self._ctx.state
        deadline = await ctx.call(
            refs.COMPUTE_DEADLINE,
            DeadlineInput(
                received_on=state.received_on,
                jurisdiction=state.jurisdiction,
                stops=self._stops,
                extended=state.extended,
                settings=ctx.clock,
            ),
        )
        self._deadline = deadline
        self._version += 1
        state.due_on = deadline.due_on
        state.due_at = deadline.due_at
        state.clock_stopped = deadline.clock_stopped
        updates: list[SearchAttributeUpdate[Any]] = [
            sa.DSAR_RIGHTS.value_set([r.value for r in state.rights]),
            sa.DSAR_JURISDICTION.value_set(state.jurisdiction),
            sa.DSAR_DUE_AT.value_set(deadline.due_at) if deadline.due_at else sa.DSAR_DUE_AT.value_unset(),
        ]
        workflow.upsert_search_attributes(updates)
        ctx.update_details()

    async def stop_for_identity(self) -> None:
        """Where the jurisdiction says so (the ICO), the clock waits for the evidence."""
        self._stops.append(ClockStopInfo(reason=StopReason.IDENTITY, started_at=workflow.now()))
        await self.recompute()

    async def resume_after_identity(self) -> None:
        self._stops[0].resumed_at = workflow.now()
        await self.recompute()

    async def watch(self) -> None:
        """Sleep until the next reminder or escalation; start over whenever the deadline moves."""
        ctx = self._ctx
        listed = workflow.patched(TEAM_REMINDERS_LISTED)
        while not ctx.closed:
            version = self._version
            moved: Callable[[], bool] = lambda v=version: ctx.closed or self._version != v  # type: ignore[misc]  # noqa: E731
            deadline = self.deadline
            now = workflow.now()
            sent = {n.key for n in ctx.state.notices}
            pending = [
                e
                for e in deadline.events
                if notice_key(e.kind, e.occasion) not in sent
                and not (listed and e.kind is NotificationKind.TEAM_REMINDER)
            ]
            missed = [e for e in pending if e.at <= now and e.kind is NotificationKind.ESCALATION]
            if missed and not any(k.startswith(NotificationKind.ESCALATION.value) for k in sent):
                # Entered or resumed after its due date: escalate at once, once.
                await self._send(missed[-1])
                continue
            upcoming = [e for e in pending if e.at > now]
            if not upcoming:
                await workflow.wait_condition(moved)
                continue
            changed = await ctx.wait_until(moved, upcoming[0].at)
            if not changed:
                await self._send(upcoming[0])

    async def _send(self, event: DeadlineEvent) -> None:
        await self._ctx.notify(event.kind, occasion=event.occasion)

    # --- extension (Art. 12(3)) -------------------------------------------------------

    async def extend(self, decision: ExtensionDecision) -> RequestState:
        """Up to two more months, told to the person with reasons in time."""
        ctx, state = self._ctx, self._ctx.state
        if state.extended:  # a second update validated before the first one ran
            raise ValueError("the deadline has already been extended once")
        state.extended = True
        state.extension_reason = decision.reason.strip()
        await self.recompute()
        await ctx.record("deadline.extended", decision.actor, {"due_on": iso(state.due_on)})
        await ctx.notify(NotificationKind.EXTENSION, text=state.extension_reason)
        return state

    def check_extend(self, decision: ExtensionDecision) -> None:
        ctx, state = self._ctx, self._ctx.state
        ctx.require(decision, Role.REVIEWER)
        if not decision.reason.strip():
            raise ValueError("reason: an extension needs a reason, since the person must be told why")
        ctx.require_open()
        if state.extended:
            raise ValueError("the deadline has already been extended once")
        deadline = self.deadline
        if deadline.extension_notice_by_at is None:
            raise ValueError(
                "no extension is possible now: the clock is stopped, or the jurisdiction allows none"
            )
        if workflow.now() > deadline.extension_notice_by_at:
            raise ValueError(
                f"too late: the person had to be told of an extension by the original due date "
                f"{iso(deadline.extension_notice_by)}"
            )

    # --- clarification: a question to the person, an answer back ----------------------

    async def clarify(self, request: ClarificationRequest) -> RequestState:
        """Ask the person a question; by the jurisdiction's policy the clock waits for the answer."""
        ctx, state = self._ctx, self._ctx.state
        self._questions += 1
        state.open_question = True
        self._stops.append(ClockStopInfo(reason=StopReason.CLARIFICATION, started_at=workflow.now()))
        await self.recompute()
        await ctx.record("clarification.asked", request.actor, {}, occasion=str(self._questions))
        await ctx.notify(
            NotificationKind.CLARIFICATION, occasion=str(self._questions), text=request.question.strip()
        )
        return state

    def check_clarify(self, request: ClarificationRequest) -> None:
        ctx = self._ctx
        ctx.require(request, Role.REVIEWER)
        if not request.question.strip():
            raise ValueError("question: must not be empty")
        ctx.require_open()
        if ctx.state.open_question:
            raise ValueError("a question to the person is already waiting for an answer")

    async def answer(self, answer: ClarificationAnswer) -> RequestState:
        ctx, state = self._ctx, self._ctx.state
        state.open_question = False
        for stop in self._stops:
            if stop.reason is StopReason.CLARIFICATION and stop.resumed_at is None:
                stop.resumed_at = workflow.now()
        await self.recompute()
        await ctx.record(
            "clarification.answered", answer.actor, {"due_on": iso(state.due_on)}, str(self._questions)
        )
        return state

    def check_answer(self, answer: ClarificationAnswer) -> None:
        self._ctx.require(answer, Role.REVIEWER)
        if not self._ctx.state.open_question:
            raise ValueError("there is no open question to the person")


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None

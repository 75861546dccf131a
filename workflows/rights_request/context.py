"""What every stage of a request shares: its state, and the few helpers they all use.

One `RequestContext` per workflow run. It holds the process facts (status, dates, counts,
references; never collected records), the decisions that gate more than one stage (the
approval, a refusal), and the helpers every stage calls: a typed activity call, a
notification to the person or the team, a status change mirrored into the case store and
the audit trail, role checks for the Updates' validators, and a wait with a deadline.

A step Temporal keeps retrying (the mail relay refuses, the case store is down) does not
fail the request: it waits. So that the team sees it, a step that has not finished after
`STUCK_AFTER` sets the `DsarFailedStep` search attribute to its name (`build_package`,
`notify:acknowledgement`; never anything about the person) until it completes; `dsar
status` shows the attempt and the last error from Temporal (`dsar.pending`). One timer
watches all the steps in flight (`step_watch.py`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dsar import activity_refs as refs
    from dsar import search_attributes as sa
    from dsar.activity_refs import ActivityRef
    from dsar.domain import RequestSubmission, Status
    from dsar.messages.actions import Action, ActionStatus
    from dsar.messages.clock import ClockSettings
    from dsar.messages.collection import CollectionPlan
    from dsar.messages.decision import Decision
    from dsar.messages.intake import RightsRequestInput, StatusChange
    from dsar.messages.notifications import NotificationKind, NotificationResult, SendNotification, SentNotice
    from dsar.messages.review import RefusalDecision, ReviewDecision
    from dsar.messages.state import RequestState
    from dsar.pending import step_activity_id
    from dsar.roles import Role, RoleGrants

from workflows.calls import run_activity
from workflows.rights_request.details import current_details
from workflows.rights_request.signatures import NonceBook, check_decision
from workflows.rights_request.step_watch import ONE_WATCH_PATCH, STUCK_AFTER, StepWatch

I = TypeVar("I")  # noqa: E741
O = TypeVar("O")  # noqa: E741

# The change that brought the watch (a timer per step, and the search attribute); since
# `one-step-watch`, one timer watches every step (step_watch.py).
FAILED_STEP_PATCH = "failed-step-attribute"
# Who the workflow names in the audit trail for the steps it takes itself.
SYSTEM_ACTOR = "dsar-workflow"
# Who tells the workflow that the person typed the right code on the verification page.
VERIFICATION_PAGE_ACTOR = "verification-page"

Details = dict[str, str | int | bool | None]


def notify_step(kind: NotificationKind) -> str:
    """A notification's step name: `notify:acknowledgement`."""
    return f"notify:{kind.value}"


class RequestContext:
    """The shared state of one request and the helpers every stage uses."""

    def __init__(self) -> None:
        self._state: RequestState | None = None
        self._req: RightsRequestInput | None = None
        self.grants = RoleGrants()
        # Nonces of the signed decisions accepted lately: a signature is used once.
        self.nonces = NonceBook()
        self.clock = ClockSettings()
        # Gates read by several stages: the reviewer's approval and a refusal end a wait.
        self.approval: ReviewDecision | None = None
        self.refusal: RefusalDecision | None = None
        # The request is answered: the statutory clock has nothing left to watch.
        self.closed = False
        # Shown in the operator's details: the package still kept, and actions running.
        self.keeping_package = False
        self.acting: set[tuple[str, Action]] = set()
        self._failed_published = False
        self._plan: CollectionPlan | None = None
        # Steps called so far (their activity ids' numbers), and those shown as stuck by a
        # request that began with a timer per step (since `one-step-watch`, the watch's).
        self._steps = 0
        self._stuck: list[str] = []
        self._watch = StepWatch(self._publish_stuck)

    def start(self, req: RightsRequestInput) -> RequestState:
        self._req = req
        sub = req.submission
        self._state = RequestState(
            reference=req.reference,
            status=Status.RECEIVED,
            rights=sub.rights,
            jurisdiction=sub.jurisdiction,
            received_on=sub.received_on,
        )
        return self._state

    def resume(self, req: RightsRequestInput) -> RequestState:
        """A run continued as new during a long wait (long_wait.py): the carried state, answered."""
        carried = req.carried
        assert carried is not None
        self._req = req
        self._state = carried.state
        self.clock = carried.clock
        self._plan = carried.plan
        self.nonces.carry_over(carried.nonces)
        self.closed = True  # answered: the statutory clock has nothing left to watch
        self._failed_published = True  # the attribute came over with the run; keep it current
        self.update_details()
        return self._state

    @property
    def request(self) -> RightsRequestInput:
        assert self._req is not None
        return self._req

    @property
    def known_plan(self) -> CollectionPlan | None:
        return self._plan

    @property
    def started(self) -> bool:
        return self._state is not None

    @property
    def state(self) -> RequestState:
        if self._state is None:
            raise ValueError("the request has not started yet")
        return self._state

    @property
    def submission(self) -> RequestSubmission:
        assert self._req is not None
        return self._req.submission

    @property
    def reviewing(self) -> bool:
        """Waiting for review: decisions about what is sent and done can still be made."""
        return self.state.status is Status.REVIEW and self.approval is None

    async def call(
        self, ref: ActivityRef[I, O], arg: I, *, step: str | None = None, task_queue: str | None = None
    ) -> O:
        """One step of the request: an activity (on the control queue unless told), with the
        timeouts and retries of its reference, shown as the failed step while it is stuck."""
        name = step or ref.name
        self._steps += 1
        activity = run_activity(
            ref, arg, task_queue=task_queue, activity_id=step_activity_id(name, self._steps)
        )
        if not workflow.patched(FAILED_STEP_PATCH):
            # Awaited at once, as before the patch: its command keeps its place among the
            # commands of the request's other coroutines (the clock's timers).
            return await activity
        if workflow.patched(ONE_WATCH_PATCH):
            return await self._watch.run(self._steps, name, activity)
        # A request that began with a timer per step keeps them.
        running = asyncio.create_task(activity)
        try:
            await workflow.wait_condition(running.done, timeout=STUCK_AFTER)
        except TimeoutError:
            self._stuck.append(name)
            self._publish_stuck(self._stuck)
            try:
                return await running
            finally:
                self._stuck.remove(name)
                self._publish_stuck(self._stuck)
        return await running

    def _publish_stuck(self, stuck: list[str]) -> None:
        """`DsarFailedStep`: the oldest of the stuck steps (oldest first), or nothing."""
        workflow.upsert_search_attributes(
            [sa.DSAR_FAILED_STEP.value_set(stuck[0]) if stuck else sa.DSAR_FAILED_STEP.value_unset()]
        )

    async def plan(self) -> CollectionPlan:
        """The companies that take part, asked once and kept."""
        if self._plan is None:
            self._plan = await self.call(refs.PLAN_COLLECTION, self.state.reference)
        return self._plan

    def company_queue(self, company: str) -> str:
        assert self._plan is not None
        return next(c.task_queue for c in self._plan.companies if c.code == company)

    async def refresh_grants(self) -> None:
        """Grants are read when a human step opens, so a revoked user is refused from then on."""
        self.grants = await self.call(refs.LOAD_ROLES, self.state.reference)

    def require(self, decision: Decision, role: Role) -> None:
        """For validators: the actor holds `role` and signed this very decision with a key the
        roles file lists (`signatures.py`); else the CLI is answered at once, as a rejected Update."""
        try:
            self.grants.require(decision.actor, role)
        except PermissionError as exc:
            raise ValueError(str(exc)) from None
        check_decision(self.grants, self.nonces, decision)

    def require_open(self) -> None:
        state = self.state
        if self.closed or not state.status.is_open:
            raise ValueError(f"the request is already {state.status.value}")

    async def notify(
        self, kind: NotificationKind, occasion: str = "", text: str | None = None
    ) -> NotificationResult:
        state = self.state
        at = workflow.now()
        result = await self.call(
            refs.SEND_NOTIFICATION,
            SendNotification(reference=state.reference, kind=kind, occasion=occasion, text=text),
            step=notify_step(kind),
        )
        state.notices.append(SentNotice(kind=kind, occasion=occasion, at=at))
        return result

    async def set_status(self, status: Status, actor: str, details: Details | None = None) -> None:
        self.state.status = status
        workflow.upsert_search_attributes([sa.DSAR_STATUS.value_set(status.value)])
        self.update_details()
        await self.record(None, actor, details or {})

    async def record(self, action: str | None, actor: str, details: Details, occasion: str = "") -> None:
        """Mirror status and deadline into the case store, and append to the audit trail."""
        state = self.state
        await self.call(
            refs.RECORD_STATUS,
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
        )

    def publish_failed(self) -> None:
        """`DsarFailedSystems`: systems whose collection or action failed, until settled."""
        state = self.state
        failed = [f"{c.company}/{s}" for c in state.companies for s in c.failed_systems]
        acting = sorted({f"{a.company}/{a.system}" for a in state.actions if a.status is ActionStatus.FAILED})
        failed += [s for s in acting if s not in failed]
        if failed or self._failed_published:
            self._failed_published = True
            workflow.upsert_search_attributes(
                [sa.DSAR_FAILED_SYSTEMS.value_set(failed) if failed else sa.DSAR_FAILED_SYSTEMS.value_unset()]
            )
        self.update_details()

    def update_details(self) -> None:
        """Current details in the UI: what an operator needs at a glance, no personal data."""
        workflow.set_current_details(
            current_details(
                self.state,
                today=workflow.now().date(),
                keeping_package=self.keeping_package,
                retention_days=self.clock.package_retention_days,
                acting=frozenset(self.acting),
            )
        )

    @staticmethod
    async def wait_until(condition: Callable[[], bool], when: datetime) -> bool:
        """True if the condition came true before `when`, False once `when` has passed."""
        remaining = when - workflow.now()
        if remaining <= timedelta(0):
            return condition()
        try:
            await workflow.wait_condition(condition, timeout=remaining)
        except TimeoutError:
            return False
        return True

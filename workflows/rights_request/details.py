"""The operator's "current details" of a request, as the Temporal UI shows them.

A pure function of the request's state, so it is tested without a server: what an
operator needs at a glance (stage, due date, what waits for whom, what failed), and no
personal data, since the UI is read by people who may not see the person's records.
"""

from __future__ import annotations

from collections.abc import Set
from datetime import date, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dsar.domain import Status
    from dsar.messages.actions import Action, ActionStatus
    from dsar.messages.state import RequestState


def current_details(
    state: RequestState,
    *,
    today: date,
    keeping_package: bool = False,
    retention_days: int = 0,
    acting: Set[tuple[str, Action]] = frozenset(),
) -> str:
    """Markdown lines: `keeping_package` while the delivered package waits for its deletion
    (after `retention_days`), `acting` the (company, action) pairs running now."""
    lines = [
        f"**{state.reference}** · {', '.join(r.value for r in state.rights)} · {state.jurisdiction}",
        f"- Stage: **{state.status.value}**" + (f" ({state.outcome})" if state.outcome else ""),
        f"- Received: {state.received_on.isoformat()}",
    ]
    lines += _clock(state, today)
    lines += _identity(state)
    lines += _package(state, keeping_package, retention_days)
    if state.redaction_findings is not None:
        unindexed = (
            f" (names not indexed in {', '.join(state.names_not_indexed)})" if state.names_not_indexed else ""
        )
        lines.append(f"- Other people's data found: {state.redaction_findings}{unindexed}")
    lines += _actions(state, acting)
    if state.legal_holds:
        lines.append(f"- Legal holds: {', '.join(sorted(state.legal_holds))}")
    if state.restriction_active:
        lines.append("- Restriction in force (lift with dsar lift-restriction; the person is told first)")
    for c in state.companies:
        mark = "done" if c.done else "collecting"
        failed = f", failed: {', '.join(c.failed_systems)}" if c.failed_systems else ""
        lines.append(f"- {c.company}: {mark}, {c.records} records{failed}")
    return "\n".join(lines)


def _clock(state: RequestState, today: date) -> list[str]:
    lines = []
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
    return lines


def _identity(state: RequestState) -> list[str]:
    if state.identity is None or state.status not in (Status.RECEIVED, Status.IDENTITY):
        return []
    allowed = ", ".join(m.value for m in state.identity.allowed_methods) or "none yet"
    codes = state.identity.codes_sent
    sent = f" ({codes} {'code' if codes == 1 else 'codes'} sent)" if codes else ""
    return [f"- Identity: {allowed}{sent}"]


def _package(state: RequestState, keeping_package: bool, retention_days: int) -> list[str]:
    if state.package_deleted_at is not None:
        return [f"- Package deleted {state.package_deleted_at.date().isoformat()}"]
    if keeping_package and state.delivered_at is not None:
        until = state.delivered_at + timedelta(days=retention_days)
        resent = f", {state.links_resent} new links sent" if state.links_resent else ""
        return [f"- Package kept until {until.date().isoformat()}{resent}"]
    return []


def _actions(state: RequestState, acting: Set[tuple[str, Action]]) -> list[str]:
    lines = []
    for action in sorted({a.action for a in state.actions} | {a for _, a in acting}):
        results = [a for a in state.actions if a.action is action]
        done = sum(1 for a in results if a.status.settled and a.status is not ActionStatus.FAILED)
        broken = [f"{a.company}/{a.system}" for a in results if a.status is ActionStatus.FAILED]
        running = sorted(c for c, a in acting if a is action)
        line = f"- {action.value}: {done} systems settled, {sum(a.changed for a in results)} changed"
        if running:
            line += f", running in {', '.join(running)}"
        if broken:
            line += f", **failed: {', '.join(broken)}**"
        lines.append(line)
    return lines

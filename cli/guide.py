"""What a request waits for, and the exact command that moves it.

`dsar status` ends with these lines, so a person at the terminal never has to guess whether
the product is working or waiting for them: a manual system's export, a review, an identity
check, a manual erasure. Each step names who it waits for (the person, a system's owner, the
privacy team, or nobody: the workers are on it) and the command, with the request's
reference filled in, that settles it. A pure function of the workflow's state, so it is
tested without a server.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from dsar.domain import Right, Status
from dsar.messages.actions import Action, ActionResult, ActionStatus
from dsar.messages.collection import CompanyCollectionState, SystemResult, SystemStatus
from dsar.messages.identity import IdentityMethod
from dsar.messages.state import RequestState

PERSON = "the person"
TEAM = "the privacy team"
WORKERS = "nobody: the workers are on it"


def plural(count: int, singular: str, many: str | None = None) -> str:
    """`1 code`, `2 codes`, `0 records`: the count with the word it governs."""
    return f"{count} {singular if count == 1 else many or singular + 's'}"


@dataclass(frozen=True)
class Step:
    """One thing the request waits for: who, what, and the command that settles it."""

    who: str
    what: str
    command: str = ""

    def as_json(self) -> dict[str, str]:
        return asdict(self)


def owner(company: str, system: str) -> str:
    return f"the owner of {company}/{system}"


def next_steps(
    state: RequestState,
    progress: dict[str, CompanyCollectionState | None] | None = None,
    pending_actions: list[ActionResult] | None = None,
) -> list[Step]:
    """Everything the request waits for now, most urgent first (empty once it is closed)."""
    ref = state.reference
    if not state.status.is_open:
        return _after_delivery(state)
    steps: list[Step] = []
    if state.open_question:
        steps.append(
            Step(PERSON, "the person's answer to the question sent", f"dsar answer {ref} --note TEXT")
        )
    if state.status in (Status.RECEIVED, Status.IDENTITY):
        steps += _identity(state)
    elif state.status is Status.COLLECTING:
        steps += _collection(state, progress or {})
    elif state.status is Status.REVIEW:
        steps += _failed_systems(state, progress or {})
        steps.append(
            Step(
                TEAM,
                "review: check what was found, then approve",
                f"dsar review {ref}  then  dsar approve {ref}",
            )
        )
    elif state.status is Status.EXECUTING:
        steps += _actions(state, pending_actions or [])
    if not steps:
        steps.append(Step(WORKERS, _automatic(state.status)))
    return steps


def _automatic(status: Status) -> str:
    return {
        Status.RECEIVED: "the identity search in every company",
        Status.IDENTITY: "the identity search in every company",
        Status.COLLECTING: "collection in every company, then the scan and the package for review",
        Status.PACKAGING: "building the package",
        Status.DELIVERY: "sending the download link",
        Status.EXECUTING: "the actions in every company",
    }.get(status, status.value)


def _after_delivery(state: RequestState) -> list[Step]:
    if state.status is Status.DELIVERED and state.package is not None and state.package_deleted_at is None:
        return [
            Step(
                PERSON,
                "the person to download the package (a lost link or code: send a new one)",
                f"dsar resend-link {state.reference}",
            )
        ]
    return []


def _identity(state: RequestState) -> list[Step]:
    ref, identity = state.reference, state.identity
    if identity is None or not identity.searched:
        return []
    if identity.agent and not identity.authorisation_attached:
        return [
            Step(
                TEAM,
                "the agent's written authorisation from the person",
                f"dsar attach-authorisation {ref} FILE",
            )
        ]
    allowed = identity.allowed_methods
    steps = []
    if IdentityMethod.EMAIL_CODE in allowed:
        steps.append(
            Step(
                PERSON,
                "the person to enter the code sent by e-mail (or to read it out to you)",
                f"dsar verify {ref} --code CODE",
            )
        )
    checks = [m for m in allowed if m is not IdentityMethod.EMAIL_CODE]
    if checks:
        steps.append(
            Step(
                TEAM,
                f"an identity check ({' or '.join(m.value for m in checks)})",
                f"dsar verify {ref} --method {checks[0].value} --note TEXT",
            )
        )
    return steps


def _systems(state: RequestState, progress: dict[str, CompanyCollectionState | None]) -> list[SystemResult]:
    """Each company's systems: as the company's child reports them while it runs."""
    found: list[SystemResult] = []
    for company in state.companies:
        detail = progress.get(company.company)
        if detail is not None and detail.systems and not company.done:
            found += detail.systems
        else:
            found += company.systems
    return found


def _collection(state: RequestState, progress: dict[str, CompanyCollectionState | None]) -> list[Step]:
    ref = state.reference
    steps = [
        Step(
            owner(s.company, s.system),
            f"{owner(s.company, s.system)} ({s.name or s.system}) to send the export they were asked for",
            f"dsar upload {ref} --system {s.company}/{s.system} FILE"
            f"  (or, if it holds nothing: dsar mark-na {ref} --system {s.company}/{s.system} --reason TEXT)",
        )
        for s in _systems(state, progress)
        if s.status is SystemStatus.AWAITING_UPLOAD
    ]
    return steps + _failed_systems(state, progress)


def _failed_systems(state: RequestState, progress: dict[str, CompanyCollectionState | None]) -> list[Step]:
    ref = state.reference
    return [
        Step(
            TEAM,
            f"{s.company}/{s.system} failed ({s.error or 'no answer'}): collect it again once fixed,"
            " or mark it not applicable",
            f"dsar retry {ref} --system {s.company}/{s.system}"
            f"  (or: dsar mark-na {ref} --system {s.company}/{s.system} --reason TEXT)",
        )
        for s in _systems(state, progress)
        if s.status is SystemStatus.FAILED
    ]


def _actions(state: RequestState, pending: list[ActionResult]) -> list[Step]:
    ref = state.reference
    steps = []
    for a in pending:
        if a.status is ActionStatus.AWAITING_OWNER:
            where = f"{a.company}/{a.system}"
            steps.append(
                Step(
                    owner(a.company, a.system),
                    f"{owner(a.company, a.system)} ({a.name or a.system})"
                    f" to {action_words(a.action)} by hand",
                    f"dsar done {ref} --system {where} --action {a.action.value} --changed N"
                    f"  (or: --not-applicable --note TEXT)",
                )
            )
    for a in state.actions:
        if a.status is ActionStatus.FAILED:
            where = f"{a.company}/{a.system}"
            steps.append(
                Step(
                    TEAM,
                    f"{a.action.value} failed in {where} ({a.error or 'no answer'}):"
                    " take it again once fixed",
                    f"dsar retry-action {ref} --system {where} --action {a.action.value}"
                    f"  (or settle it by hand: dsar done {ref} --system {where} --action {a.action.value})",
                )
            )
    if not steps and state.restriction_active:
        steps.append(
            Step(
                TEAM,
                "the restriction stays in force until the team lifts it (the person is told first)",
                f"dsar lift-restriction {ref} --reason TEXT",
            )
        )
    return steps


def action_words(action: Action) -> str:
    """`erase the person's data`: what an owner is asked to do, in words."""
    return {
        Action.RECTIFY: "correct the person's data",
        Action.ERASE: "erase the person's data",
        Action.RESTRICT: "restrict (flag) the person's data",
        Action.LIFT_RESTRICTION: "lift the restriction",
        Action.WITHDRAW_CONSENT: "switch off the person's consents",
        Action.SUPPRESS_MARKETING: "stop marketing to the person",
    }[action]


def after_approval(rights: list[Right], objection_upheld: bool | None = None) -> str:
    """What approval starts, for these rights: `the package's download link is sent; then erasure ...`."""
    parts = []
    if Right.ACCESS in rights or Right.PORTABILITY in rights:
        # Built before review opened; again only if a review decision changed it.
        parts.append("the package's download link is sent")
    acts = []
    if Right.RECTIFICATION in rights:
        acts.append("the corrections")
    if Right.RESTRICTION in rights or (Right.OBJECTION in rights and objection_upheld):
        acts.append("the restriction")
    if Right.ERASURE in rights:
        acts.append("erasure")
    if acts:
        parts.append(f"{' and '.join(acts)} in every company, then the letter to the person")
    return "; then ".join(parts) or "the request is closed"


def follow(reference: str) -> str:
    """The closing words of a step's answer: where to see what happens next."""
    return f"Follow it with: dsar status {reference}"


def steps_text(steps: list[Step]) -> list[str]:
    """The closing lines of `dsar status`: what the request waits for and how to move it."""
    if not steps:
        return ["Waits for: nothing; the request is closed."]
    lines = []
    for step in steps:
        lines.append(f"Waits for: {step.what}" + ("" if step.who in step.what else f" ({step.who})"))
        if step.command:
            lines.append(f"  next: {step.command}")
    return lines

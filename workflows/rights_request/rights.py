"""What each right needs, in one table: review or not, a copy or not, which actions, in what order.

The request workflow composes its steps from this table and nothing else: a request asking
for several rights gets the union of their needs. Only an objection to direct marketing
(Art. 21(3)) and a withdrawal of consent (Art. 7(3)) act at once, without review; every
other right is collected and reviewed first. The copy goes out before anything is changed
or erased, and the actions after review run corrections first, then the restriction flag,
erasure last.
"""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dsar.domain import ObjectionScope, RequestSubmission, Right
    from dsar.messages.actions import Action


@dataclass(frozen=True)
class RightNeeds:
    """What one right needs from the request workflow."""

    review: bool = False  # collected and approved by a reviewer first
    copy: bool = False  # the person receives a package of their data
    portable: bool = False  # in the machine-readable form of Art. 20, sent on if asked
    at_once: Action | None = None  # taken in every company without review
    after_review: Action | None = None  # taken in every company once approved, after the copy
    only_if_upheld: bool = False  # ... and only if the reviewer upholds the objection (Art. 21(1))
    # Ends with the Art. 19 notices to recipients and a letter saying what was done.
    outcome_letter: bool = True


# One row per right; an objection needs what its scope says (Art. 21(3) or 21(1)).
NEEDS: dict[tuple[Right, ObjectionScope | None], RightNeeds] = {
    (Right.ACCESS, None): RightNeeds(review=True, copy=True, outcome_letter=False),
    (Right.PORTABILITY, None): RightNeeds(review=True, copy=True, portable=True),
    (Right.RECTIFICATION, None): RightNeeds(review=True, after_review=Action.RECTIFY),
    (Right.ERASURE, None): RightNeeds(review=True, after_review=Action.ERASE),
    (Right.RESTRICTION, None): RightNeeds(review=True, after_review=Action.RESTRICT),
    (Right.OBJECTION, ObjectionScope.DIRECT_MARKETING): RightNeeds(at_once=Action.SUPPRESS_MARKETING),
    # Weighed by a reviewer; upheld, the processing stops: the data is only stored.
    (Right.OBJECTION, ObjectionScope.OTHER): RightNeeds(
        review=True, after_review=Action.RESTRICT, only_if_upheld=True
    ),
    (Right.CONSENT_WITHDRAWAL, None): RightNeeds(at_once=Action.WITHDRAW_CONSENT),
}
# The order actions run in, whichever rights asked for them.
ACTION_ORDER = [
    Action.SUPPRESS_MARKETING,
    Action.WITHDRAW_CONSENT,
    Action.RECTIFY,
    Action.RESTRICT,
    Action.ERASE,
]


@dataclass(frozen=True)
class RequestSteps:
    """The union of the needs of a request's rights."""

    acting: bool  # a right beyond access: actions (if any), Art. 19 notices, the outcome letter
    review: bool
    copy: bool
    portable: bool
    at_once: tuple[Action, ...]
    after_review: tuple[Action, ...]
    if_upheld: tuple[Action, ...]

    def actions_after_review(self, objection_upheld: bool) -> list[Action]:
        wanted = set(self.after_review) | (set(self.if_upheld) if objection_upheld else set())
        return [a for a in ACTION_ORDER if a in wanted]


def needs_of(sub: RequestSubmission) -> list[RightNeeds]:
    """The table's rows for the submission's rights (an objection always carries its scope)."""
    scope = sub.objection.scope if sub.objection is not None else None
    return [NEEDS[(r, scope if r is Right.OBJECTION else None)] for r in sub.rights]


def steps_for(sub: RequestSubmission) -> RequestSteps:
    needs = needs_of(sub)
    at_once = {n.at_once for n in needs if n.at_once is not None}
    return RequestSteps(
        acting=any(n.outcome_letter for n in needs),
        review=any(n.review for n in needs),
        copy=any(n.copy for n in needs),
        portable=any(n.portable for n in needs),
        at_once=tuple(a for a in ACTION_ORDER if a in at_once),
        after_review=tuple(n.after_review for n in needs if n.after_review and not n.only_if_upheld),
        if_upheld=tuple(n.after_review for n in needs if n.after_review and n.only_if_upheld),
    )

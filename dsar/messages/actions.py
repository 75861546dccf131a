"""The other rights: the actions taken in each system, and the privacy team's steps about them."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field

from dsar.domain import Correction, Right
from dsar.messages.decision import Decision


class Action(StrEnum):
    """What the other rights do to a system's data about the person."""

    RECTIFY = "rectify"  # Art. 16: the approved corrections, before/after recorded
    ERASE = "erase"  # Art. 17: delete or anonymise, keeping what a legal duty or hold requires
    RESTRICT = "restrict"  # Art. 18: flag; the system's exports leave flagged data out
    LIFT_RESTRICTION = "lift_restriction"  # Art. 18(3): only after the person has been told
    WITHDRAW_CONSENT = "withdraw_consent"  # Art. 7(3): consent flags off from now on
    SUPPRESS_MARKETING = "suppress_marketing"  # Art. 21(3): onto the suppression list, at once

    @property
    def right(self) -> Right:
        """The right a system must support (registry `rights`) to be asked to take this action."""
        return {
            Action.RECTIFY: Right.RECTIFICATION,
            Action.ERASE: Right.ERASURE,
            Action.RESTRICT: Right.RESTRICTION,
            Action.LIFT_RESTRICTION: Right.RESTRICTION,
            Action.WITHDRAW_CONSENT: Right.CONSENT_WITHDRAWAL,
            Action.SUPPRESS_MARKETING: Right.OBJECTION,
        }[self]

    @property
    def tells_recipients(self) -> bool:
        """Art. 19 covers rectification, erasure and restriction (and its lifting is a change too)."""
        return self in (Action.RECTIFY, Action.ERASE, Action.RESTRICT)


class ActionStatus(StrEnum):
    PENDING = "pending"
    AWAITING_OWNER = "awaiting_owner"  # a manual system: the owner has been asked to act
    DONE = "done"  # taken (possibly on zero rows: `changed` says how many)
    FAILED = "failed"
    NOT_APPLICABLE = "not_applicable"  # the system cannot take this action, or the team decided so

    @property
    def settled(self) -> bool:
        return self is not ActionStatus.PENDING and self is not ActionStatus.AWAITING_OWNER


class KeptData(BaseModel):
    """Data an erasure left in place, and why (Art. 17(3)): said in the confirmation letter."""

    category: str
    items: int  # rows or objects kept
    legal_basis: str  # e.g. "Bokföringslagen (1999:1078) 7 kap. 2 §" or "legal hold: ..."
    until: date | None = None  # when the duty ends (the newest kept row's date plus the years)


class ExecuteSystemInput(BaseModel):
    """One action in one system. Corrections are personal data: this input travels encrypted."""

    reference: str
    company: str
    system: str
    action: Action
    corrections: list[Correction] = Field(default_factory=list)
    # Erasure: a legal hold on this system keeps everything, with this reason.
    legal_hold: str | None = None
    # Erasure: the request's jurisdiction, for retention rules not set by the company's country.
    jurisdiction: str = ""


class ActionResult(BaseModel):
    """What one system did. Counts, categories and recipient codes: no personal data."""

    company: str
    system: str
    name: str = ""
    kind: str = "postgres"
    action: Action
    status: ActionStatus
    changed: int = 0  # rows or objects erased, corrected, flagged, switched off
    fields: list[str] = Field(default_factory=list)  # rectification: fields corrected here
    kept: list[KeptData] = Field(default_factory=list)
    # Registry recipient codes the affected data had been disclosed to (Art. 19).
    recipients: list[str] = Field(default_factory=list)
    error: str | None = None
    note: str | None = None
    # A sentence the team marked for the person; the internal `note` never reaches a letter.
    note_for_person: str | None = None


class RecordActionResultInput(BaseModel):
    reference: str
    result: ActionResult
    actor: str
    occasion: str = ""


class CompanyActionInput(BaseModel):
    reference: str
    company: str
    action: Action
    corrections: list[Correction] = Field(default_factory=list)
    # system code -> reason, for systems under a legal hold (erasure keeps them).
    legal_holds: dict[str, str] = Field(default_factory=dict)
    jurisdiction: str = ""
    # Only these systems (a retry the privacy team asked for); None means all that support it.
    systems: list[str] | None = None
    notify_queue: str | None = None
    round: int = 0


class CompanyActionResult(BaseModel):
    company: str
    action: Action
    systems: list[ActionResult]


class CompanyActionState(BaseModel):
    company: str
    action: Action
    systems: list[ActionResult] = Field(default_factory=list)


class ActionConfirmation(Decision):
    """The privacy team says a manual system's owner has done what was asked (or cannot)."""

    company: str = Field(min_length=1, max_length=16)
    system: str = Field(min_length=1, max_length=16)
    action: Action
    done: bool = True  # False: not applicable here, with the reason in the note
    changed: int = Field(default=0, ge=0)
    note: str = Field(default="", max_length=2000)
    # The note is internal; this sentence, if given, is told to the person in the letter.
    note_for_person: str = Field(default="", max_length=1000)


class ActionRetry(Decision):
    """Take a failed action again in one system (a new round of the company's child)."""

    company: str = Field(min_length=1, max_length=16)
    system: str = Field(min_length=1, max_length=16)
    action: Action


class LiftRestriction(Decision):
    reason: str = Field(min_length=1, max_length=2000)


class SuppressionResult(BaseModel):
    """Entries on the group-wide list for this person (keyed hashes: e-mail, phone)."""

    entries: int
    added: int

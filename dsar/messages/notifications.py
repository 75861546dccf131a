"""Letters and e-mails: their kinds, the request to send one, and the record of one sent."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from dsar.messages.actions import Action


class NotificationKind(StrEnum):
    ACKNOWLEDGEMENT = "acknowledgement"
    DELIVERY = "delivery"
    TEAM_REMINDER = "team_reminder"  # to the privacy team, before the due date
    ESCALATION = "escalation"  # to the escalation address, on and after the due date
    IDENTITY_REMINDER = "identity_reminder"  # to the person, while identity is outstanding
    IDENTITY_NOT_VERIFIED = "identity_not_verified"  # to the person, when we close
    EXTENSION = "extension"  # to the person: the deadline moves, and why
    CLARIFICATION = "clarification"  # to the person: a question from the privacy team
    REFUSAL = "refusal"  # to the person: we refuse to act (Art. 12(5)), with reasons and remedies
    MANUAL_TASK = "manual_task"  # to a manual system's owner: please search for the person
    MANUAL_REMINDER = "manual_reminder"  # to the owner, while the export is outstanding
    DOWNLOAD_CODE = "download_code"  # to the person: the code for the download page, apart from the link
    IDENTITY_CODE = "identity_code"  # to the person, at an address the group holds: a one-time code
    # Rights other than access: what was done, system by system, and what was kept and why.
    OUTCOME = "outcome"  # to the person
    RESTRICTION_LIFT = "restriction_lift"  # to the person, before a restriction is lifted (Art. 18(3))
    RECIPIENT_NOTICE = "recipient_notice"  # to a recipient the data was disclosed to (Art. 19)
    MANUAL_ACTION = "manual_action"  # to a manual system's owner: please erase/correct/flag

    @property
    def to_person(self) -> bool:
        return self not in (
            NotificationKind.TEAM_REMINDER,
            NotificationKind.ESCALATION,
            NotificationKind.MANUAL_TASK,
            NotificationKind.MANUAL_REMINDER,
            NotificationKind.MANUAL_ACTION,
            NotificationKind.RECIPIENT_NOTICE,
        )

    @property
    def to_system_owner(self) -> bool:
        return self in (
            NotificationKind.MANUAL_TASK,
            NotificationKind.MANUAL_REMINDER,
            NotificationKind.MANUAL_ACTION,
        )


class SendNotification(BaseModel):
    reference: str
    kind: NotificationKind
    # Distinguishes repeated kinds (the 7-day reminder from the 3-day one); part of the
    # idempotency key, so each occasion is sent once.
    occasion: str = ""
    # Free text for the letter, written by the privacy team (extension reason, question).
    text: str | None = Field(default=None, max_length=4000)
    # For tasks to a manual system's owner: which system ("company/system").
    system: str | None = None
    # For a manual system's action task: which action to take.
    action: Action | None = None
    # For an Art. 19 notice: the recipient's registry code, and the actions it reports.
    recipient: str | None = None
    actions: list[Action] = Field(default_factory=list)
    # For the outcome letter: the decision on an objection to other processing, if any.
    objection_upheld: bool | None = None


class NotificationResult(BaseModel):
    message_id: str
    already_sent: bool


class SentNotice(BaseModel):
    """A letter or e-mail the workflow sent, stamped with workflow time."""

    kind: NotificationKind
    occasion: str = ""
    at: datetime

    @property
    def key(self) -> str:
        return notice_key(self.kind, self.occasion)


def notice_key(kind: NotificationKind, occasion: str) -> str:
    """What makes a notice unique within a request: its kind and, if repeated, the occasion."""
    return f"{kind.value}:{occasion}" if occasion else kind.value

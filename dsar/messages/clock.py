"""The statutory clock: its settings, stops, deadline, extension and clarification."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from dsar.messages.decision import Decision
from dsar.messages.notifications import NotificationKind


class StopReason(StrEnum):
    """Why the clock stopped; the jurisdiction's policy decides which reasons count."""

    IDENTITY = "identity"  # waiting for identity evidence
    CLARIFICATION = "clarification"  # the privacy team asked the person a question


class ClockStopInfo(BaseModel):
    reason: StopReason
    started_at: datetime
    resumed_at: datetime | None = None


class ClockSettings(BaseModel):
    """Reminder, escalation and retention rules, read from configuration when a request starts."""

    team_reminder_days: list[int] = Field(default_factory=lambda: [14, 7, 3, 1])
    identity_reminder_days: list[int] = Field(default_factory=lambda: [7, 14])
    identity_timeout_days: int = 30
    escalation_horizon_days: int = 90
    # Team reminders and escalations fall due at this local time (DSAR_REMINDER_TIME) on
    # their day. The minute came later: histories without it read as on the hour.
    notify_hour: int = 9
    notify_minute: int = 0
    # Days the response package is kept after delivery; then it is deleted.
    package_retention_days: int = 30


class DeadlineInput(BaseModel):
    received_on: date
    jurisdiction: str
    stops: list[ClockStopInfo] = Field(default_factory=list)
    extended: bool = False
    settings: ClockSettings = Field(default_factory=ClockSettings)


class DeadlineEvent(BaseModel):
    """A dated duty of the clock: a reminder to the team, or an escalation."""

    at: datetime
    kind: NotificationKind
    occasion: str  # the local date it concerns; makes the notification unique


class DeadlineResult(BaseModel):
    start_on: date
    due_on: date | None
    due_at: datetime | None
    extension_notice_by: date | None
    extension_notice_by_at: datetime | None = None
    clock_stopped: bool
    extended: bool = False
    events: list[DeadlineEvent] = Field(default_factory=list)


class ExtensionDecision(Decision):
    reason: str = Field(max_length=4000)


class ClarificationRequest(Decision):
    question: str = Field(max_length=4000)


class ClarificationAnswer(Decision):
    note: str | None = Field(default=None, max_length=4000)

"""The morning's team reminders: one run per jurisdiction, and what it sent."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


class TeamRemindersInput(BaseModel):
    jurisdiction: str  # a registry code: "SE"
    # The moment the run was due (its Schedule's time); the day reminded is its local date in
    # the jurisdiction's zone, so a run that starts late still reminds of the right day.
    at: datetime


class TeamRemindersResult(BaseModel):
    day: date
    due: int  # open requests with a team reminder on `day`
    listed: int  # of them, those in the e-mail this run sent (the rest had theirs already)
    message_id: str | None = None  # the e-mail's Message-ID, when one went out

"""The request as the workflow starts with it, and the status changes it records."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from dsar.domain import RequestSubmission, Status
from dsar.messages.carried import CarriedState


class RightsRequestInput(BaseModel):
    reference: str
    submission: RequestSubmission
    submitted_by: str
    # Set only when the request continued as new during a long wait (long_wait.py).
    carried: CarriedState | None = None


class StatusChange(BaseModel):
    reference: str
    status: Status
    actor: str
    due_on: date | None = None
    extended: bool = False
    # A decision or clock event recorded without a change of status (e.g. "extended").
    action: str | None = None
    occasion: str = ""
    details: dict[str, str | int | bool | None] = Field(default_factory=dict)

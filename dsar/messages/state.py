"""What the `state` query returns: process facts only, no personal data."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from dsar.domain import Right, Status
from dsar.messages.actions import ActionResult
from dsar.messages.collection import SystemResult
from dsar.messages.delivery import PackageResult, TransmissionResult
from dsar.messages.identity import IdentityProgress
from dsar.messages.notifications import SentNotice


class CompanyProgress(BaseModel):
    company: str
    task_queue: str
    done: bool = False
    records: int = 0
    failed_systems: list[str] = Field(default_factory=list)
    systems: list[SystemResult] = Field(default_factory=list)
    # Re-collections started for this company; part of their child workflow ids.
    rounds: int = 0


class RequestState(BaseModel):
    """What `dsar status` and the UI show: process facts only, no personal data."""

    reference: str
    status: Status
    rights: list[Right]
    jurisdiction: str
    received_on: date
    due_on: date | None = None
    due_at: datetime | None = None
    clock_stopped: bool = False
    extended: bool = False
    extension_reason: str | None = None
    outcome: str | None = None
    open_question: bool = False
    notices: list[SentNotice] = Field(default_factory=list)
    identity_verified_by: str | None = None
    identity: IdentityProgress | None = None
    approved_by: str | None = None
    companies: list[CompanyProgress] = Field(default_factory=list)
    package: PackageResult | None = None
    delivered_at: datetime | None = None
    links_resent: int = 0
    package_deleted_at: datetime | None = None
    # Other people's data found by the last scan (counts only), and companies whose names
    # could not be indexed for it (their names may be missed: the reviewer should look).
    redaction_findings: int | None = None
    names_not_indexed: list[str] = Field(default_factory=list)
    # The other rights: every system's result for every action taken, legal holds placed
    # at review ("company/system" -> reason), the objection decision, recipients told.
    actions: list[ActionResult] = Field(default_factory=list)
    legal_holds: dict[str, str] = Field(default_factory=dict)
    objection_upheld: bool | None = None
    restriction_active: bool = False
    restriction_lifted_at: datetime | None = None
    recipients_notified: list[str] = Field(default_factory=list)
    transmitted: TransmissionResult | None = None

"""Inputs and results of every workflow, update, query and activity, and the activity names.

They live here, not beside the activities, so that `workflows/` can use them without
importing asyncpg or boto3: workflows call activities by these names. Anything that
carries personal data travels encrypted (see `dsar.codec`); the rest carries only
references, codes and counts.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from dsar.domain import RequestSubmission, Right, Status


class Activity:
    """Activity names: the contract between `workflows/` and `activities/`."""

    REGISTER_REQUEST = "register_request"
    RECORD_STATUS = "record_status"
    COMPUTE_DEADLINE = "compute_deadline"
    PLAN_COLLECTION = "plan_collection"
    LIST_SYSTEMS = "list_systems"
    COLLECT_SYSTEM = "collect_system"
    BUILD_PACKAGE = "build_package"
    SEND_NOTIFICATION = "send_notification"
    LOAD_ROLES = "load_roles"


class RightsRequestInput(BaseModel):
    reference: str
    submission: RequestSubmission
    submitted_by: str


class ClockStopInfo(BaseModel):
    started_on: date
    resumed_on: date | None = None


class DeadlineInput(BaseModel):
    received_on: date
    jurisdiction: str
    stops: list[ClockStopInfo] = Field(default_factory=list)
    extended: bool = False


class DeadlineResult(BaseModel):
    start_on: date
    due_on: date | None
    due_at: datetime | None
    extension_notice_by: date | None
    clock_stopped: bool


class StatusChange(BaseModel):
    reference: str
    status: Status
    actor: str
    due_on: date | None = None
    details: dict[str, str | int | bool | None] = Field(default_factory=dict)


class NotificationKind(StrEnum):
    ACKNOWLEDGEMENT = "acknowledgement"
    DELIVERY = "delivery"


class SendNotification(BaseModel):
    reference: str
    kind: NotificationKind


class NotificationResult(BaseModel):
    message_id: str
    already_sent: bool


class CompanyTarget(BaseModel):
    code: str
    legal_name: str
    task_queue: str


class CollectionPlan(BaseModel):
    companies: list[CompanyTarget]


class CompanyCollectionInput(BaseModel):
    reference: str
    company: str


class SystemRef(BaseModel):
    company: str
    system: str
    name: str
    kind: str


class CollectSystemInput(BaseModel):
    reference: str
    company: str
    system: str


class SystemStatus(StrEnum):
    PENDING = "pending"
    COLLECTED = "collected"
    FAILED = "failed"


class SystemResult(BaseModel):
    company: str
    system: str
    name: str = ""
    status: SystemStatus
    records: int = 0
    bytes: int = 0
    categories: list[str] = Field(default_factory=list)
    error: str | None = None


class CompanyCollectionResult(BaseModel):
    company: str
    systems: list[SystemResult]

    @property
    def records(self) -> int:
        return sum(s.records for s in self.systems)


class BuildPackageInput(BaseModel):
    reference: str


class PackageResult(BaseModel):
    artefact_id: str
    bytes: int
    sha256: str
    records: int
    companies_with_data: list[str]


class IdentityDecision(BaseModel):
    """The privacy team's confirmation that the requester is who they claim to be."""

    actor: str = Field(min_length=1, max_length=100)
    method: str = Field(default="privacy_team_check", max_length=50)
    note: str | None = Field(default=None, max_length=2000)


class ReviewDecision(BaseModel):
    actor: str = Field(min_length=1, max_length=100)
    note: str | None = Field(default=None, max_length=2000)


class CompanyProgress(BaseModel):
    company: str
    task_queue: str
    done: bool = False
    records: int = 0
    failed_systems: list[str] = Field(default_factory=list)


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
    identity_verified_by: str | None = None
    approved_by: str | None = None
    companies: list[CompanyProgress] = Field(default_factory=list)
    package: PackageResult | None = None
    delivered_at: datetime | None = None


class CompanyCollectionState(BaseModel):
    company: str
    systems: list[SystemResult] = Field(default_factory=list)

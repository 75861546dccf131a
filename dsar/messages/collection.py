"""Collection: which companies and systems are searched, and what each one returned."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from dsar.domain import Right
from dsar.messages.decision import Decision


class CompanyTarget(BaseModel):
    code: str
    legal_name: str
    task_queue: str


class CollectionPlan(BaseModel):
    companies: list[CompanyTarget]


class CompanyCollectionInput(BaseModel):
    reference: str
    company: str
    # Only these systems (a re-collection the privacy team asked for); None means all.
    systems: list[str] | None = None
    # Where the notification activities run (tasks to manual systems' owners).
    notify_queue: str | None = None
    # 0 for the first collection; each re-collection the privacy team asks for counts up.
    round: int = 0


class SystemRef(BaseModel):
    company: str
    system: str
    name: str
    kind: str
    # Manual systems: remind the owner after these many days.
    reminder_days: list[int] = Field(default_factory=list)
    # The rights the system supports (registry `rights`): which actions it is asked to take.
    rights: list[Right] = Field(default_factory=list)


class CollectSystemInput(BaseModel):
    reference: str
    company: str
    system: str


class SystemStatus(StrEnum):
    PENDING = "pending"
    AWAITING_UPLOAD = "awaiting_upload"  # a manual system: the owner has been asked
    COLLECTED = "collected"
    FAILED = "failed"
    NOT_APPLICABLE = "not_applicable"  # the privacy team decided, with a reason

    @property
    def settled(self) -> bool:
        return self in (SystemStatus.COLLECTED, SystemStatus.FAILED, SystemStatus.NOT_APPLICABLE)


class SystemResult(BaseModel):
    company: str
    system: str
    name: str = ""
    kind: str = "postgres"
    status: SystemStatus
    records: int = 0
    bytes: int = 0
    categories: list[str] = Field(default_factory=list)
    # Records found only by name and postcode: a reviewer must confirm them.
    fuzzy_matches: int = 0
    error: str | None = None
    note: str | None = None
    note_for_person: str | None = None


class UploadedFile(Decision):
    """An export from a manual system, already in the case bucket (claim-check)."""

    company: str
    system: str
    object_key: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    bytes: int = Field(ge=0)
    media_type: str = Field(default="application/octet-stream", max_length=100)


class IngestUploadInput(BaseModel):
    reference: str
    upload: UploadedFile


class SystemDecision(Decision):
    """A privacy-team decision about one system: re-collect it, or mark it not applicable."""

    company: str = Field(min_length=1, max_length=16)
    system: str = Field(min_length=1, max_length=16)
    reason: str = Field(default="", max_length=2000)
    # The reason is internal; this sentence, if given, is told to the person in the report.
    note_for_person: str = Field(default="", max_length=1000)


class RecordSystemResultInput(BaseModel):
    reference: str
    result: SystemResult
    actor: str
    # Distinguishes repeated decisions about one system in the audit trail.
    occasion: str = ""


class CompanyCollectionResult(BaseModel):
    company: str
    systems: list[SystemResult]

    @property
    def records(self) -> int:
        return sum(s.records for s in self.systems)


class CompanyCollectionState(BaseModel):
    company: str
    systems: list[SystemResult] = Field(default_factory=list)

"""Retention: the purge's runs and batches, and an erasure's reach into earlier cases.

Only references and counts cross the Temporal boundary: what was removed is counted,
never shown, so the purge's history holds no personal data.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from dsar.config import Settings


class PurgeStage(StrEnum):
    """The two things retention does to a closed case, in the order they fall due."""

    # Collected records, uploads, bulk parts, copied files and packages: deleted.
    COPIES = "copies"
    # The accountability record: identifying fields pseudonymised, the rest kept as statistics.
    RECORD = "record"


class RetentionRules(BaseModel):
    """How long a closed case keeps its copies and its identifying record, in days."""

    copies_days: int = Field(default=30, ge=1)
    record_days: int = Field(default=1095, ge=1)

    @classmethod
    def from_settings(cls, settings: Settings) -> RetentionRules:
        """The configured rules; copies stay at least as long as the package, which is
        rebuilt from them while the person may still fetch it."""
        return cls(
            copies_days=max(settings.retention_copies_days, settings.package_retention_days),
            record_days=settings.retention_record_days,
        )


class PurgeRunResult(BaseModel):
    """A whole run: cases whose copies went, cases pseudonymised, rows and files removed."""

    copies_purged: int = 0
    pseudonymised: int = 0
    records: int = 0
    files: int = 0
    batches: int = 0


class PurgeInput(BaseModel):
    """One purge run, as the Schedule starts it; `as_of` defaults to the run's own start.

    A run that continues as new carries its moment, its place and its totals."""

    # None: the control worker's DSAR_RETENTION_BATCH. The Schedule starts a run with no
    # input at all, so nothing sealed for one workflow id has to open under the run's own id.
    batch_size: int | None = Field(default=None, ge=1, le=1000)
    # A run continues as new after this many batches (or when Temporal suggests it sooner),
    # so no run's history grows without bound however many cases fall due at once.
    batches_per_run: int = Field(default=200, ge=1)
    as_of: datetime | None = None
    stage: PurgeStage = PurgeStage.COPIES
    after: str = ""
    so_far: PurgeRunResult = Field(default_factory=lambda: PurgeRunResult())


class PurgeBatchInput(BaseModel):
    """One batch of one stage: the next cases due at `as_of`, after the reference `after`."""

    stage: PurgeStage
    as_of: datetime
    batch_size: int | None = Field(default=None, ge=1, le=1000)
    after: str = ""
    # The purge run's workflow id: the audit entries name it as the actor's occasion.
    run_id: str = ""


class PurgeBatchResult(BaseModel):
    """What one batch did: the cases it finished, and the counts of what it removed."""

    cases: list[str] = Field(default_factory=list)
    # The last reference this batch looked at (finished or left, e.g. held since): the next
    # batch starts after it.
    next_after: str = ""
    records: int = 0
    files: int = 0
    # True when fewer cases were due than the batch could take: the stage is done.
    last: bool = True


class EarlierCasesResult(BaseModel):
    """An erasure's reach into the person's earlier closed cases: reduced, or kept under a hold."""

    reduced: int = 0
    held: int = 0

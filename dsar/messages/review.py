"""Review: fuzzy matches, other people's data and its redaction, approval, refusal,
legal holds and the objection decision."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from dsar.messages.decision import Decision


class MatchDecision(Decision):
    """A reviewer confirms or rejects records found only by name and postcode."""

    record_ids: list[int] = Field(min_length=1, max_length=1000)
    accept: bool


class DecideMatchesInput(BaseModel):
    reference: str
    decision: MatchDecision


class IndexNamesInput(BaseModel):
    reference: str
    company: str
    # True once the control worker has noted the records' name candidates (patch
    # `names-among-candidates`): the company's names are kept only where they are among them.
    among_candidates: bool = False


class ScanResult(BaseModel):
    """Counts only: the findings themselves stay in the case store."""

    records: int
    findings: int


class ExclusionReason(StrEnum):
    """Why a whole record is left out of the copy (Art. 15(4) and national exemptions)."""

    LEGAL_PRIVILEGE = "legal_privilege"
    TRADE_SECRET = "trade_secret"  # noqa: S105 (a reason, not a secret)
    OTHERS_RIGHTS = "others_rights"  # another person's rights and freedoms


class ExcludeRecords(Decision):
    record_ids: list[int] = Field(min_length=1, max_length=1000)
    reason_code: ExclusionReason
    note: str = Field(default="", max_length=2000)


class ManualRedaction(Decision):
    """A reviewer removes text the detector did not find. Only the position travels (the
    CLI finds `--text` in the case store), so the removed words never enter history."""

    record_id: int
    path: str = Field(min_length=2, max_length=500, pattern=r"^\$[.\[]")
    # Half-open character ranges within the field's text; none means the whole field.
    spans: list[tuple[int, int]] = Field(default_factory=list, max_length=100)
    reason: str = Field(max_length=2000)


class KeepFinding(Decision):
    """A reviewer overrules one automatic redaction: the value is the person's, or public."""

    record_id: int
    finding_id: str = Field(pattern=r"^f-[0-9a-f]{16}$")
    reason: str = Field(max_length=2000)


class RedactionDecisionInput(BaseModel):
    """One reviewer decision; exactly one of the three is set."""

    reference: str
    exclude: ExcludeRecords | None = None
    redact: ManualRedaction | None = None
    keep: KeepFinding | None = None


class ReviewDecision(Decision):
    note: str | None = Field(default=None, max_length=2000)


class RefusalDecision(Decision):
    """Art. 12(5): a manifestly unfounded or excessive request is refused, with reasons."""

    reason: str = Field(max_length=4000)


class LegalHold(Decision):
    """The privacy team keeps a system's data despite erasure (legal claims, Art. 17(3)(e))."""

    company: str = Field(min_length=1, max_length=16)
    system: str = Field(min_length=1, max_length=16)
    reason: str = Field(min_length=1, max_length=500)


class ObjectionDecision(Decision):
    """Art. 21(1): the objection to other processing is upheld, or overridden by compelling grounds."""

    uphold: bool
    grounds: str = Field(min_length=1, max_length=4000)

"""The group's privacy notice as validated configuration (`infra/privacy_notice.toml`).

Checked when loaded, because a report that silently omits a purpose or a recipient
would be an incomplete answer to the person. Read on first use and cached.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from enum import StrEnum
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    model_validator,
)

from dsar.domain import Language, Right
from dsar.group import Category
from dsar.toml_config import parse_toml_model

_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_NOTICE_FILE = _ROOT / "infra" / "privacy_notice.toml"

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$")]


class PrivacyNoticeError(ValueError):
    """The notice or the report strings are unreadable or break a rule; the message names
    the field, so whoever edits the file can fix it without reading code."""


class Text(BaseModel):
    """Every sentence a person reads exists in both report languages, so no report can
    fall back to the other language half-way through."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sv: NonEmpty
    en: NonEmpty

    def in_language(self, language: Language | str) -> str:
        return self.sv if Language(language) is Language.SV else self.en


class LegalBasis(StrEnum):
    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    LEGITIMATE_INTEREST = "legitimate_interest"


# The letter of Art. 6(1) each basis stands for; the file states it too, and the two
# must agree, so a typo in either is caught rather than printed in a report.
ARTICLE_6_1_LETTER: Mapping[LegalBasis, str] = MappingProxyType(
    {
        LegalBasis.CONSENT: "a",
        LegalBasis.CONTRACT: "b",
        LegalBasis.LEGAL_OBLIGATION: "c",
        LegalBasis.LEGITIMATE_INTEREST: "f",
    }
)


class FrozenModel(BaseModel):
    """Read from a file the privacy team edits: immutable, and an unknown key is a typo."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def _no_duplicates(values: Iterable[str], field: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{field}: {value!r} appears more than once")
        seen.add(value)


class Address(FrozenModel):
    id: Id
    label: Text
    lines: list[NonEmpty] = Field(min_length=1)
    country_code: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    country: Text


class Controller(FrozenModel):
    legal_name: NonEmpty
    company_number: NonEmpty
    registered_in: Text
    privacy_email: EmailStr
    last_updated: date
    scope: Text
    addresses: list[Address] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Controller:
        _no_duplicates((a.id for a in self.addresses), "controller.addresses.id")
        return self


class LegalBasisEntry(FrozenModel):
    basis: LegalBasis
    article_6_1: Literal["a", "b", "c", "d", "e", "f"]
    # When one activity rests on different bases in different situations (marketing:
    # consent if opted in, legitimate interests otherwise), the condition says which.
    condition: Text | None = None

    @model_validator(mode="after")
    def _letter_matches(self) -> LegalBasisEntry:
        expected = ARTICLE_6_1_LETTER[self.basis]
        if self.article_6_1 != expected:
            raise ValueError(
                f"article_6_1 is {self.article_6_1!r} but {self.basis.value} is Art. 6(1)({expected})"
            )
        return self


class Activity(FrozenModel):
    id: Id
    name: Text
    categories: list[Category] = Field(min_length=1)
    purposes: Text
    legal_bases: list[LegalBasisEntry] = Field(min_length=1)
    objection_possible: bool
    objection_note: Text | None = None

    @model_validator(mode="after")
    def _rules(self) -> Activity:
        _no_duplicates(self.categories, f"activities.{self.id}.categories")
        relies_on_interests = any(b.basis is LegalBasis.LEGITIMATE_INTEREST for b in self.legal_bases)
        # Art. 21(1): processing on legitimate interests can always be objected to.
        if relies_on_interests and not self.objection_possible:
            raise ValueError(
                f"activities.{self.id}.objection_possible must be true: it rests on "
                "legitimate interests (Art. 21(1))"
            )
        if self.objection_note is not None and not self.objection_possible:
            raise ValueError(f"activities.{self.id}.objection_note is set but objection_possible is false")
        return self


class Recipient(FrozenModel):
    id: Id
    name: Text
    description: Text
    # True where the recipient may be outside the EEA, so 15(2) safeguards apply to it.
    outside_eea: bool
    categories: list[Category] = Field(min_length=1)


class Safeguard(FrozenModel):
    id: Id
    kind: Literal["adequacy_decision", "standard_contractual_clauses", "binding_corporate_rules"]
    name: Text
    description: Text
    applies_to: list[Id] = Field(default_factory=list)
    copy_on_request: bool = False


class Transfers(FrozenModel):
    summary: Text
    safeguards: list[Safeguard] = Field(min_length=1)


class RetentionRule(FrozenModel):
    id: Id
    text: Text


class Retention(FrozenModel):
    no_fixed_period: Text
    anonymised: Text | None = None
    rules: list[RetentionRule] = Field(min_length=1)
    criteria: list[RetentionRule] = Field(min_length=1)

    def rule(self, rule_id: str) -> RetentionRule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


class RightInfo(FrozenModel):
    right: Right
    article: Annotated[str, StringConstraints(pattern=r"^\d+(\(\d+\))?$")]
    name: Text
    explanation: Text


class Complaints(FrozenModel):
    to_group: Text
    # The authority itself depends on the request's jurisdiction and is passed to the
    # report separately; here only the promise that the person may complain.
    to_authority: Text


class SourceKind(StrEnum):
    DATA_SUBJECT = "data_subject"
    THIRD_PARTY = "third_party"
    GROUP_RECORDS = "group_records"


class Source(FrozenModel):
    id: Id
    kind: SourceKind
    name: Text
    description: Text


class AutomatedDecisions(FrozenModel):
    used: bool
    statement: Text
    # Art. 15(1)(h) asks for meaningful information about the logic and the
    # consequences whenever such decisions are made; required if `used`.
    logic: Text | None = None
    significance: Text | None = None

    @model_validator(mode="after")
    def _explained_if_used(self) -> AutomatedDecisions:
        if self.used and (self.logic is None or self.significance is None):
            raise ValueError("automated_decisions: logic and significance are required when used is true")
        return self


class CategoryInfo(FrozenModel):
    label: Text
    description: Text
    activities: list[Id] = Field(min_length=1)
    retention: list[Id] = Field(min_length=1)
    sources: list[Id] = Field(min_length=1)


class PrivacyNotice(FrozenModel):
    controller: Controller
    activities: list[Activity] = Field(min_length=1)
    recipients: list[Recipient] = Field(min_length=1)
    transfers: Transfers
    retention: Retention
    rights: list[RightInfo]
    complaints: Complaints
    sources: list[Source] = Field(min_length=1)
    automated_decisions: AutomatedDecisions
    categories: dict[Category, CategoryInfo]

    @model_validator(mode="after")
    def _consistent(self) -> PrivacyNotice:
        _no_duplicates((a.id for a in self.activities), "activities.id")
        _no_duplicates((r.id for r in self.recipients), "recipients.id")
        _no_duplicates((s.id for s in self.sources), "sources.id")
        _no_duplicates((s.id for s in self.transfers.safeguards), "transfers.safeguards.id")
        _no_duplicates((r.id for r in self.retention.rules), "retention.rules.id")
        _no_duplicates((c.id for c in self.retention.criteria), "retention.criteria.id")
        _no_duplicates((r.right.value for r in self.rights), "rights.right")

        missing_rights = [r.value for r in Right if r not in {i.right for i in self.rights}]
        if missing_rights:
            raise ValueError(f"rights: no entry for {missing_rights}")

        # A category the systems can hold but the notice does not describe would leave
        # the report unable to explain that data, so every one must be present.
        missing = [c.value for c in Category if c not in self.categories]
        if missing:
            raise ValueError(f"categories: no block for {missing}")

        rule_ids = {r.id for r in self.retention.rules}
        source_ids = {s.id for s in self.sources}
        recipient_ids = {r.id for r in self.recipients}
        for category, info in self.categories.items():
            where = f"categories.{category.value}"
            declared = set(info.activities)
            using = {a.id for a in self.activities if category in a.categories}
            if declared != using:
                raise ValueError(
                    f"{where}.activities is {sorted(declared)} but the activities naming "
                    f"this category are {sorted(using)}"
                )
            unknown = sorted(set(info.retention) - rule_ids)
            if unknown:
                raise ValueError(f"{where}.retention: unknown rules {unknown}")
            unknown = sorted(set(info.sources) - source_ids)
            if unknown:
                raise ValueError(f"{where}.sources: unknown sources {unknown}")
        for safeguard in self.transfers.safeguards:
            unknown = sorted(set(safeguard.applies_to) - recipient_ids)
            if unknown:
                raise ValueError(
                    f"transfers.safeguards.{safeguard.id}.applies_to: unknown recipients {unknown}"
                )
        return self

    def category_label(self, category: Category, language: Language) -> str:
        return self.categories[category].label.in_language(language)

    def source(self, source_id: str) -> Source:
        for source in self.sources:
            if source.id == source_id:
                return source
        raise KeyError(source_id)


def parse_privacy_notice(text: str, source: str = "privacy notice") -> PrivacyNotice:
    return parse_toml_model(PrivacyNotice, text, source, PrivacyNoticeError)


@cache
def _default_notice() -> PrivacyNotice:
    return parse_privacy_notice(DEFAULT_NOTICE_FILE.read_text(encoding="utf-8"), str(DEFAULT_NOTICE_FILE))


def load_privacy_notice(path: Path | None = None) -> PrivacyNotice:
    """Only the default file is cached: workers read it on every report, while an
    explicit path is for tests and checks that want to see a fresh file."""
    if path is None:
        return _default_notice()
    return parse_privacy_notice(path.read_text(encoding="utf-8"), str(path))

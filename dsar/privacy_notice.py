"""The group's privacy notice as validated configuration, and the Art. 15 text made from it.

Art. 15(1)(a)-(h) and 15(2) require the access report to repeat what the notice
promises (purposes, recipients, retention, sources, ...). Keeping the notice in
`infra/privacy_notice.toml` means the report cannot drift from the published notice:
the privacy team edits one file and every later report follows. It is checked when
loaded, because a report that silently omits a purpose or a recipient would be an
incomplete answer to the person.

Nothing here runs at import time; files are read on first use and cached.
"""

from __future__ import annotations

import re
import tomllib
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

_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_NOTICE_FILE = _ROOT / "infra" / "privacy_notice.toml"
DEFAULT_STRINGS_FILE = _ROOT / "templates" / "report" / "strings.toml"

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


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _no_duplicates(values: Iterable[str], field: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{field}: {value!r} appears more than once")
        seen.add(value)


class Address(_Frozen):
    id: Id
    label: Text
    lines: list[NonEmpty] = Field(min_length=1)
    country_code: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    country: Text


class Controller(_Frozen):
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


class LegalBasisEntry(_Frozen):
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


class Activity(_Frozen):
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


class Recipient(_Frozen):
    id: Id
    name: Text
    description: Text
    # True where the recipient may be outside the EEA, so 15(2) safeguards apply to it.
    outside_eea: bool
    categories: list[Category] = Field(min_length=1)


class Safeguard(_Frozen):
    id: Id
    kind: Literal["adequacy_decision", "standard_contractual_clauses", "binding_corporate_rules"]
    name: Text
    description: Text
    applies_to: list[Id] = Field(default_factory=list)
    copy_on_request: bool = False


class Transfers(_Frozen):
    summary: Text
    safeguards: list[Safeguard] = Field(min_length=1)


class RetentionRule(_Frozen):
    id: Id
    text: Text


class Retention(_Frozen):
    no_fixed_period: Text
    anonymised: Text | None = None
    rules: list[RetentionRule] = Field(min_length=1)
    criteria: list[RetentionRule] = Field(min_length=1)

    def rule(self, rule_id: str) -> RetentionRule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


class RightInfo(_Frozen):
    right: Right
    article: Annotated[str, StringConstraints(pattern=r"^\d+(\(\d+\))?$")]
    name: Text
    explanation: Text


class Complaints(_Frozen):
    to_group: Text
    # The authority itself depends on the request's jurisdiction and is passed to the
    # report separately; here only the promise that the person may complain.
    to_authority: Text


class SourceKind(StrEnum):
    DATA_SUBJECT = "data_subject"
    THIRD_PARTY = "third_party"
    GROUP_RECORDS = "group_records"


class Source(_Frozen):
    id: Id
    kind: SourceKind
    name: Text
    description: Text


class AutomatedDecisions(_Frozen):
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


class CategoryInfo(_Frozen):
    label: Text
    description: Text
    activities: list[Id] = Field(min_length=1)
    retention: list[Id] = Field(min_length=1)
    sources: list[Id] = Field(min_length=1)


class PrivacyNotice(_Frozen):
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


# --- report strings -----------------------------------------------------------------

# Keys the code below formats; the template's own keys are checked by the tests.
_CODE_KEYS = frozenset(
    {
        "article_ref_15_1",
        "article_ref_15_2",
        "art15_1_a",
        "art15_1_b",
        "art15_1_c",
        "art15_1_d",
        "art15_1_e",
        "art15_1_f",
        "art15_1_g",
        "art15_1_h",
        "art15_2",
        "intro_purposes",
        "intro_categories",
        "intro_recipients",
        "intro_retention_categories",
        "intro_rights",
        "intro_sources",
        "intro_sources_none",
        "intro_transfers_recipients",
        "complaint_contact",
        "complaint_authority_below",
        "label_legal_basis",
        "label_objection",
        "label_categories",
        "label_outside_eea",
        "label_retention_criteria",
        "label_copy_on_request",
        "article_6_1",
        "automated_logic",
        *(f"basis_{b.value}" for b in LegalBasis),
        *(f"right_{r.value}" for r in Right),
    }
)


def _language(language: str) -> Language:
    try:
        return Language(language)
    except ValueError:
        allowed = ", ".join(v.value for v in Language)
        raise ValueError(f"language must be one of {allowed}, not {language!r}") from None


def parse_report_strings(text: str, source: str = "report strings") -> Mapping[Language, Mapping[str, str]]:
    """Both languages must offer the same keys, so a report in either never shows a gap."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PrivacyNoticeError(f"{source}: not valid TOML: {exc}") from None
    tables: dict[Language, Mapping[str, str]] = {}
    for language in Language:
        table = raw.get(language.value)
        if not isinstance(table, dict):
            raise PrivacyNoticeError(f"{source}: missing table [{language.value}]")
        for key, value in table.items():
            if not isinstance(value, str) or not value.strip():
                raise PrivacyNoticeError(f"{source}: {language.value}.{key}: must be a non-empty string")
        missing = sorted(_CODE_KEYS - table.keys())
        if missing:
            raise PrivacyNoticeError(f"{source}: {language.value}: missing keys {missing}")
        tables[language] = MappingProxyType(dict(table))
    sv_keys, en_keys = set(tables[Language.SV]), set(tables[Language.EN])
    if sv_keys != en_keys:
        raise PrivacyNoticeError(
            f"{source}: only in sv: {sorted(sv_keys - en_keys)}; only in en: {sorted(en_keys - sv_keys)}"
        )
    return MappingProxyType(tables)


@cache
def _default_strings() -> Mapping[Language, Mapping[str, str]]:
    return parse_report_strings(DEFAULT_STRINGS_FILE.read_text(encoding="utf-8"), str(DEFAULT_STRINGS_FILE))


def load_report_strings(language: str, path: Path | None = None) -> dict[str, str]:
    """A fresh dict each call, because the template context is the caller's to change."""
    lang = _language(language)
    tables = (
        _default_strings()
        if path is None
        else parse_report_strings(path.read_text(encoding="utf-8"), str(path))
    )
    return dict(tables[lang])


# --- Art. 15 ------------------------------------------------------------------------


class Art15Entry(_Frozen):
    """One named thing within an item (an activity, a recipient, a right) with its lines."""

    term: str
    details: list[str]


class Art15Item(_Frozen):
    """One paragraph of Art. 15 answered for the person, in the report's language."""

    key: str  # e.g. "15(1)(a)", fixed whatever the language, for tests and templates
    reference: str  # the article reference as the reader's language writes it
    title: str
    paragraphs: list[str]
    entries: list[Art15Entry] = Field(default_factory=list)


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _fill(template: str, **values: str) -> str:
    # Only named placeholders are replaced, so a stray brace in a translation cannot
    # break rendering the way str.format would.
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def art15_items(notice: PrivacyNotice, language: str) -> list[Art15Item]:
    """The supplementary information of Art. 15(1)(a)-(h) and 15(2), in the article's
    order, because that is the checklist a regulator reads a reply against."""
    lang = _language(language)
    t = _default_strings()[lang]
    email = str(notice.controller.privacy_email)

    def tx(text: Text) -> str:
        return text.in_language(lang)

    def labels(categories: Iterable[Category]) -> str:
        present = set(categories)
        ordered = [c for c in Category if c in present]
        return ", ".join(notice.category_label(c, lang) for c in ordered)

    def item(letter: str | None, paragraphs: list[str], entries: list[Art15Entry]) -> Art15Item:
        if letter is None:
            return Art15Item(
                key="15(2)",
                reference=t["article_ref_15_2"],
                title=t["art15_2"],
                paragraphs=paragraphs,
                entries=entries,
            )
        return Art15Item(
            key=f"15(1)({letter})",
            reference=_fill(t["article_ref_15_1"], letter=letter),
            title=t[f"art15_1_{letter}"],
            paragraphs=paragraphs,
            entries=entries,
        )

    # (a) purposes and legal basis
    purposes: list[Art15Entry] = []
    for activity in notice.activities:
        details = [tx(activity.purposes)]
        for entry in activity.legal_bases:
            basis = (
                f"{t['label_legal_basis']}: {t[f'basis_{entry.basis.value}']} "
                f"({_fill(t['article_6_1'], letter=entry.article_6_1)})"
            )
            if entry.condition is not None:
                basis += f" \u2013 {tx(entry.condition)}"
            details.append(basis)
        details.append(f"{t['label_categories']}: {labels(activity.categories)}")
        if activity.objection_possible:
            objection = f"{t['label_objection']}."
            if activity.objection_note is not None:
                objection += f" {tx(activity.objection_note)}"
            details.append(objection)
        purposes.append(Art15Entry(term=tx(activity.name), details=details))

    # (b) categories
    categories = [
        Art15Entry(
            term=tx(notice.categories[c].label),
            details=[tx(notice.categories[c].description)],
        )
        for c in Category
    ]

    # (c) recipients
    recipients: list[Art15Entry] = []
    for recipient in notice.recipients:
        details = [
            tx(recipient.description),
            f"{t['label_categories']}: {labels(recipient.categories)}",
        ]
        if recipient.outside_eea:
            details.append(t["label_outside_eea"])
        recipients.append(Art15Entry(term=tx(recipient.name), details=details))

    # (d) retention
    retention = notice.retention
    retention_paragraphs = [tx(retention.no_fixed_period)]
    retention_paragraphs += [tx(rule.text) for rule in retention.rules]
    criteria = "; ".join(tx(c.text) for c in retention.criteria)
    retention_paragraphs.append(f"{t['label_retention_criteria']}: {criteria}.")
    if retention.anonymised is not None:
        retention_paragraphs.append(tx(retention.anonymised))
    retention_paragraphs.append(t["intro_retention_categories"])
    retention_entries = [
        Art15Entry(
            term=tx(notice.categories[c].label),
            details=[tx(retention.rule(r).text) for r in notice.categories[c].retention],
        )
        for c in Category
    ]

    # (e) the other rights; access is what the person is exercising already.
    rights = [
        Art15Entry(term=tx(info.name), details=[tx(info.explanation)])
        for info in notice.rights
        if info.right is not Right.ACCESS
    ]

    # (f) complaints; the authority's details are added by the template.
    complaints = [
        f"{tx(notice.complaints.to_group)} {_fill(t['complaint_contact'], email=email)}",
        tx(notice.complaints.to_authority),
        t["complaint_authority_below"],
    ]

    # (g) sources other than the person
    other_sources: list[Art15Entry] = []
    for source in notice.sources:
        if source.kind is SourceKind.DATA_SUBJECT:
            continue
        from_here = [c for c in Category if source.id in notice.categories[c].sources]
        if not from_here:
            continue
        other_sources.append(
            Art15Entry(
                term=tx(source.name),
                details=[tx(source.description), f"{t['label_categories']}: {labels(from_here)}"],
            )
        )
    sources_paragraphs = [t["intro_sources"] if other_sources else t["intro_sources_none"]]

    # (h) automated decision-making
    automated = notice.automated_decisions
    automated_paragraphs = [tx(automated.statement)]
    if automated.used and automated.logic is not None and automated.significance is not None:
        automated_paragraphs += [
            f"{t['automated_logic']}: {tx(automated.logic)}",
            tx(automated.significance),
        ]

    # 15(2) transfer safeguards
    safeguards: list[Art15Entry] = []
    for safeguard in notice.transfers.safeguards:
        details = [tx(safeguard.description)]
        if safeguard.copy_on_request:
            details.append(_fill(t["label_copy_on_request"], email=email))
        safeguards.append(Art15Entry(term=tx(safeguard.name), details=details))
    abroad = [tx(r.name) for r in notice.recipients if r.outside_eea]
    if abroad:
        safeguards.append(Art15Entry(term=t["intro_transfers_recipients"], details=abroad))

    return [
        item("a", [t["intro_purposes"]], purposes),
        item("b", [t["intro_categories"]], categories),
        item("c", [t["intro_recipients"]], recipients),
        item("d", retention_paragraphs, retention_entries),
        item("e", [_fill(t["intro_rights"], email=email)], rights),
        item("f", complaints, []),
        item("g", sources_paragraphs, other_sources),
        item("h", automated_paragraphs, []),
        item(None, [tx(notice.transfers.summary)], safeguards),
    ]

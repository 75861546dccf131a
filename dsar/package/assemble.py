"""From the case store's facts to the one `ReportView` every file is rendered from.

Pure: the packaging activity reads the records, statuses and earlier requests and
passes them here; the benchmark passes records made in memory. Everything the person
reads is decided here once: system names from the labels registry in their language,
statuses as sentences, the first page's answers from the privacy notice and the
registry, dates on the request's own clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from dsar.domain import Language
from dsar.group import Category, GroupRegistry
from dsar.labels import Labels
from dsar.package.locale_format import country_name, format_date, format_datetime, format_number
from dsar.package.tables import CellWords, category_tables
from dsar.package.views import (
    FAILED,
    NOT_APPLICABLE,
    SEARCHED,
    CategoryView,
    CompanyView,
    EarlierRequestView,
    SummaryItem,
    SystemView,
)
from dsar.privacy_notice import PrivacyNotice


@dataclass(frozen=True)
class FoundRecord:
    """One record to show, already redacted; `data` is the exact collected value."""

    company: str
    system: str
    category: str
    table: str
    key: str
    data: Any
    # The file in the package that holds this record's content (files/...), if any.
    attachment: str | None = None


@dataclass(frozen=True)
class EarlierRequest:
    """A row of the case store's earlier requests of the same person (codes, not words)."""

    reference: str
    received_on: date
    rights: Sequence[str]
    status: str
    closed_at: datetime | None


def status_words(status: str, strings: Mapping[str, str]) -> tuple[str, str]:
    """(status, note) for the person: searched, not applicable (the team's decision:
    nothing more will come), could not be searched, or not searched yet."""
    if status == SEARCHED:
        return strings["status_collected"], ""
    if status == NOT_APPLICABLE:
        return strings["status_not_applicable"], strings["status_not_applicable_note"]
    if status == FAILED:
        return strings["status_failed"], strings["status_failed_note"]
    return strings["status_not_collected"], strings["status_not_collected_note"]


def company_views(
    registry: GroupRegistry,
    labels: Labels,
    notice: PrivacyNotice,
    records: Iterable[FoundRecord],
    status_of: Mapping[tuple[str, str], str],
    language: str,
    zone: ZoneInfo,
    strings: Mapping[str, str],
    notes_for_person: Mapping[tuple[str, str], str] | None = None,
) -> list[CompanyView]:
    """Every company and system appears, also where nothing was found: the person is
    told where the group looked, not only where it found something."""
    by_place: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    attached: dict[tuple[str, str, str], list[str | None]] = {}
    for r in records:
        place = (r.company, r.system, r.category)
        by_place.setdefault(place, []).append({"table": r.table, "key": r.key, "data": r.data})
        attached.setdefault(place, []).append(r.attachment)
    words = CellWords(strings["yes"], strings["no"], strings["empty_value"])
    views = []
    for company in registry.companies:
        cview = CompanyView(
            company.code,
            company.legal_name,
            company.country,
            country_name=country_name(company.country, language),
        )
        for system in company.systems:
            status = status_of.get((company.code, system.code), "not collected")
            text, note = status_words(status, strings)
            marked = (notes_for_person or {}).get((company.code, system.code), "").strip()
            if marked:
                note = f"{note} {marked}".strip()
            sview = SystemView(
                system.code,
                labels.system_name(company.code, system.code, language, system.name),
                status,
                status_text=text,
                status_note=note,
            )
            for category in system.categories:
                found = by_place.get((company.code, system.code, category.value), [])
                if found:
                    label = notice.category_label(category, Language(language))
                    tables = category_tables(
                        found,
                        labels,
                        language,
                        zone,
                        words,
                        attached[(company.code, system.code, category.value)],
                    )
                    sview.categories.append(CategoryView(category.value, label, found, tables))
            cview.systems.append(sview)
        views.append(cview)
    return views


def earlier_request_views(
    rows: Iterable[EarlierRequest], language: str, zone: ZoneInfo, strings: Mapping[str, str]
) -> list[EarlierRequestView]:
    views = []
    for row in rows:
        closed_on = row.closed_at.astimezone(zone).date() if row.closed_at else None
        outcome = strings.get(f"earlier_status_{row.status}", strings["earlier_status_open"])
        if closed_on is not None:
            outcome = f"{outcome} ({format_date(closed_on, language)})"
        views.append(
            EarlierRequestView(
                reference=row.reference,
                received_on=row.received_on,
                rights=list(row.rights),
                status=row.status,
                closed_on=closed_on,
                received_text=format_date(row.received_on, language),
                rights_text=", ".join(strings.get(f"right_{r}", r) for r in row.rights),
                outcome_text=outcome,
            )
        )
    return views


def _join(items: Iterable[str], language: str) -> str:
    unique = list(dict.fromkeys(i for i in items if i))
    if len(unique) < 2:
        return "".join(unique)
    last = " och " if language == "sv" else " and "
    return ", ".join(unique[:-1]) + last + unique[-1]


def summary_items(
    companies: Sequence[CompanyView],
    registry: GroupRegistry,
    notice: PrivacyNotice,
    strings: Mapping[str, str],
    language: str,
    authority_name: str,
    earlier: Sequence[EarlierRequestView],
    jurisdiction: str = "",
) -> list[SummaryItem]:
    """The first page: the questions a person asks, answered in plain words from what
    was found, the privacy notice and the registry's retention duties."""
    lang = Language(language)
    counts: dict[str, int] = {}
    for company in companies:
        for system in company.systems:
            for category in system.categories:
                counts[category.category] = counts.get(category.category, 0) + len(category.records)
    categories = [Category(c) for c in counts]
    total = sum(counts.values())
    items: list[SummaryItem] = []
    if total == 0:
        items.append(SummaryItem(strings["q_what"], [strings["no_data_found"]]))
    else:
        kinds = _join(
            (
                f"{notice.category_label(c, lang).lower()} ({format_number(counts[c.value], language)})"
                for c in categories
            ),
            language,
        )
        items.append(
            SummaryItem(
                strings["q_what"], [strings["a_what"].format(n=format_number(total, language), kinds=kinds)]
            )
        )
        with_data = [c for c in companies if any(s.categories for s in c.systems)]
        items.append(
            SummaryItem(
                strings["q_where"],
                [_join((f"{c.legal_name} ({c.country_name})" for c in with_data), language)],
            )
        )
        activities = [a for a in notice.activities if set(a.categories) & set(categories)]
        items.append(
            SummaryItem(strings["q_why"], [_join((a.name.in_language(lang) for a in activities), language)])
        )
        source_ids = [s for c in categories for s in notice.categories[c].sources]
        items.append(
            SummaryItem(
                strings["q_from"],
                [_join((notice.source(s).name.in_language(lang) for s in source_ids), language)],
            )
        )
        rule_ids = [r for c in categories for r in notice.categories[c].retention]
        how_long = [notice.retention.rule(r).text.in_language(lang) for r in dict.fromkeys(rule_ids)]
        how_long += _duties(registry, companies, strings, jurisdiction)
        items.append(SummaryItem(strings["q_how_long"], how_long))
        recipients = [r for r in notice.recipients if set(r.categories) & set(categories)]
        who = [_join((r.name.in_language(lang) for r in recipients), language)]
        named = _named_recipients(registry, companies)
        if named:
            who.append(strings["a_who_named"].format(names=_join(named, language)))
        items.append(SummaryItem(strings["q_who"], who))
    outstanding = [(c, s) for c in companies for s in c.systems if s.outstanding]
    if outstanding:
        names = _join((f"{s.name} ({c.legal_name})" for c, s in outstanding), language)
        items.append(SummaryItem(strings["q_complete"], [strings["a_incomplete"].format(systems=names)]))
    if earlier:
        items.append(
            SummaryItem(
                strings["q_earlier"], [strings["a_earlier"].format(n=format_number(len(earlier), language))]
            )
        )
    rights = _join((r.name.in_language(lang).lower() for r in notice.rights), language)
    items.append(
        SummaryItem(
            strings["q_rights"], [strings["a_rights"].format(rights=rights, authority=authority_name)]
        )
    )
    return items


def _named_recipients(registry: GroupRegistry, companies: Sequence[CompanyView]) -> list[str]:
    """The registry's recipients of the systems that hold the person's data, by name."""
    codes: dict[str, None] = {}
    for cview in companies:
        for sview in cview.systems:
            if not sview.categories:
                continue
            try:
                codes.update(dict.fromkeys(registry.company(cview.code).system(sview.code).disclosed_to))
            except KeyError:
                continue
    return [r.name for r in registry.recipients if r.code in codes]


def _duties(
    registry: GroupRegistry, companies: Sequence[CompanyView], strings: Mapping[str, str], jurisdiction: str
) -> list[str]:
    """The registry's retention duties for the kinds of data found: the law and the years."""
    lines: dict[str, None] = {}
    for cview in companies:
        for sview in cview.systems:
            found = {c.category for c in sview.categories}
            try:
                company = registry.company(cview.code)
                rules = company.system(sview.code).retention
            except KeyError:
                continue
            for rule in rules:
                if rule.category.value in found and rule.jurisdiction in (
                    None,
                    company.country,
                    jurisdiction,
                ):
                    lines.setdefault(
                        strings["a_duty"].format(
                            years=rule.years, law=rule.legal_basis, company=company.legal_name
                        )
                    )
    return list(lines)


def moment_texts(received_on: date, generated_at: datetime, language: str, zone: ZoneInfo) -> tuple[str, str]:
    return format_date(received_on, language), format_datetime(generated_at, language, zone)

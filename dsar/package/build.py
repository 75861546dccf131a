"""The one way to make a `ReportView`: the packaging activity and the report benchmark
both call `build_report_view` with the facts they gathered, so what the benchmark
measures is exactly what a person receives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from dsar.clock import get_jurisdiction
from dsar.group import GroupRegistry
from dsar.labels import Labels
from dsar.package.assemble import (
    EarlierRequest,
    FoundRecord,
    company_views,
    earlier_request_views,
    moment_texts,
    summary_items,
)
from dsar.package.views import ExclusionView, RemovalView, ReportView, RequestView
from dsar.privacy_notice import art15_items, load_privacy_notice, load_report_strings
from dsar.rendering import authority_view


@dataclass(frozen=True)
class RemovedSpan:
    """One removal of the redaction plan, in codes (the view puts it into words)."""

    company: str
    system: str
    table: str
    key: str
    field: str
    kind: str
    manual_reason: str | None = None  # a reviewer's own reason; None for a detected kind
    # Removals from an attached file (a large table's part, an uploaded export) are counted
    # per file and kind rather than listed one by one: the file's name in the package, and how many.
    file: str | None = None
    count: int = 1

    def in_file(self, file: str, count: int) -> RemovedSpan:
        return replace(self, file=file, count=count)


@dataclass(frozen=True)
class ReportFacts:
    registry: GroupRegistry
    labels: Labels
    language: str
    request: RequestView
    subject_name: str
    subject_email: str
    generated_at: datetime
    records: Sequence[FoundRecord]
    status_of: Mapping[tuple[str, str], str]
    # (company, system) -> the sentence the team marked for the person (`--note-for-person`).
    notes_for_person: Mapping[tuple[str, str], str] = field(default_factory=dict)
    removals: Sequence[RemovedSpan] = ()
    # (company, system, reason code, records)
    exclusions: Sequence[tuple[str, str, str, int]] = ()
    earlier: Sequence[EarlierRequest] = field(default_factory=list)


def build_report_view(facts: ReportFacts) -> ReportView:
    language = facts.language
    strings = load_report_strings(language)
    notice = load_privacy_notice()
    zone = get_jurisdiction(facts.request.jurisdiction).zone
    authority = authority_view(facts.request.jurisdiction, language)
    companies = company_views(
        facts.registry,
        facts.labels,
        notice,
        facts.records,
        facts.status_of,
        language,
        zone,
        strings,
        facts.notes_for_person,
    )
    earlier = earlier_request_views(facts.earlier, language, zone, strings)
    received_text, generated_text = moment_texts(
        facts.request.received_on, facts.generated_at, language, zone
    )
    return ReportView(
        language=language,
        strings=strings,
        request=facts.request,
        subject_name=facts.subject_name,
        subject_email=facts.subject_email,
        generated_at=facts.generated_at,
        companies=companies,
        art15=art15_items(notice, language),
        authority=authority,
        controller=notice.controller,
        removals=[_removal_view(r, facts, strings) for r in facts.removals],
        exclusions=[
            ExclusionView(
                company,
                system,
                code,
                strings.get(f"exclusion_{code}", strings["exclusion_others_rights"]),
                count,
                place=_place(facts, company, system),
            )
            for company, system, code, count in facts.exclusions
        ],
        summary=summary_items(
            companies,
            facts.registry,
            notice,
            strings,
            language,
            authority.in_sentence or authority.name,
            earlier,
            facts.request.jurisdiction,
        ),
        earlier_requests=earlier,
        received_text=received_text,
        generated_text=generated_text,
    )


def _place(facts: ReportFacts, company: str, system: str, table: str | None = None) -> str:
    """Company, system and kind of record in words: never the codes."""
    try:
        found = facts.registry.company(company)
        company_name = found.legal_name
        fallback = found.system(system).name
    except KeyError:
        company_name, fallback = company, system
    parts = [company_name, facts.labels.system_name(company, system, facts.language, fallback)]
    if table is not None:
        parts.append(facts.labels.table_name(table, facts.language))
    return ", ".join(parts)


def _removal_view(span: RemovedSpan, facts: ReportFacts, strings: Mapping[str, str]) -> RemovalView:
    if span.file is not None:
        place = f"{_place(facts, span.company, span.system, None)}, {span.file} ({span.count} ×)"
        field_label = strings.get("redaction_whole_file", "whole file")
    else:
        place = f"{_place(facts, span.company, span.system, span.table)} ({span.key})"
        field_label = facts.labels.field_name(span.table, span.field, facts.language)
    return RemovalView(
        company=span.company,
        system=span.system,
        table=span.table,
        key=span.key,
        field=span.field,
        kind=span.kind,
        kind_label=strings.get(f"redaction_kind_{span.kind}", strings["redaction_kind_manual"]),
        reason=span.manual_reason
        if span.manual_reason is not None
        else strings.get(f"redaction_reason_{span.kind}", strings["redaction_kind_manual"]),
        place=place,
        field_label=field_label,
    )

"""The supplementary information of Art. 15(1)(a)-(h) and 15(2), made from the notice in
the report's language, so the report repeats what the notice promises."""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import Field

from dsar.domain import Right
from dsar.group import Category
from dsar.privacy_notice.notice import FrozenModel, PrivacyNotice, SourceKind, Text
from dsar.privacy_notice.report_strings import default_report_strings, report_language


class Art15Entry(FrozenModel):
    """One named thing within an item (an activity, a recipient, a right) with its lines."""

    term: str
    details: list[str]


class Art15Item(FrozenModel):
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
    lang = report_language(language)
    t = default_report_strings()[lang]
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

"""The systems' results of the other rights, grouped by action, as the letters show them.

Pure: it takes the rows the notification activity read from the case store and the
group registry, so what the person is told can be checked without a database.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dsar.domain import CorrectableField, Language
from dsar.group import Category, GroupRegistry
from dsar.labels import load_labels
from dsar.letters.action_labels import ACTION_LABELS, ACTION_ORDER, CHANGED_TEXTS, FIELD_LABELS, STATUS_LABELS
from dsar.messages.actions import Action, ActionStatus
from dsar.package.locale_format import format_date
from dsar.privacy_notice import LegalBasis, load_privacy_notice

ACTION_VALUES = frozenset(a.value for a in Action)


@dataclass(frozen=True)
class KeptView:
    """Data an erasure left in place, for the person: `reason` is which rule kept it
    (a retention duty under `legal_basis` until `until`, a legal claim, or other people's
    rights); the team's own words for a legal hold are internal and never shown."""

    category: str
    items: int
    legal_basis: str
    until: date | None
    reason: str = "retention"
    until_text: str = ""


# Prefixes the connectors give `KeptData.legal_basis` for what is not a retention law.
LEGAL_HOLD_PREFIX = "legal hold:"
OTHERS_RIGHTS_PREFIX = "other people's rights"


def kept_view(kept: Mapping[str, Any], language: str) -> KeptView:
    basis = str(kept.get("legal_basis", ""))
    until = date.fromisoformat(kept["until"]) if kept.get("until") else None
    if basis.startswith(LEGAL_HOLD_PREFIX):
        reason, basis = "legal_hold", ""
    elif basis.startswith(OTHERS_RIGHTS_PREFIX):
        reason, basis = "others_rights", ""
    else:
        reason = "retention"
    return KeptView(
        category=_category_label(str(kept.get("category", "")), language),
        items=int(kept.get("items", 0)),
        legal_basis=basis,
        until=until,
        reason=reason,
        until_text=format_date(until, language) if until else "",
    )


@dataclass(frozen=True)
class SystemView:
    company: str  # the company's legal name
    system: str  # the system's name
    status: str
    status_label: str
    changed: int
    changed_text: str
    fields: list[str]  # rectification: labels of the fields corrected
    kept: list[KeptView]
    # The team's note: internal, never in a letter. `note_for_person` is the sentence the
    # team marked for the person (`--note-for-person`), the only note a letter prints.
    note: str | None
    processing: list[str]  # consent withdrawal: the processing switched off
    note_for_person: str | None = None


@dataclass(frozen=True)
class ActionView:
    action: str
    label: str
    systems: list[SystemView] = field(default_factory=list)

    @property
    def done(self) -> list[SystemView]:
        """Systems where the action changed, corrected or kept something: the letter names them."""
        return [s for s in self.systems if s.status == ActionStatus.DONE.value and _touched(s)]

    @property
    def quiet(self) -> int:
        """Systems that held nothing of the person's to change: counted, not listed one by one."""
        return sum(1 for s in self.systems if s.status == ActionStatus.DONE.value and not _touched(s))

    @property
    def failed(self) -> list[SystemView]:
        return [s for s in self.systems if s.status == ActionStatus.FAILED.value]

    @property
    def not_applicable(self) -> list[SystemView]:
        return [s for s in self.systems if s.status == ActionStatus.NOT_APPLICABLE.value]

    @property
    def pending(self) -> list[SystemView]:
        return [s for s in self.systems if not ActionStatus(s.status).settled]


def _touched(system: SystemView) -> bool:
    return bool(system.changed or system.kept or system.fields)


@dataclass(frozen=True)
class RecipientView:
    name: str
    kind: str
    actions: list[str]


def letter_language(value: str) -> str:
    return "sv" if value == Language.SV.value else "en"


def _category_label(category: str, language: str) -> str:
    try:
        return load_privacy_notice().category_label(Category(category), Language(language))
    except (ValueError, KeyError):
        return category


def field_label(name: str, language: str) -> str:
    try:
        return FIELD_LABELS[CorrectableField(name)][language]
    except ValueError:
        return name


def _kept(value: Any) -> list[dict[str, Any]]:
    # The column is jsonb; depending on the connection's codec it arrives parsed or as text.
    while isinstance(value, str):
        value = json.loads(value)
    return list(value or [])


def system_names(
    registry: GroupRegistry, company: str, system: str, language: str | None = None
) -> tuple[str, str]:
    """(company's legal name, system's name); with a `language`, the system's name from
    the labels registry in that language (what the person reads), else the registry's
    own name (what a team inside the group reads)."""
    try:
        found = registry.company(company)
    except KeyError:
        return company, system
    try:
        name = found.system(system).name
    except KeyError:
        return found.legal_name, system
    if language is not None:
        name = load_labels().system_name(company, system, language, name)
    return found.legal_name, name


def _consent_processing(registry: GroupRegistry, company: str, system: str, language: str) -> list[str]:
    """What processing resting on consent a system holds, as the privacy notice names it."""
    try:
        found = registry.company(company).system(system)
    except KeyError:
        return []
    with_consent = {t.category for t in found.tables if t.consent} or set(found.categories)
    notice = load_privacy_notice()
    names = [
        activity_.name.in_language(language)
        for activity_ in notice.activities
        if any(b.basis is LegalBasis.CONSENT for b in activity_.legal_bases)
        and with_consent & set(activity_.categories)
    ]
    return names or sorted(_category_label(c.value, language) for c in with_consent)


def action_views(
    rows: Sequence[Mapping[str, Any]], registry: GroupRegistry, language: str
) -> list[ActionView]:
    """The systems' results grouped by action, in the letter's order, with readable labels."""
    views: list[ActionView] = []
    for action in ACTION_ORDER:
        systems: list[SystemView] = []
        for row in rows:
            if row["action"] != action.value:
                continue
            status = ActionStatus(row["status"])
            company, system = system_names(registry, row["company"], row["system"], language)
            changed = int(row["changed"])
            one, many = CHANGED_TEXTS[action][language]
            kept = [kept_view(k, language) for k in _kept(row["kept"])]
            systems.append(
                SystemView(
                    company=company,
                    system=system,
                    status=status.value,
                    status_label=STATUS_LABELS[status][language],
                    changed=changed,
                    changed_text=(one if changed == 1 else many).format(n=changed),
                    fields=[field_label(f, language) for f in row["fields"]],
                    kept=kept,
                    note=row["note"],
                    note_for_person=(row.get("note_for_person") or "").strip() or None,
                    processing=(
                        _consent_processing(registry, row["company"], row["system"], language)
                        if action is Action.WITHDRAW_CONSENT
                        else []
                    ),
                )
            )
        if systems:
            views.append(
                ActionView(action=action.value, label=ACTION_LABELS[action][language], systems=systems)
            )
    return views

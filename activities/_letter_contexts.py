"""What the notification activity puts into the letters of the rights other than access.

Each function reads the case store's results for one kind of letter and returns the
template's context; the labels and views themselves are pure and live in `dsar.letters`.
A private helper of `activities.notifications`, not an activity.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from temporalio.exceptions import ApplicationError

from casestore.db import Conn
from casestore.retention import earlier_cases_outcome
from dsar.domain import Right
from dsar.group import GroupRegistry
from dsar.letters.action_labels import (
    ACTION_LABELS,
    ACTION_ORDER,
    MANUAL_INSTRUCTIONS,
    MANUAL_VERBS,
    RECIPIENT_ASK,
    RECIPIENT_DONE,
)
from dsar.letters.action_views import (
    ACTION_VALUES,
    RecipientView,
    action_views,
    field_label,
    letter_language,
    system_names,
)
from dsar.messages.actions import Action, ActionStatus
from dsar.messages.notifications import SendNotification
from dsar.privacy_notice import load_privacy_notice


async def _action_rows(conn: Conn, reference: str) -> list[dict[str, Any]]:
    """The systems' results as plain mappings, which the pure views take."""
    return [
        dict(row)
        for row in await conn.fetch(
            "SELECT company, system, action, status, changed, fields, kept, recipients, note, note_for_person"
            " FROM action_results WHERE reference = $1 ORDER BY company, system",
            reference,
        )
    ]


async def recipients_told(
    conn: Conn, reference: str, registry: GroupRegistry, language: str
) -> list[RecipientView]:
    """Recipients told of the changes (Art. 19), by name: the person may ask who they are."""
    notice_kinds = {r.id: r.name.in_language(language) for r in load_privacy_notice().recipients}
    told: list[RecipientView] = []
    for row in await conn.fetch(
        "SELECT recipient, actions FROM recipient_notifications WHERE reference = $1"
        " ORDER BY notified_at, recipient",
        reference,
    ):
        known = registry.recipient(row["recipient"])
        told.append(
            RecipientView(
                name=known.name if known else row["recipient"],
                kind=notice_kinds.get(known.kind, "") if known else "",
                actions=[ACTION_LABELS[Action(a)][language] for a in row["actions"] if a in ACTION_VALUES],
            )
        )
    return told


async def outcome_context(
    conn: Conn, inp: SendNotification, request: asyncpg.Record, registry: GroupRegistry
) -> dict[str, Any]:
    """OUTCOME: what was done for each right other than access; `inp.text` is the privacy
    team's decision on an objection to other processing (upheld, or overridden with grounds)."""
    language = letter_language(request["language"])
    rows = await _action_rows(conn, inp.reference)
    actions = action_views(rows, registry, language)
    rights = [Right(r) for r in request["rights"]]
    on_list = await conn.fetchval(
        "SELECT count(*) FROM marketing_suppressions WHERE reference = $1", inp.reference
    )
    suppressed = bool(on_list) or any(
        r["action"] == Action.SUPPRESS_MARKETING.value and r["status"] == ActionStatus.DONE.value
        for r in rows
    )
    restricted = Right.RESTRICTION in rights and any(
        r["action"] == Action.RESTRICT.value and r["status"] == ActionStatus.DONE.value for r in rows
    )
    notice = load_privacy_notice()
    right_names = {r.right: r.name.in_language(language) for r in notice.rights}
    return {
        "actions": actions,
        "other_rights": [right_names.get(r, r.value) for r in rights if r is not Right.ACCESS],
        "recipients_told": await recipients_told(conn, inp.reference, registry, language),
        "objection": Right.OBJECTION in rights,
        "objection_upheld": inp.objection_upheld,
        "suppressed": suppressed,
        "restricted": restricted,
        "consent_withdrawn": Right.CONSENT_WITHDRAWAL in rights,
        "group_name": notice.controller.legal_name,
        # An erasure's reach into the person's earlier cases (docs/retention.md).
        "earlier_cases": await earlier_cases_outcome(conn, inp.reference),
    }


async def restriction_lift_context(
    conn: Conn, inp: SendNotification, registry: GroupRegistry, language: str = "en"
) -> dict[str, Any]:
    """RESTRICTION_LIFT: `inp.text` is the reason; the systems where the data is restricted."""
    rows = [
        r
        for r in await _action_rows(conn, inp.reference)
        if r["action"] == Action.RESTRICT.value and r["status"] == ActionStatus.DONE.value
    ]
    lang = letter_language(language)
    return {"restricted_in": [system_names(registry, r["company"], r["system"], lang) for r in rows]}


async def recipient_notice_context(
    conn: Conn, inp: SendNotification, registry: GroupRegistry
) -> dict[str, Any]:
    """RECIPIENT_NOTICE: `inp.recipient` is the registry code; `inp.actions` what was done
    (from the case store's results when empty); `inp.text`, if any, the corrected values."""
    known = registry.recipient(inp.recipient) if inp.recipient else None
    if known is None or known.code != inp.recipient:
        raise ApplicationError(
            f"unknown recipient code {inp.recipient!r}", type="InvalidRequestError", non_retryable=True
        )
    rows = [r for r in await _action_rows(conn, inp.reference) if known.code in r["recipients"]]
    actions = [a for a in ACTION_ORDER if a in inp.actions] or [
        a
        for a in ACTION_ORDER
        if a.tells_recipients
        and any(r["action"] == a.value and r["status"] == ActionStatus.DONE.value for r in rows)
    ]
    actions = [a for a in actions if a in RECIPIENT_DONE]
    if not actions:
        raise ApplicationError(
            "the recipient notice names no action to report", type="InvalidRequestError", non_retryable=True
        )
    companies = sorted({system_names(registry, r["company"], r["system"])[0] for r in rows}) or sorted(
        c.legal_name for c in registry.companies if any(known.code in s.disclosed_to for s in c.systems)
    )
    fields = sorted(
        {field_label(f, "en") for r in rows if r["action"] == Action.RECTIFY.value for f in r["fields"]}
    )
    return {
        "recipient": known,
        "actions": actions,
        "done": [RECIPIENT_DONE[a] for a in actions],
        "asks": [RECIPIENT_ASK[a] for a in actions],
        "rectified_fields": fields if Action.RECTIFY in actions else [],
        "companies": companies,
        "controller": load_privacy_notice().controller.legal_name,
        "group_name": registry.name,
    }


def manual_action_context(inp: SendNotification, registry: GroupRegistry) -> dict[str, Any]:
    """MANUAL_ACTION: `inp.action` what to do in `inp.system`; `inp.text` the corrections
    ("field: new value" lines) for rectification. An occasion with "/day-" is a reminder."""
    if inp.action is None:
        raise ApplicationError(
            "a manual action task needs the action", type="InvalidRequestError", non_retryable=True
        )
    company, _, code = (inp.system or "").partition("/")
    company_name, system_name = system_names(registry, company, code)
    return {
        "action": inp.action.value,
        "verb": MANUAL_VERBS[inp.action],
        "instruction": MANUAL_INSTRUCTIONS[inp.action],
        "reminder": "/day-" in inp.occasion,
        "company_name": company_name,
        "system_name": system_name,
    }

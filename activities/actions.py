"""What every action connector shares: the result row, and the rules that pick what is kept.

Each connector kind (PostgreSQL, S3, HTTP) takes the same actions (erase, rectify,
restrict, ...) on its own kind of system and reports one `action_results` row per system
and action, so the workflow, the letter to the person and the audit trail show the same
figures.

A retried action must not turn a true result into a false one: an erasure that committed
just before its worker died finds nothing to erase on the retry, and "0 rows erased" would
then overwrite "41 rows erased". So a DONE result is only replaced by another DONE result
that changed something, or by one the privacy team decided.
"""

from __future__ import annotations

from datetime import date

import asyncpg
import structlog
from temporalio import activity

from activities.collection import RegistryLookup
from casestore.audit import append_audit
from casestore.db import Conn
from dsar.group import Company, GroupRegistry, RetentionRule, System
from dsar.messages.actions import ActionResult, ActionStatus, ExecuteSystemInput, RecordActionResultInput
from dsar.messages.activity_names import Activity

log = structlog.get_logger(__name__)


async def save_action_result(
    case: Conn, reference: str, result: ActionResult, actor: str | None = None
) -> ActionResult:
    """Upsert the system's result for this action; returns the result now on record."""
    row = await case.fetchrow(
        "INSERT INTO action_results (reference, company, system, action, status, changed, fields, kept,"
        " recipients, error, note, note_for_person, updated_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $13, now())"
        " ON CONFLICT (reference, company, system, action) DO UPDATE SET status = EXCLUDED.status,"
        " changed = EXCLUDED.changed, fields = EXCLUDED.fields, kept = EXCLUDED.kept,"
        " recipients = EXCLUDED.recipients, error = EXCLUDED.error, note = EXCLUDED.note,"
        " note_for_person = EXCLUDED.note_for_person, updated_at = now()"
        " WHERE action_results.status <> 'done' OR EXCLUDED.status <> 'done' OR EXCLUDED.changed > 0"
        "   OR $12::boolean"
        " RETURNING status",
        reference,
        result.company,
        result.system,
        result.action.value,
        result.status.value,
        result.changed,
        result.fields,
        [k.model_dump(mode="json") for k in result.kept],
        result.recipients,
        result.error,
        result.note,
        actor is not None,
        result.note_for_person,
    )
    if row is not None:
        return result
    # An earlier attempt's result stands (see the module's docstring).
    kept = await case.fetchrow(
        "SELECT status, changed, fields, kept, recipients, error, note, note_for_person FROM action_results"
        " WHERE reference = $1 AND company = $2 AND system = $3 AND action = $4",
        reference,
        result.company,
        result.system,
        result.action.value,
    )
    assert kept is not None
    return ActionResult.model_validate(
        {
            **result.model_dump(),
            "status": ActionStatus(kept["status"]),
            "changed": int(kept["changed"]),
            "fields": list(kept["fields"]),
            "kept": kept["kept"],
            "recipients": list(kept["recipients"]),
            "error": kept["error"],
            "note": kept["note"],
            "note_for_person": kept["note_for_person"],
        }
    )


async def save_and_audit(
    case: Conn, reference: str, result: ActionResult, *, actor: str, occasion: str, decided: bool = False
) -> ActionResult:
    """The result row and its audit entry, inside the caller's transaction; returns the result
    on record. `decided`: a person's decision, which replaces whatever stood before."""
    saved = await save_action_result(case, reference, result, actor if decided else None)
    await append_audit(
        case,
        reference=reference,
        actor=actor,
        action=f"action.{saved.action.value}.{saved.status.value}",
        details={
            "system": f"{saved.company}/{saved.system}",
            "changed": saved.changed,
            "fields": ",".join(saved.fields) or None,
            "kept": sum(k.items for k in saved.kept),
            "recipients": ",".join(saved.recipients) or None,
            "note": saved.note,
        },
        idempotency_key=f"{reference}:action:{saved.company}/{saved.system}:{saved.action.value}:"
        f"{saved.status.value}:{occasion}",
    )
    log.info(
        "action.recorded",
        reference=reference,
        company=saved.company,
        system=saved.system,
        action=saved.action.value,
        status=saved.status.value,
        changed=saved.changed,
    )
    return saved


async def record_executed(
    case_pool: asyncpg.Pool, inp: ExecuteSystemInput, result: ActionResult, actor: str = "dsar-actions"
) -> ActionResult:
    """A connector's result, in a transaction of its own (S3 and HTTP change nothing in it)."""
    async with case_pool.acquire() as case, case.transaction():
        return await save_and_audit(case, inp.reference, result, actor=actor, occasion="executed")


def retention_rules(
    system: System, company: Company, category: str, jurisdiction: str
) -> list[RetentionRule]:
    """The retention duties that apply to a category of this system's data.

    Accounting law follows the company: a Swedish company keeps its books under Swedish
    law whoever asks. Only where the registry has no rule for the company's country does
    the request's jurisdiction decide, and then a rule without a jurisdiction.
    """
    rules = [r for r in system.retention if r.category.value == category]
    for wanted in (company.country, jurisdiction.upper()):
        chosen = [r for r in rules if r.jurisdiction == wanted]
        if chosen:
            return chosen
    return [r for r in rules if r.jurisdiction is None]


def retention_cutoff(rules: list[RetentionRule], today: date) -> tuple[date, RetentionRule] | None:
    """Rows dated on or after the returned day are still under a duty (the longest rule wins)."""
    if not rules:
        return None
    rule = max(rules, key=lambda r: r.years)
    try:
        cutoff = today.replace(year=today.year - rule.years)
    except ValueError:  # 29 February
        cutoff = today.replace(year=today.year - rule.years, day=28)
    return cutoff, rule


class ActionActivities:
    """The connector-independent step: a decision about one system's action, recorded and audited."""

    def __init__(self, case_pool: asyncpg.Pool, registry: GroupRegistry) -> None:
        self._case_pool = case_pool
        self._lookup = RegistryLookup(registry)

    @activity.defn(name=Activity.RECORD_ACTION_RESULT)
    async def record_action_result(self, inp: RecordActionResultInput) -> ActionResult:
        result = inp.result
        self._lookup.system(result.company, result.system)
        async with self._case_pool.acquire() as case, case.transaction():
            return await save_and_audit(
                case, inp.reference, result, actor=inp.actor, occasion=inp.occasion, decided=True
            )

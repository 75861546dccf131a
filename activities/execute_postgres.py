"""The PostgreSQL connector for the rights other than access: erase, rectify, restrict,
lift a restriction, withdraw consent, suppress marketing.

The person's rows are found the way collection finds them (`match_clauses`: exact keys
only, e-mails lower-cased, phones in E.164); a name-and-postcode look-alike is never
changed. Each action runs in one source transaction, so a system is changed wholly or
not at all.

Crash safety. The result (and, for rectification, the before/after of every changed
field) is written to the case store *before* the source transaction commits:

- the worker dies after the case store committed but before the source did: the source
  rolls back, the retry finds the same rows, does the same and records the same figures
  (a DONE result that changed something replaces the earlier one; the audit entry is
  recorded once);
- the worker dies after both committed: the retry finds nothing left to do, and
  `save_action_result` keeps the first attempt's result rather than "0 rows". A
  rectification counts its rows from `executed_changes`, so even a corrected e-mail
  address (which the retry can no longer search by) is reported truly.

The other order would lose an erasure's figures for good if the worker died in between.

Logs and error messages carry codes and counts only, never a value from a row.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import structlog
from temporalio import activity

from activities._action_sql import Change, Outcome, add_years, dml_summary, person_rows, recipient_expr
from activities._heartbeat import heartbeating
from activities._postgres_sql import PERMANENT_DB_ERRORS
from activities.actions import retention_cutoff, retention_rules, save_and_audit
from activities.case_store import load_subject
from activities.collection import RegistryLookup, configured, guarded, permanent
from casestore.db import Conn, quote_ident
from dsar.codec import KeyRing
from dsar.domain import IdentityKey, SubjectIdentity
from dsar.group import Category, Company, GroupRegistry, System, SystemKind, TableMapping
from dsar.messages.actions import Action, ActionResult, ActionStatus, ExecuteSystemInput, KeptData
from dsar.messages.activity_names import Activity

log = structlog.get_logger(__name__)

ACTOR = "dsar-connector"
# What a NOT NULL text column holds once anonymised.
ERASED_MARKER = "[erased]"
# Categories whose consent flags an objection to direct marketing switches off.
MARKETING_CATEGORIES = (Category.MARKETING, Category.DATA_BROKER)
PERMANENT_ACTION_ERRORS = (
    *PERMANENT_DB_ERRORS,
    # A correction the column cannot hold, or one a constraint refuses: a retry cannot help.
    asyncpg.IntegrityConstraintViolationError,
    asyncpg.DataError,
)
_TEXT_TYPES = ("text", "character varying")


class PostgresExecutor:
    """Runs inside one company: `sources` holds pools for that company's databases only,
    keyed by connection setting name (as `PostgresCollector`)."""

    def __init__(
        self,
        case_pool: asyncpg.Pool,
        ring: KeyRing,
        registry: GroupRegistry,
        sources: Mapping[str, asyncpg.Pool],
    ) -> None:
        self._case_pool = case_pool
        self._ring = ring
        self._registry = registry
        self._lookup = RegistryLookup(registry)
        self._sources = sources

    @activity.defn(name=Activity.EXECUTE_POSTGRES)
    @heartbeating
    async def execute_postgres(self, inp: ExecuteSystemInput) -> ActionResult:
        company = self._lookup.company(inp.company)
        system = self._lookup.system(inp.company, inp.system)
        return await guarded(
            inp, lambda: self._execute(inp, company, system), PERMANENT_ACTION_ERRORS, event="action"
        )

    async def _execute(self, inp: ExecuteSystemInput, company: Company, system: System) -> ActionResult:
        if system.kind is not SystemKind.POSTGRES:
            raise permanent(f"system {inp.company}/{inp.system} is not a postgres system")
        source = configured(self._sources, system)
        async with self._case_pool.acquire() as case:
            subject = await load_subject(case, self._ring, inp.reference)
        outcome = Outcome()
        async with source.acquire() as src, src.transaction():
            await self._act(src, inp, company, system, subject, outcome)
            # Recorded before the source commits (see the module's docstring).
            async with self._case_pool.acquire() as case, case.transaction():
                result = await self._record(case, inp, system, outcome)
        log.info(
            "action.done",
            reference=inp.reference,
            company=inp.company,
            system=inp.system,
            action=inp.action.value,
            changed=result.changed,
            kept=sum(k.items for k in result.kept),
            recipients=len(result.recipients),
        )
        return result

    # ------------------------------------------------------------------
    # The actions
    # ------------------------------------------------------------------

    async def _act(
        self,
        src: Conn,
        inp: ExecuteSystemInput,
        company: Company,
        system: System,
        subject: SubjectIdentity,
        outcome: Outcome,
    ) -> None:
        keys = subject.search_keys()
        action = inp.action
        if action is Action.ERASE and inp.legal_hold:
            await self._hold(src, inp.legal_hold, system, keys, outcome)
            return
        if action is Action.SUPPRESS_MARKETING:
            await self._suppress(src, inp, system, subject, outcome)
        consent_tables = 0
        for mapping in system.tables:
            if action is Action.RECTIFY:
                await self._rectify(src, inp, mapping, keys, outcome)
            elif action is Action.ERASE:
                await self._erase(src, inp, company, system, mapping, keys, outcome)
            elif action in (Action.RESTRICT, Action.LIFT_RESTRICTION):
                await self._flag(src, system, mapping, keys, action is Action.RESTRICT, outcome)
            elif action is Action.WITHDRAW_CONSENT or (
                action is Action.SUPPRESS_MARKETING and mapping.category in MARKETING_CATEGORIES
            ):
                consent_tables += await self._consent_off(src, mapping, keys, outcome)
            activity.heartbeat()
        if action is Action.WITHDRAW_CONSENT and not consent_tables:
            outcome.notes.append("no consent flags in this system")

    async def _rectify(
        self,
        src: Conn,
        inp: ExecuteSystemInput,
        mapping: TableMapping,
        keys: Mapping[IdentityKey, str],
        outcome: Outcome,
    ) -> None:
        wanted = [
            (c.field.value, mapping.fields[c.field], c.value)
            for c in inp.corrections
            if c.field in mapping.fields
        ]
        args: list[Any] = []
        where = person_rows(mapping, keys, args)
        if not wanted or where is None:
            return
        key_col = quote_ident(mapping.key_column)
        selected = ", ".join(f"src.{quote_ident(column)}::text" for _, column, _ in wanted)
        rows = await src.fetch(
            f"SELECT src.{key_col} AS key, {recipient_expr(mapping)} AS r, {selected}"  # noqa: S608
            f" FROM {quote_ident(mapping.table)} AS src WHERE {where} FOR UPDATE",
            *args,
        )
        by_column: dict[str, list[Any]] = {}
        for row in rows:
            touched = False
            for index, (name, column, value) in enumerate(wanted):
                before = row[2 + index]
                if before == value:
                    continue
                touched = True
                by_column.setdefault(column, []).append(row["key"])
                outcome.changes.append(Change(mapping.table, str(row["key"]), name, before, value))
            if touched and row["r"] is not None:
                outcome.recipient_names.add(row["r"])
        values = {column: value for _, column, value in wanted}
        for column, row_keys in by_column.items():
            await src.execute(
                f"UPDATE {quote_ident(mapping.table)} SET {quote_ident(column)} = $1"  # noqa: S608
                f" WHERE {key_col} = ANY($2)",
                values[column],
                row_keys,
            )

    async def _erase(
        self,
        src: Conn,
        inp: ExecuteSystemInput,
        company: Company,
        system: System,
        mapping: TableMapping,
        keys: Mapping[IdentityKey, str],
        outcome: Outcome,
    ) -> None:
        args: list[Any] = []
        where = person_rows(mapping, keys, args)
        if where is None:
            return
        table = quote_ident(mapping.table)
        erasable = where
        cut = None
        if mapping.dated_by is not None:
            rules = retention_rules(system, company, mapping.category.value, inp.jurisdiction)
            cut = retention_cutoff(rules, datetime.now(UTC).date())
        if cut is not None and mapping.dated_by is not None:
            cutoff, rule = cut
            args.append(cutoff)
            dated = f"src.{quote_ident(mapping.dated_by)}::date"
            under_duty = f"{dated} >= ${len(args)}::date"
            # Kept rows may only be stored from now on: they are restricted too.
            kept = await src.fetchrow(
                dml_summary(
                    f"UPDATE {table} AS src SET {quote_ident(system.restriction_column)} = true"  # noqa: S608
                    f" WHERE {where} AND {under_duty}",
                    mapping,
                    dated,
                ),
                *args,
            )
            assert kept is not None
            items = int(kept["n"])
            if items:
                newest: date = kept["newest"]
                outcome.keep(mapping.category.value, rule.legal_basis, items, add_years(newest, rule.years))
                outcome.flagged += items
                outcome.recipient_names.update(kept["recipients"])
            # A row without a date cannot be shown to be under the duty: it is erased.
            erasable = f"{where} AND ({under_duty}) IS NOT TRUE"
        if mapping.erase == "delete":
            dml = f"DELETE FROM {table} AS src WHERE {erasable}"  # noqa: S608
        else:
            assignments, pending = await self._anonymisation(src, mapping)
            dml = f"UPDATE {table} AS src SET {assignments} WHERE {erasable} AND ({pending})"  # noqa: S608
        done = await src.fetchrow(dml_summary(dml, mapping), *args)
        assert done is not None
        outcome.changed += int(done["n"])
        outcome.recipient_names.update(done["recipients"])

    async def _anonymisation(self, src: Conn, mapping: TableMapping) -> tuple[str, str]:
        """`SET` assignments that blank the columns, and a condition for rows not yet blanked."""
        columns = {
            r["attname"]: (bool(r["attnotnull"]), str(r["type"]))
            for r in await src.fetch(
                "SELECT attname, attnotnull, format_type(atttypid, atttypmod) AS type FROM pg_attribute"
                " WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped",
                quote_ident(mapping.table),
            )
        }
        assignments: list[str] = []
        pending: list[str] = []
        for column in mapping.anonymise:
            if column not in columns:
                raise permanent(f"table {mapping.table} has no column {column} to anonymise")
            not_null, kind = columns[column]
            col = quote_ident(column)
            if not not_null:
                assignments.append(f"{col} = NULL")
                pending.append(f"src.{col} IS NOT NULL")
            elif kind.startswith(_TEXT_TYPES):
                assignments.append(f"{col} = '{ERASED_MARKER}'")
                pending.append(f"src.{col} IS DISTINCT FROM '{ERASED_MARKER}'")
            else:
                raise permanent(
                    f"table {mapping.table}: column {column} is NOT NULL {kind}, cannot be blanked"
                )
        return ", ".join(assignments), " OR ".join(pending)

    async def _hold(
        self,
        src: Conn,
        reason: str,
        system: System,
        keys: Mapping[IdentityKey, str],
        outcome: Outcome,
    ) -> None:
        """A legal hold keeps everything: count what is kept, change nothing."""
        for mapping in system.tables:
            args: list[Any] = []
            where = person_rows(mapping, keys, args)
            if where is not None:
                count = await src.fetchval(
                    f"SELECT count(*) FROM {quote_ident(mapping.table)} AS src WHERE {where}",  # noqa: S608
                    *args,
                )
                outcome.keep(mapping.category.value, f"legal hold: {reason}", int(count), None)
            activity.heartbeat()
        outcome.notes.append("legal hold: nothing erased")

    async def _flag(
        self,
        src: Conn,
        system: System,
        mapping: TableMapping,
        keys: Mapping[IdentityKey, str],
        restricted: bool,
        outcome: Outcome,
    ) -> None:
        args: list[Any] = [restricted]
        where = person_rows(mapping, keys, args)
        if where is None:
            return
        flag = quote_ident(system.restriction_column)
        done = await src.fetchrow(
            dml_summary(
                f"UPDATE {quote_ident(mapping.table)} AS src SET {flag} = $1"  # noqa: S608
                f" WHERE {where} AND src.{flag} IS DISTINCT FROM $1",
                mapping,
            ),
            *args,
        )
        assert done is not None
        outcome.changed += int(done["n"])
        outcome.recipient_names.update(done["recipients"])

    async def _consent_off(
        self, src: Conn, mapping: TableMapping, keys: Mapping[IdentityKey, str], outcome: Outcome
    ) -> int:
        """Switch the table's consent flags off; returns 1 if the table has any, else 0."""
        if not mapping.consent:
            return 0
        args: list[Any] = []
        where = person_rows(mapping, keys, args)
        if where is None:
            return 1
        assignments = ", ".join(f"{quote_ident(c)} = false" for c in mapping.consent)
        still_on = " OR ".join(f"src.{quote_ident(c)} IS DISTINCT FROM false" for c in mapping.consent)
        status = await src.execute(
            f"UPDATE {quote_ident(mapping.table)} AS src SET {assignments}"  # noqa: S608
            f" WHERE {where} AND ({still_on})",
            *args,
        )
        outcome.changed += int(status.rsplit(" ", 1)[-1])
        return 1

    async def _suppress(
        self,
        src: Conn,
        inp: ExecuteSystemInput,
        system: System,
        subject: SubjectIdentity,
        outcome: Outcome,
    ) -> None:
        """The person's e-mail and phone onto the system's own suppression list, at once."""
        if system.suppression_table is None:
            outcome.notes.append("no suppression list in this system")
            return
        entries = [(subject.email.lower(), "email")]
        if subject.phone:
            entries.append((subject.phone, "phone"))
        added = await src.fetch(
            f"INSERT INTO {quote_ident(system.suppression_table)} (value, kind, source)"  # noqa: S608
            " SELECT v, k, $3 FROM unnest($1::text[], $2::text[]) AS e(v, k)"
            " ON CONFLICT (value) DO NOTHING RETURNING kind",
            [v for v, _ in entries],
            [k for _, k in entries],
            f"dsar {inp.reference}",
        )
        outcome.changed += len(added)
        outcome.notes.append(
            f"{len(added)} of {len(entries)} suppression entries added"
            + ("" if len(added) == len(entries) else " (the rest were there already)")
        )

    # ------------------------------------------------------------------
    # The case store
    # ------------------------------------------------------------------

    async def _record(
        self, case: Conn, inp: ExecuteSystemInput, system: System, outcome: Outcome
    ) -> ActionResult:
        ids = (inp.reference, inp.company, inp.system, inp.action.value)
        changed = outcome.changed
        fields = sorted(outcome.fields)
        if inp.action is Action.RECTIFY:
            await self._store_changes(case, inp, outcome.changes)
            totals = await case.fetchrow(
                "SELECT count(DISTINCT (source_table, source_key)) AS rows,"
                " coalesce(array_agg(DISTINCT field), '{}') AS fields FROM executed_changes"
                " WHERE reference = $1 AND company = $2 AND system = $3 AND action = $4",
                *ids,
            )
            assert totals is not None
            changed, fields = int(totals["rows"]), sorted(totals["fields"])
        recipients: list[str] = []
        notes = list(outcome.notes)
        if inp.action.tells_recipients and (changed or outcome.flagged):
            recipients, unknown = self._recipients(system, outcome.recipient_names)
            earlier = await case.fetchval(
                "SELECT recipients FROM action_results"
                " WHERE reference = $1 AND company = $2 AND system = $3 AND action = $4",
                *ids,
            )
            recipients = sorted(set(recipients) | set(earlier or []))
            if unknown:
                notes.append(f"{unknown} recipient name(s) not in the group registry")
        if outcome.flagged:
            notes.append(f"{outcome.flagged} row(s) kept under a retention duty are now restricted")
        result = ActionResult(
            company=inp.company,
            system=inp.system,
            name=system.name,
            kind=system.kind.value,
            action=inp.action,
            status=ActionStatus.DONE,
            changed=changed,
            fields=fields,
            kept=[
                KeptData(category=category, items=k.items, legal_basis=basis, until=k.until)
                for (category, basis), k in sorted(outcome.kept.items())
            ],
            recipients=recipients,
            note="; ".join(notes) or None,
        )
        return await save_and_audit(case, inp.reference, result, actor=ACTOR, occasion="executed")

    async def _store_changes(self, case: Conn, inp: ExecuteSystemInput, changes: list[Change]) -> None:
        """Before and after of every changed field, sealed; a retry records each change once."""
        if not changes:
            return
        context = f"{inp.reference}:change".encode()
        rows = []
        for change in changes:
            key_id, after = self._ring.encrypt(change.after.encode(), context)
            before = None
            if change.before is not None:
                before_key, before = self._ring.encrypt(change.before.encode(), context)
                assert before_key == key_id
            rows.append(
                (
                    inp.reference,
                    inp.company,
                    inp.system,
                    inp.action.value,
                    change.table,
                    change.key,
                    change.field,
                    key_id,
                    before,
                    after,
                )
            )
        await case.executemany(
            "INSERT INTO executed_changes (reference, company, system, action, source_table, source_key,"
            " field, key_id, before_sealed, after_sealed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            " ON CONFLICT ON CONSTRAINT executed_changes_once DO NOTHING",
            rows,
        )

    def _recipients(self, system: System, names: set[str]) -> tuple[list[str], int]:
        """Registry codes for the names on the affected rows, plus the system's own recipients;
        and how many names the registry does not know (never the names themselves)."""
        codes = set(system.disclosed_to)
        unknown = 0
        for name in names:
            recipient = self._registry.recipient(name)
            if recipient is None:
                unknown += 1
            else:
                codes.add(recipient.code)
        return sorted(codes), unknown

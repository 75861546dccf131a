"""The building blocks of the PostgreSQL action connector: what one action did, built up
table by table, and the SQL that finds the person's rows and reports what a statement
changed. A private helper of `activities.execute_postgres`, not an activity.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from activities._postgres_sql import match_clauses
from casestore.db import quote_ident
from dsar.domain import IdentityKey
from dsar.group import TableMapping


@dataclass(frozen=True)
class Change:
    """One field of one row, before and after (personal data: sealed before it is stored)."""

    table: str
    key: str
    field: str
    before: str | None
    after: str


@dataclass
class Kept:
    items: int = 0
    until: date | None = None


@dataclass
class Outcome:
    """What one action did in one system, built up table by table."""

    changed: int = 0
    # Rows left in place but touched (kept under retention and restricted).
    flagged: int = 0
    fields: set[str] = field(default_factory=set)
    changes: list[Change] = field(default_factory=list)
    kept: dict[tuple[str, str], Kept] = field(default_factory=dict)
    recipient_names: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)

    def keep(self, category: str, basis: str, items: int, until: date | None) -> None:
        if items <= 0:
            return
        entry = self.kept.setdefault((category, basis), Kept())
        entry.items += items
        if until is not None and (entry.until is None or until > entry.until):
            entry.until = until


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def person_rows(mapping: TableMapping, keys: Mapping[IdentityKey, str], args: list[Any]) -> str | None:
    """The person's rows in a table (alias `src`), or None if no key the person gave applies."""
    clauses = match_clauses(mapping, keys, args)
    if not clauses:
        return None
    return "(" + " OR ".join(expr for _, expr in clauses) + ")"


def recipient_expr(mapping: TableMapping) -> str:
    if mapping.recipient_column is None:
        return "NULL::text"
    return f"src.{quote_ident(mapping.recipient_column)}::text"


def dml_summary(dml: str, mapping: TableMapping, dated: str = "NULL::date") -> str:
    """Run a DML statement and return its row count, the newest date and the distinct recipients."""
    return (
        f"WITH hit AS ({dml} RETURNING {dated} AS d, {recipient_expr(mapping)} AS r) "  # noqa: S608
        "SELECT count(*) AS n, max(d) AS newest,"
        " coalesce(array_remove(array_agg(DISTINCT r), NULL), '{}') AS recipients FROM hit"
    )

"""SQL the PostgreSQL connectors build: the person's rows in a source table, found by the
exact keys they gave, and the next chunk of a resumable scan.

Shared by collection, the other rights' actions and the identity search, which must all
find the same rows. Pure string building: the values always travel as query arguments.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

from casestore.db import quote_ident
from dsar.domain import IdentityKey
from dsar.group import TableMapping
from dsar.messages.collection import CollectSystemInput

# Rows per chunk of a resumable scan; each chunk is committed with its checkpoint.
CHUNK_ROWS = 50_000
# A source database that lacks the configured table or column, or refuses the worker's
# login or privileges: a retry cannot help, the registry or the grants must change.
PERMANENT_DB_ERRORS = (
    asyncpg.UndefinedTableError,
    asyncpg.UndefinedColumnError,
    asyncpg.InvalidPasswordError,
    asyncpg.InsufficientPrivilegeError,
)


def match_clauses(
    mapping: TableMapping, keys: Mapping[IdentityKey, str], args: list[Any]
) -> list[tuple[IdentityKey, str]]:
    """One SQL condition per exact key the person gave and the table can be searched by."""
    clauses: list[tuple[IdentityKey, str]] = []
    for key, column in mapping.match.items():
        value = keys.get(key)
        if value is None:
            continue
        args.append(value)
        col = f"src.{quote_ident(column)}"
        expr = f"lower({col}) = ${len(args)}" if key is IdentityKey.EMAIL else f"{col} = ${len(args)}"
        clauses.append((key, expr))
    return clauses


def resume_clause(mapping: TableMapping, key_type: str, after: str | None, args: list[Any]) -> str:
    """`AND key > last key` for the next chunk (the key travels as text, cast to its column's type)."""
    if after is None:
        return ""
    args.append(after)
    return f" AND src.{quote_ident(mapping.key_column)} > CAST(${len(args)}::text AS {key_type})"


def build_chunk_query(
    inp: CollectSystemInput,
    mapping: TableMapping,
    keys: Mapping[IdentityKey, str],
    key_type: str,
    after: str | None,
) -> tuple[str, list[Any]] | None:
    """The next chunk of a person's rows, rendered as case-store lines, or None if no key applies."""
    args: list[Any] = [inp.reference, inp.company, inp.system, mapping.table, mapping.category.value]
    clauses = match_clauses(mapping, keys, args)
    if not clauses:
        return None
    matched = ", ".join(f"CASE WHEN {expr} THEN '{key.value}' END" for key, expr in clauses)
    key_col = f"src.{quote_ident(mapping.key_column)}"
    where = " OR ".join(expr for _, expr in clauses)
    resume = resume_clause(mapping, key_type, after, args)
    sql = (
        f"SELECT {key_col}::text, $1::text, $2::text, $3::text, $4::text, $5::text,"  # noqa: S608
        f" COALESCE(NULLIF(concat_ws(',', {matched}), ''), 'unknown'), row_to_json(src),"
        " 1.0::real, false, NULL::text"
        f" FROM {quote_ident(mapping.table)} AS src WHERE ({where}){resume}"
        f" ORDER BY {key_col} LIMIT {CHUNK_ROWS}"
    )
    return sql, args

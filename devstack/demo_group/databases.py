"""The demo databases: one per company, created, prepared and loaded once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import structlog

from casestore.db import quote_ident
from devstack.demo_group.base import Row
from devstack.demo_group.build import build_dataset
from devstack.demo_group.schemas import (
    COLUMNS,
    RESTRICTION_COLUMN,
    Extras,
    add_flag_sql,
    company_extras,
    company_tables,
    create_table_sql,
    export_views_sql,
    suppression_table_sql,
)
from dsar.domain import IdentityKey
from dsar.group import GroupRegistry, SystemKind

log = structlog.get_logger(__name__)


# Serialises schema creation and loading between concurrent seeders (two workers starting).
_LOCK_ID = 0x44454D4F  # "DEMO"


def company_database(code: str) -> str:
    """Each company gets its own database, as separate legal entities would."""
    return f"demo_{code}"


def company_dsn(admin_dsn: str, database: str) -> str:
    """The admin DSN with another database; host, user and socket options stay the same."""
    parts = urlsplit(admin_dsn)
    return urlunsplit(parts._replace(path=f"/{database}"))


async def _create_database(admin_dsn: str, database: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            try:
                await conn.execute(f"CREATE DATABASE {quote_ident(database)}")
            except asyncpg.DuplicateDatabaseError:
                pass  # another seeder won the race; the database is there either way
    finally:
        await conn.close()


async def _is_empty(conn: asyncpg.Connection, tables: Iterable[str]) -> bool:
    for table in tables:
        if await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {quote_ident(table)})"):  # noqa: S608
            return False
    return True


async def _prepare(
    dsn: str, tables: Mapping[str, Mapping[IdentityKey, str]], extras: Extras | None = None
) -> bool:
    """Create the tables, the indexes searches need, the suppression lists and the export
    views; say whether the company is empty."""
    extras = extras or Extras()
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_ID)
            for table, match in tables.items():
                await conn.execute(create_table_sql(table))
                for column in sorted(extras.flags.get(table, frozenset()) | {RESTRICTION_COLUMN}):
                    await conn.execute(add_flag_sql(table, column))
                for key, column in match.items():
                    # Collection compares lower(email); the index has to be on the same thing.
                    expression = (
                        f"lower({quote_ident(column)})" if key is IdentityKey.EMAIL else (quote_ident(column))
                    )
                    suffix = "lower_idx" if key is IdentityKey.EMAIL else "idx"
                    await conn.execute(
                        f"CREATE INDEX IF NOT EXISTS {quote_ident(f'{table}_{column}_{suffix}')} "
                        f"ON {quote_ident(table)} ({expression})"
                    )
            for suppression in extras.suppression_tables:
                await conn.execute(suppression_table_sql(suppression))
            for view in export_views_sql(tables, extras.suppression_tables):
                await conn.execute(view)
            return await _is_empty(conn, tables)
    finally:
        await conn.close()


async def _load(dsn: str, company: str, tables: Iterable[str], rows: Mapping[str, list[Row]]) -> int:
    """Load one company in one transaction, so a crash leaves it empty and seedable again."""
    names = list(tables)
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_ID)
            if not await _is_empty(conn, names):
                return 0  # a concurrent seeder got here first
            total = 0
            for table in names:
                records = rows.get(table, [])
                if records:
                    await conn.copy_records_to_table(table, records=records, columns=list(COLUMNS[table]))
                    total += len(records)
            log.info("demo.seeded", company=company, rows=total)
            return total
    finally:
        await conn.close()


async def seed_demo_group(
    admin_dsn: str,
    registry: GroupRegistry,
    *,
    people: int = 300,
    seed: int = 20261125,
) -> dict[str, str]:
    """Make every company's database exist with its tables and, if still empty, its data.

    A company that already holds any row is left alone: the seeder must never add a second
    crowd on top of a database someone has been trying requests against. Returns the DSN
    for each connection setting of the registry (`DSAR_CONN_<name>`).
    """
    if people < 0:
        raise ValueError("people must not be negative")
    tables = {
        company.code: company_tables(company)
        for company in registry.companies
        if any(s.kind is SystemKind.POSTGRES for s in company.systems)
    }
    dsns = {code: company_dsn(admin_dsn, company_database(code)) for code in tables}
    for code in tables:
        await _create_database(admin_dsn, company_database(code))
    codes = list(tables)
    extras = {company.code: company_extras(company) for company in registry.companies}
    empty = await asyncio.gather(*(_prepare(dsns[code], tables[code], extras[code]) for code in codes))
    todo = [code for code, is_empty in zip(codes, empty, strict=True) if is_empty]
    if todo:
        data = await asyncio.to_thread(build_dataset, registry, people, seed)
        await asyncio.gather(
            *(_load(dsns[code], code, tables[code], data.rows.get(code, {})) for code in todo)
        )
    return {
        system.connection: dsns[company.code]
        for company in registry.companies
        for system in company.systems
        if system.connection and company.code in dsns
    }

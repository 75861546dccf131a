"""Collection from a company's PostgreSQL systems into the case store.

Claim-check: rows are streamed with a server-side cursor straight into the case store and
the workflow only ever sees counts. Each system is written in one case-store transaction
that first removes what an earlier attempt stored, so a retry or a crashed worker never
leaves duplicate records.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import uuid
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.case_store import load_subject
from activities.db import Conn, quote_ident
from dsar.codec import KeyRing
from dsar.domain import IdentityKey
from dsar.group import Company, GroupRegistry, System, SystemKind, TableMapping
from dsar.messages import Activity, CollectSystemInput, SystemRef, SystemResult, SystemStatus

log = structlog.get_logger(__name__)

BATCH = 2000
_RECORD_COLUMNS = [
    "reference",
    "company",
    "system",
    "source_table",
    "source_key",
    "category",
    "matched_on",
    "data",
]


class PermanentSystemError(Exception):
    """A retry cannot fix this (missing table, bad configuration); the workflow reports it."""


def jsonable(value: Any) -> Any:
    """Source rows hold dates, decimals, addresses and bytes; the case store keeps JSON."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, uuid.UUID | ipaddress.IPv4Address | ipaddress.IPv6Address):
        return str(value)
    if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    return str(value)


def build_search(mapping: TableMapping, keys: Mapping[IdentityKey, str]) -> tuple[str, list[str]]:
    """A query for the rows of one table that match any of the person's exact keys."""
    clauses: list[str] = []
    args: list[str] = []
    for key, column in mapping.match.items():
        value = keys.get(key)
        if value is None:
            continue
        args.append(value)
        col = quote_ident(column)
        clauses.append(
            f"lower({col}) = ${len(args)}" if key is IdentityKey.EMAIL else f"{col} = ${len(args)}"
        )
    if not clauses:
        return "", []
    sql = (
        f"SELECT * FROM {quote_ident(mapping.table)} WHERE {' OR '.join(clauses)}"  # noqa: S608
        f" ORDER BY {quote_ident(mapping.key_column)}"
    )
    return sql, args


def matched_on(row: Mapping[str, Any], mapping: TableMapping, keys: Mapping[IdentityKey, str]) -> str:
    hits = []
    for key, column in mapping.match.items():
        value = row.get(column)
        wanted = keys.get(key)
        if value is None or wanted is None:
            continue
        if (str(value).lower() if key is IdentityKey.EMAIL else str(value)) == wanted:
            hits.append(key.value)
    return ",".join(hits) or "unknown"


class CollectionActivities:
    """Runs inside one company: `sources` holds pools for that company's systems only."""

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
        self._sources = sources

    def _company(self, code: str) -> Company:
        try:
            return self._registry.company(code)
        except KeyError:
            raise ApplicationError(
                f"company {code} is not in the group registry",
                type="PermanentSystemError",
                non_retryable=True,
            ) from None

    @activity.defn(name=Activity.LIST_SYSTEMS)
    async def list_systems(self, company: str) -> list[SystemRef]:
        return [
            SystemRef(company=company, system=s.code, name=s.name, kind=s.kind.value)
            for s in self._company(company).systems
        ]

    @activity.defn(name=Activity.COLLECT_SYSTEM)
    async def collect_system(self, inp: CollectSystemInput) -> SystemResult:
        company = self._company(inp.company)
        try:
            system = company.system(inp.system)
        except KeyError:
            raise ApplicationError(
                f"system {inp.system} is not in company {inp.company}",
                type="PermanentSystemError",
                non_retryable=True,
            ) from None
        if system.kind is not SystemKind.POSTGRES:
            raise ApplicationError(
                f"system kind {system.kind.value} has no automatic connector",
                type="PermanentSystemError",
                non_retryable=True,
            )
        bound = log.bind(reference=inp.reference, company=inp.company, system=inp.system)
        try:
            result = await self._collect_postgres(inp, system)
        except ApplicationError:
            raise
        except (
            asyncpg.UndefinedTableError,
            asyncpg.UndefinedColumnError,
            asyncpg.InvalidPasswordError,
        ) as exc:
            # Database messages can quote values; only the error class leaves this process.
            bound.error("collection.failed.permanent", error=type(exc).__name__)
            raise ApplicationError(
                f"{type(exc).__name__} in {inp.company}/{inp.system}",
                type="PermanentSystemError",
                non_retryable=True,
            ) from None
        except Exception as exc:
            bound.warning("collection.failed.transient", error=type(exc).__name__)
            raise ApplicationError(f"{type(exc).__name__} in {inp.company}/{inp.system}") from None
        bound.info("collection.done", records=result.records, bytes=result.bytes)
        return result

    async def _collect_postgres(self, inp: CollectSystemInput, system: System) -> SystemResult:
        assert system.connection is not None
        source = self._sources.get(system.connection)
        if source is None:
            raise ApplicationError(
                f"DSAR_CONN_{system.connection} is not configured on this worker",
                type="PermanentSystemError",
                non_retryable=True,
            )
        async with self._case_pool.acquire() as case:
            keys = (await load_subject(case, self._ring, inp.reference)).search_keys()
            total = 0
            size = 0
            categories: set[str] = set()
            async with case.transaction():
                await case.execute(
                    "DELETE FROM collected_records WHERE reference = $1 AND company = $2 AND system = $3",
                    inp.reference,
                    inp.company,
                    inp.system,
                )
                async with source.acquire() as src, src.transaction(readonly=True):
                    for mapping in system.tables:
                        sql, args = build_search(mapping, keys)
                        if not sql:
                            continue
                        batch: list[tuple[Any, ...]] = []
                        async for row in src.cursor(sql, *args, prefetch=BATCH):
                            data = {k: jsonable(v) for k, v in row.items()}
                            size += len(json.dumps(data, ensure_ascii=False))
                            batch.append(
                                (
                                    inp.reference,
                                    inp.company,
                                    inp.system,
                                    mapping.table,
                                    str(row[mapping.key_column]),
                                    mapping.category.value,
                                    matched_on(dict(row.items()), mapping, keys),
                                    data,
                                )
                            )
                            if len(batch) >= BATCH:
                                total += await self._store(case, batch)
                                categories.add(mapping.category.value)
                                activity.heartbeat(total)
                        if batch:
                            total += await self._store(case, batch)
                            categories.add(mapping.category.value)
                            activity.heartbeat(total)
                status = SystemStatus.COLLECTED
                await case.execute(
                    "INSERT INTO collection_results (reference, company, system, status, records,"
                    " bytes, categories, error, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, now())"
                    " ON CONFLICT (reference, company, system) DO UPDATE SET status = EXCLUDED.status,"
                    " records = EXCLUDED.records, bytes = EXCLUDED.bytes,"
                    " categories = EXCLUDED.categories, error = NULL, updated_at = now()",
                    inp.reference,
                    inp.company,
                    inp.system,
                    status.value,
                    total,
                    size,
                    sorted(categories),
                )
        return SystemResult(
            company=inp.company,
            system=inp.system,
            name=system.name,
            status=status,
            records=total,
            bytes=size,
            categories=sorted(categories),
        )

    @staticmethod
    async def _store(case: Conn, batch: list[tuple[Any, ...]]) -> int:
        count = len(batch)
        await case.copy_records_to_table("collected_records", records=batch, columns=_RECORD_COLUMNS)
        batch.clear()
        return count

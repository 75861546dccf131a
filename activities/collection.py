"""What every connector shares: the registry lookups, the error rules and the result row.

Each connector kind (PostgreSQL, S3, HTTP, manual upload) is its own class of activities
with its clients injected; they all store records in the case store (claim-check: the
workflow only ever sees counts) and report one `collection_results` row per system, so
the privacy team and the package see the same figures.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Protocol, TypeVar

import asyncpg
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities._heartbeat import heartbeating
from casestore.audit import append_audit
from casestore.db import Conn
from dsar.codec import KeyRing
from dsar.group import Company, GroupRegistry, System, SystemKind
from dsar.messages.activity_names import Activity
from dsar.messages.collection import CollectSystemInput, RecordSystemResultInput, SystemRef, SystemResult
from dsar.messages.review import DecideMatchesInput

log = structlog.get_logger(__name__)

PERMANENT = "PermanentSystemError"

RECORD_COLUMNS = [
    "reference",
    "company",
    "system",
    "source_table",
    "source_key",
    "category",
    "matched_on",
    "data",
    "confidence",
    "needs_confirmation",
    "object_key",
]


def permanent(message: str) -> ApplicationError:
    """A retry cannot fix this (missing table, bad configuration): report at once."""
    return ApplicationError(message, type=PERMANENT, non_retryable=True)


def jsonable(value: Any) -> Any:
    """Source values hold dates, decimals, addresses and bytes; the case store keeps JSON."""
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


def record_row(
    inp: CollectSystemInput,
    *,
    table: str,
    key: str,
    category: str,
    matched_on: str,
    data: Any,
    confidence: float = 1.0,
    object_key: str | None = None,
) -> tuple[Any, ...]:
    """One `collected_records` row in `RECORD_COLUMNS` order."""
    return (
        inp.reference,
        inp.company,
        inp.system,
        table,
        key,
        category,
        matched_on,
        data,
        confidence,
        confidence < 1.0,
        object_key,
    )


async def clear_system(case: Conn, reference: str, company: str, system: str) -> None:
    """Forget an earlier attempt's records, so a fresh collection never stores one twice."""
    await case.execute(
        "DELETE FROM collected_records WHERE reference = $1 AND company = $2 AND system = $3",
        reference,
        company,
        system,
    )


async def store_rows(case: Conn, rows: list[tuple[Any, ...]]) -> int:
    if rows:
        await case.copy_records_to_table("collected_records", records=rows, columns=RECORD_COLUMNS)
    return len(rows)


T = TypeVar("T")


def configured(settings: Mapping[str, T], system: System) -> T:
    """The worker's client or setting for a system's connection; its absence is a configuration error."""
    if system.connection is None or system.connection not in settings:
        raise permanent(f"DSAR_CONN_{system.connection} is not configured on this worker")
    return settings[system.connection]


async def replace_records(
    case_pool: asyncpg.Pool,
    reference: str,
    result: SystemResult,
    rows: list[tuple[Any, ...]],
    actor: str | None = None,
) -> SystemResult:
    """One transaction: an earlier attempt's records out, these in, the result row written."""
    async with case_pool.acquire() as case, case.transaction():
        await clear_system(case, reference, result.company, result.system)
        await store_rows(case, rows)
        await save_result(case, reference, result, actor)
    return result


async def save_result(case: Conn, reference: str, result: SystemResult, actor: str | None = None) -> None:
    await case.execute(
        "INSERT INTO collection_results (reference, company, system, kind, status, records, bytes,"
        " categories, error, decided_by, note, note_for_person, updated_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, now())"
        " ON CONFLICT (reference, company, system) DO UPDATE SET kind = EXCLUDED.kind,"
        " status = EXCLUDED.status, records = EXCLUDED.records, bytes = EXCLUDED.bytes,"
        " categories = EXCLUDED.categories, error = EXCLUDED.error,"
        " decided_by = EXCLUDED.decided_by, note = EXCLUDED.note,"
        " note_for_person = EXCLUDED.note_for_person, updated_at = now()",
        reference,
        result.company,
        result.system,
        result.kind,
        result.status.value,
        result.records,
        result.bytes,
        result.categories,
        result.error,
        actor,
        result.note,
        result.note_for_person,
    )


class RegistryLookup:
    """Registry lookups that fail permanently, naming only codes, when configuration is wrong."""

    def __init__(self, registry: GroupRegistry) -> None:
        self._registry = registry

    def company(self, code: str) -> Company:
        try:
            return self._registry.company(code)
        except KeyError:
            raise permanent(f"company {code} is not in the group registry") from None

    def system(self, company: str, code: str) -> System:
        try:
            return self.company(company).system(code)
        except KeyError:
            raise permanent(f"system {code} is not in company {company}") from None


class SystemStep(Protocol):
    """Any per-system input: a collection or an action."""

    reference: str
    company: str
    system: str


R = TypeVar("R")


async def guarded(
    inp: SystemStep,
    step: Callable[[], Awaitable[R]],
    permanent_errors: tuple[type[Exception], ...],
    event: str = "collection",
) -> R:
    """Sort failures into permanent and transient, and keep values out of the messages.

    Driver messages can quote the data they choked on, so only the error class leaves this
    process; the system and company codes say where.
    """
    bound = log.bind(reference=inp.reference, company=inp.company, system=inp.system)
    try:
        result = await step()
    except ApplicationError:
        raise
    except permanent_errors as exc:
        bound.error(f"{event}.failed.permanent", error=type(exc).__name__)
        raise permanent(f"{type(exc).__name__} in {inp.company}/{inp.system}") from None
    except Exception as exc:
        bound.warning(f"{event}.failed.transient", error=type(exc).__name__)
        raise ApplicationError(f"{type(exc).__name__} in {inp.company}/{inp.system}") from None
    if isinstance(result, SystemResult):
        bound.info("collection.done", rows=result.records, bytes=result.bytes, fuzzy=result.fuzzy_matches)
    return result


class CollectionActivities:
    """The connector-independent steps: which systems a company has, and decisions about them."""

    def __init__(self, case_pool: asyncpg.Pool, ring: KeyRing, registry: GroupRegistry) -> None:
        self._case_pool = case_pool
        self._ring = ring
        self._lookup = RegistryLookup(registry)

    @activity.defn(name=Activity.LIST_SYSTEMS)
    async def list_systems(self, company: str) -> list[SystemRef]:
        return [
            SystemRef(
                company=company,
                system=s.code,
                name=s.name,
                kind=s.kind.value,
                reminder_days=s.reminder_days if s.kind is SystemKind.MANUAL else [],
                rights=list(s.rights),
            )
            for s in self._lookup.company(company).systems
        ]

    @activity.defn(name=Activity.RECORD_SYSTEM_RESULT)
    async def record_system_result(self, inp: RecordSystemResultInput) -> None:
        """A decision about one system (not applicable, task sent), mirrored and audited."""
        self._lookup.system(inp.result.company, inp.result.system)
        async with self._case_pool.acquire() as case, case.transaction():
            await save_result(case, inp.reference, inp.result, inp.actor)
            await append_audit(
                case,
                reference=inp.reference,
                actor=inp.actor,
                action=f"system.{inp.result.status.value}",
                details={"company": inp.result.company, "system": inp.result.system},
                idempotency_key=(
                    f"{inp.reference}:system:{inp.result.company}/{inp.result.system}:"
                    f"{inp.result.status.value}:{inp.occasion}"
                ),
            )

    @activity.defn(name=Activity.DECIDE_MATCHES)
    @heartbeating
    async def decide_matches(self, inp: DecideMatchesInput) -> int:
        """Confirm or reject name-and-postcode matches; only confirmed ones reach the package."""
        column = "confirmed_by" if inp.decision.accept else "rejected_by"
        other = "rejected_by" if inp.decision.accept else "confirmed_by"
        async with self._case_pool.acquire() as case, case.transaction():
            changed = await case.fetch(
                f"UPDATE collected_records SET {column} = $3, {other} = NULL"  # noqa: S608
                " WHERE reference = $1 AND id = ANY($2::bigint[]) AND needs_confirmation RETURNING id",
                inp.reference,
                inp.decision.record_ids,
                inp.decision.actor,
            )
            ids = sorted(r["id"] for r in changed)
            await append_audit(
                case,
                reference=inp.reference,
                actor=inp.decision.actor,
                action="match.confirmed" if inp.decision.accept else "match.rejected",
                details={"records": json.dumps(ids)},
                idempotency_key=f"{inp.reference}:match:{column}:{json.dumps(ids)}",
            )
        return len(ids)

"""The PostgreSQL connector: a person's rows, piped from the source database into the case store.

Speed and memory both come from never building Python objects per row: the source
database renders each matching row as one `collected_records` line (`row_to_json`, the
matched keys as a SQL expression) and `COPY ... TO STDOUT` streams it straight into a
`COPY ... FROM STDIN` on the case store, through a small bounded queue.

Resumable: rows go in chunks ordered by the table's key, and each chunk is committed in
the same transaction as a checkpoint (table, last key, counts). A worker killed mid-scan
leaves the case store at a chunk boundary; the retried activity sees its heartbeat and
carries on after the checkpoint, so no row is stored twice and none is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import asyncpg
import structlog
from rapidfuzz import fuzz, utils
from temporalio import activity

from activities._copy_pipe import RESUMABLE, collector, copy_unescape, last_csv_key, pipe_chunk
from activities._heartbeat import beating
from activities._postgres_sql import (
    CHUNK_ROWS,
    PERMANENT_DB_ERRORS,
    build_chunk_query,
    match_clauses,
    resume_clause,
)
from activities.case_store import load_subject
from activities.collect_s3 import collected_key
from activities.collection import (
    RegistryLookup,
    clear_system,
    configured,
    guarded,
    permanent,
    record_row,
    save_result,
    store_rows,
)
from casestore.db import Conn, quote_ident
from dsar.codec import KeyRing
from dsar.domain import IdentityKey, SubjectIdentity
from dsar.group import GroupRegistry, System, TableMapping
from dsar.messages.activity_names import Activity
from dsar.messages.collection import CollectSystemInput, SystemResult, SystemStatus

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = structlog.get_logger(__name__)

# Re-exported: the identity search and older imports name them here.
__all__ = [
    "BULK_CHUNK_ROWS",
    "CHUNK_ROWS",
    "FUZZY_THRESHOLD",
    "PostgresCollector",
    "last_csv_key",
    "match_clauses",
]

# Parts of a bulk table: about 10 MB of CSV each for typical event rows.
BULK_CHUNK_ROWS = 100_000
# A name-and-postcode match at or above this score is stored, flagged for a reviewer.
FUZZY_THRESHOLD = 85.0


class PostgresCollector:
    """Runs inside one company: `sources` holds pools for that company's databases only."""

    def __init__(
        self,
        case_pool: asyncpg.Pool,
        ring: KeyRing,
        registry: GroupRegistry,
        sources: Mapping[str, asyncpg.Pool],
        s3: S3Client | None = None,
        case_bucket: str = "",
    ) -> None:
        self._case_pool = case_pool
        self._ring = ring
        self._lookup = RegistryLookup(registry)
        self._sources = sources
        self._s3 = s3
        self._bucket = case_bucket

    @activity.defn(name=Activity.COLLECT_SYSTEM)
    async def collect_postgres(self, inp: CollectSystemInput) -> SystemResult:
        system = self._lookup.system(inp.company, inp.system)
        return await guarded(inp, lambda: self._collect(inp, system), PERMANENT_DB_ERRORS)

    async def _collect(self, inp: CollectSystemInput, system: System) -> SystemResult:
        source = configured(self._sources, system)
        resuming = RESUMABLE in activity.info().heartbeat_details
        async with self._case_pool.acquire() as case, source.acquire() as src:
            subject = await load_subject(case, self._ring, inp.reference)
            keys = subject.search_keys()
            checkpoint = await self._checkpoint(case, inp, fresh=not resuming)
            # From here a checkpoint exists: every heartbeat says a retry may resume from it.
            async with beating(RESUMABLE):
                for index in range(int(checkpoint["table_index"]), len(system.tables)):
                    mapping = system.tables[index]
                    after = checkpoint["last_key"] if index == checkpoint["table_index"] else None
                    await self._scan_table(case, src, inp, index, mapping, keys, after)
                fuzzy = await self._fuzzy_matches(case, src, inp, system, subject)
                done = await case.fetchrow(
                    "SELECT records, bytes, categories FROM collection_checkpoints"
                    " WHERE reference = $1 AND company = $2 AND system = $3",
                    inp.reference,
                    inp.company,
                    inp.system,
                )
                assert done is not None
                result = SystemResult(
                    company=inp.company,
                    system=inp.system,
                    name=system.name,
                    kind=system.kind.value,
                    status=SystemStatus.COLLECTED,
                    records=int(done["records"]) + fuzzy,
                    bytes=int(done["bytes"]),
                    categories=sorted(done["categories"]),
                    fuzzy_matches=fuzzy,
                )
            await save_result(case, inp.reference, result)
        return result

    async def _checkpoint(self, case: Conn, inp: CollectSystemInput, *, fresh: bool) -> asyncpg.Record:
        """Start over (first attempt, or a re-collection) or pick up where the last attempt stopped."""
        ids = (inp.reference, inp.company, inp.system)
        async with case.transaction():
            row = None
            if not fresh:
                row = await case.fetchrow(
                    "SELECT table_index, last_key, records FROM collection_checkpoints"
                    " WHERE reference = $1 AND company = $2 AND system = $3 FOR UPDATE",
                    *ids,
                )
            if row is not None:
                log.info(
                    "collection.resumed",
                    reference=inp.reference,
                    company=inp.company,
                    system=inp.system,
                    table=row["table_index"],
                    after_rows=row["records"],
                )
            else:
                await clear_system(case, *ids)
                row = await case.fetchrow(
                    "INSERT INTO collection_checkpoints (reference, company, system) VALUES ($1, $2, $3)"
                    " ON CONFLICT (reference, company, system) DO UPDATE SET table_index = 0,"
                    " last_key = NULL, records = 0, bytes = 0, categories = '{}', updated_at = now()"
                    " RETURNING table_index, last_key",
                    *ids,
                )
                assert row is not None
            result: asyncpg.Record = row
            return result

    async def _scan_table(
        self,
        case: Conn,
        src: Conn,
        inp: CollectSystemInput,
        index: int,
        mapping: TableMapping,
        keys: Mapping[IdentityKey, str],
        after: str | None,
    ) -> None:
        columns = [
            (r["attname"], r["type"])
            for r in await src.fetch(
                "SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute"
                " WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
                quote_ident(mapping.table),
            )
        ]
        key_type = dict(columns).get(mapping.key_column)
        if key_type is None:
            raise permanent(f"table {mapping.table} has no key column {mapping.key_column}")
        if mapping.bulk:
            await self._scan_bulk(
                case, src, inp, index, mapping, keys, after, key_type, [c for c, _ in columns]
            )
            return
        while True:
            query = build_chunk_query(inp, mapping, keys, key_type, after)
            async with case.transaction():
                pipe = await pipe_chunk(src, case, *query) if query else None
                more = pipe is not None and pipe.rows >= CHUNK_ROWS
                if pipe is not None and pipe.last_key is not None:
                    after = copy_unescape(pipe.last_key)
                await self._advance(
                    case,
                    inp,
                    index,
                    mapping,
                    more,
                    after,
                    pipe.rows if pipe else 0,
                    pipe.bytes if pipe else 0,
                )
            activity.heartbeat(RESUMABLE)
            if not more:
                return

    async def _scan_bulk(
        self,
        case: Conn,
        src: Conn,
        inp: CollectSystemInput,
        index: int,
        mapping: TableMapping,
        keys: Mapping[IdentityKey, str],
        after: str | None,
        key_type: str,
        columns: list[str],
    ) -> None:
        """A big table as CSV parts in the case bucket: PostgreSQL writes the CSV, we only carry bytes.

        Each part is uploaded under a name fixed by its position, then recorded in the same
        transaction as the checkpoint; a crash in between re-uploads the same part. While
        one part is uploaded and recorded, the next one is already being read, so the scan
        runs at the speed of the slower of the two, not their sum; at most two parts are in
        memory at any time, whatever the table's size.
        """
        if self._s3 is None:
            raise permanent(f"table {mapping.table} is bulk but this worker has no S3 client")
        ordered = [mapping.key_column, *[c for c in columns if c != mapping.key_column]]
        parts = int(
            await case.fetchval(
                "SELECT count(*) FROM collected_records WHERE reference = $1 AND company = $2"
                " AND system = $3 AND source_table = $4",
                inp.reference,
                inp.company,
                inp.system,
                mapping.table,
            )
        )
        args: list[Any] = []
        clauses = match_clauses(mapping, keys, args)
        matched_on = ",".join(k.value for k, _ in clauses)
        storing: asyncio.Task[None] | None = None
        try:
            while clauses:
                chunk_args = list(args)
                resume = resume_clause(mapping, key_type, after, chunk_args)
                sql = (
                    f"SELECT {', '.join('src.' + quote_ident(c) for c in ordered)}"  # noqa: S608
                    f" FROM {quote_ident(mapping.table)} AS src"
                    f" WHERE ({' OR '.join(e for _, e in clauses)}){resume}"
                    f" ORDER BY src.{quote_ident(mapping.key_column)} LIMIT {BULK_CHUNK_ROWS}"
                )
                buffer = io.BytesIO()
                status = await src.copy_from_query(
                    sql, *chunk_args, output=collector(buffer), format="csv", header=True
                )
                rows = int(str(status).rsplit(" ", 1)[-1])
                if storing is not None:
                    await storing  # parts are recorded in order
                    storing = None
                if rows == 0:
                    break
                body = buffer.getvalue()  # shares the buffer's memory until either changes
                buffer.close()
                after = last_csv_key(body, len(ordered))
                parts += 1
                more = rows >= BULK_CHUNK_ROWS
                storing = asyncio.create_task(
                    self._store_part(case, inp, index, mapping, parts, body, rows, after, more, matched_on)
                )
                if not more:
                    await storing
                    return
        finally:
            if storing is not None and not storing.done():
                storing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await storing
        async with case.transaction():
            await self._advance(case, inp, index, mapping, False, None, 0, 0)

    async def _store_part(
        self,
        case: Conn,
        inp: CollectSystemInput,
        index: int,
        mapping: TableMapping,
        part: int,
        body: bytes,
        rows: int,
        last_key: str,
        more: bool,
        matched_on: str,
    ) -> None:
        assert self._s3 is not None
        name = f"{mapping.table}/part-{part:05d}.csv"
        object_key = collected_key(inp, name)
        await asyncio.to_thread(
            self._s3.put_object,
            Bucket=self._bucket,
            Key=object_key,
            Body=body,
            ContentType="text/csv; charset=utf-8",
            ServerSideEncryption="AES256",
        )
        async with case.transaction():
            record = record_row(
                inp,
                table=mapping.table,
                key=f"part-{part:05d}",
                category=mapping.category.value,
                matched_on=matched_on,
                data={"file": name, "format": "csv", "rows": rows, "bytes": len(body), "last_key": last_key},
                object_key=object_key,
            )
            await store_rows(case, [record])
            await self._advance(case, inp, index, mapping, more, last_key, rows, len(body))
        activity.heartbeat(RESUMABLE)

    @staticmethod
    async def _advance(
        case: Conn,
        inp: CollectSystemInput,
        index: int,
        mapping: TableMapping,
        more: bool,
        after: str | None,
        rows: int,
        size: int,
    ) -> None:
        """Move the checkpoint past what was just stored, in the transaction that stored it."""
        await case.execute(
            "UPDATE collection_checkpoints SET table_index = $4, last_key = $5,"
            " records = records + $6, bytes = bytes + $7,"
            " categories = CASE WHEN $6 > 0 AND NOT $8 = ANY(categories)"
            "   THEN array_append(categories, $8) ELSE categories END, updated_at = now()"
            " WHERE reference = $1 AND company = $2 AND system = $3",
            inp.reference,
            inp.company,
            inp.system,
            index if more else index + 1,
            after if more else None,
            rows,
            size,
            mapping.category.value,
        )

    async def _fuzzy_matches(
        self, case: Conn, src: Conn, inp: CollectSystemInput, system: System, subject: SubjectIdentity
    ) -> int:
        """Rows no exact key found but whose name and postcode look like the person's: flagged."""
        postcode = _postcode(subject.postcode) if subject.postcode else ""
        keys = subject.search_keys()
        rows: list[tuple[Any, ...]] = []
        for mapping in system.tables:
            if mapping.fuzzy is None or not postcode:
                continue
            args: list[Any] = [postcode]
            exact = " OR ".join(expr for _, expr in match_clauses(mapping, keys, args)) or "false"
            name_col = f"src.{quote_ident(mapping.fuzzy.name)}"
            postcode_col = quote_ident(mapping.fuzzy.postcode)
            sql = (
                f"SELECT src.{quote_ident(mapping.key_column)}::text AS key, {name_col}::text AS name,"  # noqa: S608
                " to_jsonb(src) AS data"
                f" FROM {quote_ident(mapping.table)} AS src"
                f" WHERE regexp_replace(upper(src.{postcode_col}), '[^A-Z0-9]', '', 'g') = $1"
                f" AND NOT COALESCE(({exact}), false)"
            )
            for row in await src.fetch(sql, *args):
                score = fuzz.token_sort_ratio(
                    subject.full_name, row["name"] or "", processor=utils.default_process
                )
                if score >= FUZZY_THRESHOLD:
                    rows.append(
                        record_row(
                            inp,
                            table=mapping.table,
                            key=row["key"],
                            category=mapping.category.value,
                            matched_on="name+postcode",
                            data=row["data"],
                            confidence=round(min(score / 100.0, 0.99), 2),
                        )
                    )
        async with case.transaction():
            await case.execute(
                "DELETE FROM collected_records WHERE reference = $1 AND company = $2 AND system = $3"
                " AND needs_confirmation",
                inp.reference,
                inp.company,
                inp.system,
            )
            return await store_rows(case, rows)


def _postcode(value: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", value.upper())

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
import csv
import io
import re
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any

import asyncpg
import structlog
from rapidfuzz import fuzz, utils
from temporalio import activity

from activities.case_store import load_subject
from activities.collect_s3 import collected_key
from activities.collection import (
    RECORD_COLUMNS,
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
from dsar.messages import Activity, CollectSystemInput, SystemResult, SystemStatus

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = structlog.get_logger(__name__)

CHUNK_ROWS = 50_000
# Every heartbeat says the same: a checkpoint exists in the case store. A retried attempt
# that sees it resumes from there; one that sees none (first attempt, re-collection) starts over.
RESUMABLE = "resume-from-checkpoint"
# Parts of a bulk table: about 10 MB of CSV each for typical event rows.
BULK_CHUNK_ROWS = 100_000
QUEUE_CHUNKS = 16
# A name-and-postcode match at or above this score is stored, flagged for a reviewer.
FUZZY_THRESHOLD = 85.0
# The source key leads each piped line, so the chunk's last key is read without parsing rows.
PIPE_COLUMNS = ["source_key", *[c for c in RECORD_COLUMNS if c != "source_key"]]
_PERMANENT_DB_ERRORS = (
    asyncpg.UndefinedTableError,
    asyncpg.UndefinedColumnError,
    asyncpg.InvalidPasswordError,
    asyncpg.InsufficientPrivilegeError,
)
# COPY's text format escapes exactly these in its output.
_COPY_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}
_ESCAPED = re.compile(r"\\(.)")


def _copy_unescape(field: bytes) -> str:
    return _ESCAPED.sub(lambda m: _COPY_ESCAPES.get(m.group(1), m.group(1)), field.decode("utf-8"))


class _Beat:
    """A heartbeat for per-block callbacks, sent at most every `every` seconds.

    The SDK turns each call into a task that encodes (and our codec encrypts) the details;
    a million-row COPY delivers thousands of blocks, so calling it per block costs real
    time on the event loop. Once a second is ample against a 20-second heartbeat timeout.
    """

    def __init__(self, every: float = 1.0) -> None:
        self._every = every
        self._last = -every

    def __call__(self) -> None:
        now = time.monotonic()
        if now - self._last >= self._every:
            self._last = now
            activity.heartbeat(RESUMABLE)


def _collector(buffer: io.BytesIO) -> Callable[[bytes], Coroutine[Any, Any, None]]:
    beat = _Beat()

    async def keep(block: bytes) -> None:
        beat()  # a long chunk is still progress
        buffer.write(block)

    return keep


def last_csv_key(body: bytes, columns: int) -> str:
    """The first field of a CSV chunk's last row (the key: the chunk is ordered by it).

    Reading only the last line is right unless that row holds a quoted line break; the
    field count tells, and then the whole chunk is parsed. The line is found with `rfind`,
    which copies nothing: a part is megabytes, and this runs on the event loop.
    """
    end = len(body)
    while end and body[end - 1] in b"\r\n":
        end -= 1
    tail = body[body.rfind(b"\n", 0, end) + 1 : end].decode("utf-8")
    row = next(csv.reader([tail]), [])
    if len(row) != columns:
        row = list(csv.reader(io.StringIO(body.decode("utf-8"))))[-1]
    return row[0]


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


class _Pipe:
    """Counts lines and remembers the last one's key while bytes flow through."""

    def __init__(self) -> None:
        self.rows = 0
        self.bytes = 0
        self.last_key: bytes | None = None
        self._tail = b""
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=QUEUE_CHUNKS)
        self._beat = _Beat()

    async def feed(self, chunk: bytes) -> None:
        self._beat()  # a long chunk is still progress
        self.bytes += len(chunk)
        newlines = chunk.count(b"\n")
        if newlines:
            self.rows += newlines
            end = chunk.rfind(b"\n")
            start = chunk.rfind(b"\n", 0, end)
            line = self._tail + chunk[:end] if start < 0 else chunk[start + 1 : end]
            self.last_key = line.split(b"\t", 1)[0]
            self._tail = chunk[end + 1 :]
        else:
            self._tail += chunk
        await self.queue.put(chunk)

    async def drain(self) -> AsyncIterator[bytes]:
        while (chunk := await self.queue.get()) is not None:
            yield chunk


async def pipe_chunk(src: Conn, case: Conn, sql: str, args: list[Any]) -> _Pipe:
    """COPY one chunk from the source into the case store; both ends stream, nothing accumulates."""
    pipe = _Pipe()

    async def produce() -> None:
        try:
            await src.copy_from_query(sql, *args, output=pipe.feed)
        finally:
            await pipe.queue.put(None)

    producer = asyncio.create_task(produce())
    try:
        await case.copy_to_table("collected_records", source=pipe.drain(), columns=PIPE_COLUMNS)
    except BaseException:
        producer.cancel()
        raise
    await producer
    return pipe


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
        return await guarded(inp, lambda: self._collect(inp, system), _PERMANENT_DB_ERRORS)

    async def _collect(self, inp: CollectSystemInput, system: System) -> SystemResult:
        source = configured(self._sources, system)
        resuming = RESUMABLE in activity.info().heartbeat_details
        async with self._case_pool.acquire() as case, source.acquire() as src:
            subject = await load_subject(case, self._ring, inp.reference)
            keys = subject.search_keys()
            checkpoint = await self._checkpoint(case, inp, fresh=not resuming)
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
                    after = _copy_unescape(pipe.last_key)
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
                    sql, *chunk_args, output=_collector(buffer), format="csv", header=True
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

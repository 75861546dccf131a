"""Streaming a source database's rows into the case store with COPY, and reading back
where a chunk ended, without building Python objects per row.

The source renders each matching row as one `collected_records` line and `COPY ... TO
STDOUT` streams it straight into a `COPY ... FROM STDIN` on the case store, through a
small bounded queue. A private helper of `activities.collect_postgres`, not an activity.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from temporalio import activity

from activities.collection import RECORD_COLUMNS
from casestore.db import Conn

# Every heartbeat says the same: a checkpoint exists in the case store. A retried attempt
# that sees it resumes from there; one that sees none (first attempt, re-collection) starts over.
RESUMABLE = "resume-from-checkpoint"
QUEUE_CHUNKS = 16
# The source key leads each piped line, so the chunk's last key is read without parsing rows.
PIPE_COLUMNS = ["source_key", *[c for c in RECORD_COLUMNS if c != "source_key"]]
# COPY's text format escapes exactly these in its output.
_COPY_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}
_ESCAPED = re.compile(r"\\(.)")


def copy_unescape(field: bytes) -> str:
    return _ESCAPED.sub(lambda m: _COPY_ESCAPES.get(m.group(1), m.group(1)), field.decode("utf-8"))


class Beat:
    """A heartbeat for per-block callbacks, sent at most every `every` seconds.

    The SDK turns each call into a task that encodes (and our codec encrypts) the details;
    a million-row COPY delivers thousands of blocks, so calling it per block costs real
    time on the event loop. Once a second is ample against a 30-second heartbeat timeout.
    """

    def __init__(self, every: float = 1.0) -> None:
        self._every = every
        self._last = -every

    def __call__(self) -> None:
        now = time.monotonic()
        if now - self._last >= self._every:
            self._last = now
            activity.heartbeat(RESUMABLE)


def collector(buffer: io.BytesIO) -> Callable[[bytes], Coroutine[Any, Any, None]]:
    beat = Beat()

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


class Pipe:
    """Counts lines and remembers the last one's key while bytes flow through."""

    def __init__(self) -> None:
        self.rows = 0
        self.bytes = 0
        self.last_key: bytes | None = None
        self._tail = b""
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=QUEUE_CHUNKS)
        self._beat = Beat()

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


async def pipe_chunk(src: Conn, case: Conn, sql: str, args: list[Any]) -> Pipe:
    """COPY one chunk from the source into the case store; both ends stream, nothing accumulates."""
    pipe = Pipe()

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

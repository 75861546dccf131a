"""Large payloads are deflated before they are sealed, and what opens is exactly what went in.

The point is a smaller history on Temporal's side (docs/benchmarks.md); what must not change
is the codec's promise: a payload whose compression marker was added, stripped or edited does
not open, and nothing inflates without bound."""

from __future__ import annotations

import json
import os
import zlib

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.converter import WorkflowSerializationContext

from dsar.codec import (
    BINDING_WORKFLOW_ID,
    COMPRESS_FROM,
    COMPRESSION_DEFLATE,
    ENCODING,
    MAX_INFLATED,
    METADATA_BINDING,
    METADATA_COMPRESSION,
    METADATA_KEY_ID,
    METADATA_WORKFLOW_ID,
    EncryptionCodec,
    KeyRing,
    PayloadProblem,
    new_key_file_text,
    open_sealed,
)

RING = KeyRing.parse(new_key_file_text("k1"))
WORKFLOW = "dsar-req-7f3a"


def codec(compress: bool = True) -> EncryptionCodec:
    context = WorkflowSerializationContext(namespace="default", workflow_id=WORKFLOW)
    return EncryptionCodec(RING, compress=compress).with_context(context)


def records(n: int) -> Payload:
    """An activity result the size of a company's collected rows: repetitive JSON."""
    rows = [{"system": "crm", "table": "orders", "order_id": i, "status": "delivered"} for i in range(n)]
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(rows).encode())


async def test_a_large_payload_is_deflated_sealed_and_opens_unchanged() -> None:
    original = records(100)
    [sealed] = await codec().encode([original])
    assert sealed.metadata[METADATA_COMPRESSION] == COMPRESSION_DEFLATE
    assert len(sealed.data) < len(original.data) / 4
    assert await codec().decode([sealed]) == [original]


async def test_small_or_incompressible_payloads_are_sealed_as_before() -> None:
    small = Payload(metadata={"encoding": b"json/plain"}, data=b'"2026-12-03"')
    noise = Payload(metadata={"encoding": b"binary/plain"}, data=os.urandom(4 * COMPRESS_FROM))
    sealed = await codec().encode([small, noise])
    assert all(METADATA_COMPRESSION not in p.metadata for p in sealed)
    assert await codec().decode(sealed) == [small, noise]


async def test_with_compression_off_nothing_is_deflated_and_both_kinds_still_open() -> None:
    """The rolling upgrade (DSAR_CODEC_COMPRESS=false): a writer that does not deflate, and a
    reader that opens what a deflating writer sealed."""
    original = records(100)
    [plain] = await codec(compress=False).encode([original])
    [deflated] = await codec(compress=True).encode([original])
    assert METADATA_COMPRESSION not in plain.metadata
    assert await codec(compress=False).decode([plain, deflated]) == [original, original]


@pytest.mark.parametrize("edit", ["strip", "rename"])
async def test_an_edited_compression_marker_does_not_open(edit: str) -> None:
    [sealed] = await codec().encode([records(100)])
    metadata = dict(sealed.metadata)
    if edit == "strip":
        del metadata[METADATA_COMPRESSION]
        expected = "does not open"
    else:
        metadata[METADATA_COMPRESSION] = b"zstd"
        expected = "compressed in a way"
    with pytest.raises(PayloadProblem, match=expected):
        await codec().decode([Payload(metadata=metadata, data=sealed.data)])


async def test_an_added_compression_marker_does_not_open() -> None:
    [sealed] = await codec(compress=False).encode([records(100)])
    metadata = dict(sealed.metadata) | {METADATA_COMPRESSION: COMPRESSION_DEFLATE}
    opened = open_sealed(RING, Payload(metadata=metadata, data=sealed.data), WORKFLOW)
    assert opened.payload is None
    assert opened.problem is not None and "does not open" in opened.problem


def test_a_payload_that_would_inflate_past_the_limit_is_refused() -> None:
    """Sealed with our key (an insider, or a bug): still never inflated into memory unbounded."""
    bomb = zlib.compress(b"\0" * (MAX_INFLATED + 1), 9)
    associated = b"dsar-workflow:" + WORKFLOW.encode() + b"\x00compression:deflate"
    key_id, blob = RING.encrypt(bomb, associated)
    payload = Payload(
        metadata={
            "encoding": ENCODING,
            METADATA_KEY_ID: key_id.encode(),
            METADATA_WORKFLOW_ID: WORKFLOW.encode(),
            METADATA_BINDING: BINDING_WORKFLOW_ID,
            METADATA_COMPRESSION: COMPRESSION_DEFLATE,
        },
        data=blob,
    )
    opened = open_sealed(RING, payload, WORKFLOW)
    assert opened.payload is None
    assert opened.problem is not None and "size limit" in opened.problem

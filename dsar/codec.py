"""Encryption of everything Temporal stores, and of the person's identity at rest.

Temporal keeps every workflow input, result and signal in its history, readable by anyone
with access to the cluster. A request carries a person's name and contact details, so
every payload is sealed with AES-256-GCM before it leaves the process. The key id travels
in the payload metadata so keys can rotate: new payloads use the active key, old ones
still open with any key the ring holds.

Key material only ever comes from the environment (`DSAR_CODEC_KEYS`) or a key file
(`DSAR_CODEC_KEY_FILE`), one `id:base64key` entry per line or comma, the first being the
active key. A separate `lookup:` entry is the HMAC key for searchable hashes, kept apart so
rotating encryption keys does not change lookups.

Payloads of `COMPRESS_FROM` bytes or more are deflated before they are sealed: a request's
history is mostly its activities' inputs and results, and Temporal's store writes, reads and
ships every byte of it on each workflow task (docs/benchmarks.md, the server's cost per
payload). Deflate before encryption lets a ciphertext's length tell how repetitive its
plaintext was; docs/delivery-security.md weighs that against who can see the lengths.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac
import os
import secrets
import zlib
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import PydanticPayloadConverter
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    EncodingPayloadConverter,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
)
from temporalio.exceptions import ApplicationError

ENCODING = b"binary/encrypted"
METADATA_KEY_ID = "encryption-key-id"
METADATA_WORKFLOW_ID = "dsar-workflow-id"
# Present when the workflow id is sealed in as associated data; payloads sealed before the
# binding existed carry the id (unauthenticated) without it.
METADATA_BINDING = "dsar-binding"
BINDING_WORKFLOW_ID = b"workflow-id/v1"
BINDING_LABEL = b"dsar-workflow:"
# The stand-in for a refused payload (never stored: it exists only between codec and converter).
REFUSED_ENCODING = b"dsar/refused"
METADATA_REFUSED = "dsar-refused"
LOOKUP_ID = "lookup"
_NONCE = 12
# Deflated before sealing; the marker is also sealed in as associated data, so it cannot be
# added or stripped without the payload failing to open.
METADATA_COMPRESSION = "dsar-compression"
COMPRESSION_DEFLATE = b"deflate"
_COMPRESSED_LABEL = b"\x00compression:deflate"
# Below this, deflate rarely pays for its header and most payloads are small dates and ids.
COMPRESS_FROM = 512
# Above Temporal's own payload limit (2 MB by default), so a payload that opens to more was
# not sealed by us intact: refused instead of inflated without bound.
MAX_INFLATED = 8 * 1024 * 1024


class KeyConfigError(ValueError):
    """A key setting is missing or malformed; the message never contains key material."""


@dataclasses.dataclass(frozen=True)
class KeyRing:
    active_id: str
    keys: dict[str, bytes]
    lookup_key: bytes

    @classmethod
    def parse(cls, text: str) -> KeyRing:
        entries = [e.strip() for e in text.replace(",", "\n").splitlines()]
        keys: dict[str, bytes] = {}
        order: list[str] = []
        lookup: bytes | None = None
        for entry in entries:
            if not entry or entry.startswith("#"):
                continue
            key_id, sep, material = entry.partition(":")
            if not sep or not key_id:
                raise KeyConfigError("each key entry must look like <id>:<base64 key>")
            try:
                raw = base64.b64decode(material, validate=True)
            except binascii.Error:
                raise KeyConfigError(f"key {key_id!r} is not valid base64") from None
            if len(raw) != 32:
                raise KeyConfigError(f"key {key_id!r} must be 32 bytes (AES-256)")
            if key_id == LOOKUP_ID:
                lookup = raw
                continue
            if key_id in keys:
                raise KeyConfigError(f"key id {key_id!r} appears twice")
            keys[key_id] = raw
            order.append(key_id)
        if not order:
            raise KeyConfigError("no encryption key configured")
        if lookup is None:
            # Without a dedicated lookup key, derive one from the oldest key so hashes
            # stay stable while newer keys are added in front of it.
            lookup = hmac.new(keys[order[-1]], b"dsar-lookup", hashlib.sha256).digest()
        return cls(active_id=order[0], keys=keys, lookup_key=lookup)

    @classmethod
    def from_settings(cls, keys: str | None, key_file: str | None) -> KeyRing:
        if keys:
            return cls.parse(keys)
        if key_file:
            path = Path(key_file)
            if not path.is_file():
                raise KeyConfigError("DSAR_CODEC_KEY_FILE does not name a readable file")
            return cls.parse(path.read_text(encoding="utf-8"))
        raise KeyConfigError("set DSAR_CODEC_KEYS or DSAR_CODEC_KEY_FILE (see docs/settings.md)")

    def encrypt(self, plaintext: bytes, associated: bytes = b"") -> tuple[str, bytes]:
        nonce = os.urandom(_NONCE)
        sealed = AESGCM(self.keys[self.active_id]).encrypt(nonce, plaintext, associated or None)
        return self.active_id, nonce + sealed

    def decrypt(self, key_id: str, blob: bytes, associated: bytes = b"") -> bytes:
        key = self.keys.get(key_id)
        if key is None:
            raise KeyConfigError(f"no key with id {key_id!r} in the key ring")
        return AESGCM(key).decrypt(blob[:_NONCE], blob[_NONCE:], associated or None)

    def lookup_hash(self, value: str) -> str:
        """A keyed hash: equal inputs match, but the store cannot be brute-forced offline."""
        return hmac.new(self.lookup_key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def new_key_file_text(key_id: str = "k1") -> str:
    """Fresh key material for a new installation (the local stack writes this once)."""
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    lookup = base64.b64encode(secrets.token_bytes(32)).decode()
    return f"{key_id}:{key}\n{LOOKUP_ID}:{lookup}\n"


class UnboundPayloads(StrEnum):
    """What a worker does with a sealed payload that is not bound to a workflow id."""

    # Payloads sealed before the binding existed (the histories of running workflows, the
    # recorded replay histories) and those sealed without a workflow (the codec server's
    # /encode): opened as before. The default until every older workflow has closed.
    ACCEPT = "accept"
    REFUSE = "refuse"


class RefusedPayload(ApplicationError):
    """Raised where a refused payload is converted: an Update is rejected with this message, a
    Signal is dropped, a workflow start fails; the workflow never acts on the input."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"payload refused: {reason}", type="RefusedPayload", non_retryable=True)


def _associated(workflow_id: str) -> bytes:
    return BINDING_LABEL + workflow_id.encode()


def _refused(reason: str) -> Payload:
    """A stand-in the payload converter refuses with `reason` (see `RefusingConverter`).

    Not an exception here: a codec error fails the whole workflow task again and again,
    which would let one stray Signal wedge a request; converted, it is refused per input."""
    return Payload(metadata={"encoding": REFUSED_ENCODING, METADATA_REFUSED: reason.encode()})


class EncryptionCodec(PayloadCodec, WithSerializationContext):
    """AES-256-GCM around every payload, bound to the workflow it belongs to.

    The SDK hands the codec a serialisation context (the workflow's id for a workflow's
    inputs, Updates, Signals and results, and the calling workflow's id for its activities),
    and that id is sealed in as associated data. A payload copied into another workflow's
    Update or Signal then fails to open there; the id also rides in clear metadata so the
    codec server, which is not told the workflow, opens it with the id it was sealed for
    and logs that (authenticated) id.

    `strict` (workers and the CLI) refuses what was not sealed by this codec: a plain JSON
    Update from a stock Temporal CLI is rejected instead of being acted on."""

    def __init__(
        self,
        ring: KeyRing,
        workflow_id: str | None = None,
        *,
        strict: bool = False,
        unbound: UnboundPayloads = UnboundPayloads.ACCEPT,
        compress: bool = True,
    ) -> None:
        self._ring = ring
        self._workflow_id = workflow_id
        self._strict = strict
        self._unbound = unbound
        self._compress = compress

    def with_context(self, context: SerializationContext) -> EncryptionCodec:
        workflow_id = getattr(context, "workflow_id", None)
        return EncryptionCodec(
            self._ring,
            workflow_id if isinstance(workflow_id, str) and workflow_id else None,
            strict=self._strict,
            unbound=self._unbound,
            compress=self._compress,
        )

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for payload in payloads:
            metadata = {"encoding": ENCODING}
            associated = b""
            if self._workflow_id:
                associated = _associated(self._workflow_id)
                metadata[METADATA_WORKFLOW_ID] = self._workflow_id.encode()
                metadata[METADATA_BINDING] = BINDING_WORKFLOW_ID
            plain = payload.SerializeToString()
            if self._compress and len(plain) >= COMPRESS_FROM:
                deflated = zlib.compress(plain, 6)
                if len(deflated) < len(plain):
                    plain = deflated
                    associated += _COMPRESSED_LABEL
                    metadata[METADATA_COMPRESSION] = COMPRESSION_DEFLATE
            key_id, blob = self._ring.encrypt(plain, associated)
            metadata[METADATA_KEY_ID] = key_id.encode()
            out.append(Payload(metadata=metadata, data=blob))
        return out

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._decode_one(payload) for payload in payloads]

    def _decode_one(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding", b"") != ENCODING:
            if self._strict:
                return _refused("it is not encrypted; send it through the dsar CLI (the product's codec)")
            return payload
        opened = open_sealed(self._ring, payload, self._workflow_id)
        if opened.problem is not None:
            if self._strict:
                return _refused(opened.problem)
            raise PayloadProblem(opened.problem)
        if not opened.bound and self._strict and self._unbound is UnboundPayloads.REFUSE:
            return _refused("it is not bound to a workflow (DSAR_CODEC_UNBOUND_PAYLOADS=refuse)")
        assert opened.payload is not None
        return opened.payload


class PayloadProblem(ValueError):
    """A sealed payload that does not open: never the payload's content in the message."""


@dataclasses.dataclass(frozen=True)
class Opened:
    payload: Payload | None
    workflow_id: str | None  # the workflow it is bound to; None for an unbound payload
    bound: bool
    problem: str | None = None


def open_sealed(ring: KeyRing, payload: Payload, expected_workflow: str | None) -> Opened:
    """Open one sealed payload. With `expected_workflow`, a payload bound to another workflow
    is refused before decryption is even tried; without (the codec server), it opens with
    the id it names, which the associated data authenticates."""
    metadata = payload.metadata
    key_id = metadata.get(METADATA_KEY_ID, b"").decode()
    bound = metadata.get(METADATA_BINDING) == BINDING_WORKFLOW_ID
    named = metadata[METADATA_WORKFLOW_ID].decode() if METADATA_WORKFLOW_ID in metadata else None
    if bound and (named is None or (expected_workflow is not None and named != expected_workflow)):
        return Opened(None, named, bound, "it belongs to another workflow")
    associated = _associated(named) if bound and named is not None else b""
    compression = metadata.get(METADATA_COMPRESSION)
    if compression is not None:
        if compression != COMPRESSION_DEFLATE:
            return Opened(None, named, bound, "it is compressed in a way this version does not know")
        associated += _COMPRESSED_LABEL
    try:
        plain = ring.decrypt(key_id, payload.data, associated)
    except KeyConfigError as exc:
        return Opened(None, named, bound, str(exc))
    except InvalidTag:
        # A changed ciphertext, a stripped binding, or a workflow id edited in the metadata.
        return Opened(None, named, bound, "it does not open with our keys (changed, or moved from elsewhere)")
    if compression is not None:
        inflater = zlib.decompressobj()
        try:
            inflated = inflater.decompress(plain, MAX_INFLATED)
        except zlib.error:
            return Opened(None, named, bound, "it does not inflate")
        if inflater.unconsumed_tail or not inflater.eof:
            return Opened(None, named, bound, "it inflates past the payload size limit, or is cut short")
        plain = inflated
    inner = Payload()
    inner.ParseFromString(plain)
    return Opened(inner, named if bound else None, bound)


class RefusingConverter(EncodingPayloadConverter):
    """Turns the codec's stand-in for a refused payload into a clear, non-retryable error."""

    @property
    def encoding(self) -> str:
        return REFUSED_ENCODING.decode()

    def to_payload(self, value: Any) -> Payload | None:
        return None  # never writes: only ever met on the way in

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        raise RefusedPayload(payload.metadata.get(METADATA_REFUSED, b"refused").decode())


class SealedPayloadConverter(PydanticPayloadConverter):
    """The pydantic converter, plus the refusal of what the codec would not open."""

    def __init__(self) -> None:
        super().__init__()
        self._set_converters(RefusingConverter(), *self.converters.values())


def data_converter(
    ring: KeyRing, unbound: UnboundPayloads = UnboundPayloads.ACCEPT, *, compress: bool = True
) -> DataConverter:
    """The pydantic converter (dates, models) wrapped in encryption: the one converter
    the CLI, every worker and the tests share. It refuses unencrypted inputs and payloads
    sealed for another workflow (`EncryptionCodec`, strict). `compress=False` (the setting
    `DSAR_CODEC_COMPRESS`) is for a rolling upgrade, while workers that cannot open deflated
    payloads still run; every version since reads both."""
    # Failure messages and stack traces are encoded too: they are stored in history as well.
    return DataConverter(
        payload_converter_class=SealedPayloadConverter,
        payload_codec=EncryptionCodec(ring, strict=True, unbound=unbound, compress=compress),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )

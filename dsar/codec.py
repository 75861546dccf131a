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
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
)

ENCODING = b"binary/encrypted"
METADATA_KEY_ID = "encryption-key-id"
METADATA_WORKFLOW_ID = "dsar-workflow-id"
LOOKUP_ID = "lookup"
_NONCE = 12


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


class EncryptionCodec(PayloadCodec, WithSerializationContext):
    def __init__(self, ring: KeyRing, workflow_id: str | None = None) -> None:
        self._ring = ring
        self._workflow_id = workflow_id

    def with_context(self, context: SerializationContext) -> EncryptionCodec:
        # The workflow id (never personal data) rides along in clear metadata so the codec
        # server can log which request an operator's decode concerned.
        workflow_id = getattr(context, "workflow_id", None)
        return EncryptionCodec(self._ring, workflow_id if isinstance(workflow_id, str) else None)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for payload in payloads:
            key_id, blob = self._ring.encrypt(payload.SerializeToString())
            metadata = {"encoding": ENCODING, METADATA_KEY_ID: key_id.encode()}
            if self._workflow_id:
                metadata[METADATA_WORKFLOW_ID] = self._workflow_id.encode()
            out.append(Payload(metadata=metadata, data=blob))
        return out

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for payload in payloads:
            if payload.metadata.get("encoding", b"") != ENCODING:
                out.append(payload)
                continue
            key_id = payload.metadata[METADATA_KEY_ID].decode()
            inner = Payload()
            inner.ParseFromString(self._ring.decrypt(key_id, payload.data))
            out.append(inner)
        return out


def data_converter(ring: KeyRing) -> DataConverter:
    """The pydantic converter (dates, models) wrapped in encryption: the one converter
    the CLI, every worker and the tests share."""
    from temporalio.contrib.pydantic import pydantic_data_converter

    # Failure messages and stack traces are encoded too: they are stored in history as well.
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(ring),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )

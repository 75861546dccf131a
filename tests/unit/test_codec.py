"""The payload codec: sealed, rotatable, and refusing what it cannot open."""

from __future__ import annotations

import base64
import secrets

import pytest
from cryptography.exceptions import InvalidTag
from temporalio.api.common.v1 import Payload

from dsar.codec import EncryptionCodec, KeyConfigError, KeyRing, new_key_file_text


def key(key_id: str) -> str:
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(32)).decode()}"


async def test_payloads_are_sealed_and_open_again() -> None:
    ring = KeyRing.parse(new_key_file_text("k1"))
    codec = EncryptionCodec(ring)
    original = Payload(metadata={"encoding": b"json/plain"}, data=b'{"email":"astrid@example.se"}')
    [sealed] = await codec.encode([original])
    assert b"astrid" not in sealed.SerializeToString()
    assert sealed.metadata["encryption-key-id"] == b"k1"
    assert await codec.decode([sealed]) == [original]


async def test_rotation_new_key_writes_old_key_still_reads() -> None:
    old, new = key("k1"), key("k2")
    [sealed_old] = await EncryptionCodec(KeyRing.parse(old)).encode([Payload(data=b"x")])
    rotated = KeyRing.parse(f"{new},{old}")
    assert rotated.active_id == "k2"
    [sealed_new] = await EncryptionCodec(rotated).encode([Payload(data=b"y")])
    assert sealed_new.metadata["encryption-key-id"] == b"k2"
    assert [p.data for p in await EncryptionCodec(rotated).decode([sealed_old, sealed_new])] == [b"x", b"y"]


async def test_unknown_key_and_tampering_are_refused() -> None:
    ring = KeyRing.parse(key("k1"))
    [sealed] = await EncryptionCodec(ring).encode([Payload(data=b"x")])
    with pytest.raises(KeyConfigError, match="no key with id 'k1'"):
        await EncryptionCodec(KeyRing.parse(key("k9"))).decode([sealed])
    tampered = Payload(metadata=dict(sealed.metadata), data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    with pytest.raises(InvalidTag):
        await EncryptionCodec(ring).decode([tampered])


def test_lookup_hash_is_stable_across_rotation() -> None:
    lookup = f"lookup:{base64.b64encode(secrets.token_bytes(32)).decode()}"
    before = KeyRing.parse(f"{key('k1')},{lookup}")
    after = KeyRing.parse(f"{key('k2')},{key('k1')},{lookup}")
    assert before.lookup_hash("a@example.se") == after.lookup_hash("a@example.se")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no encryption key"),
        ("k1", "<id>:<base64 key>"),
        ("k1:!!!", "not valid base64"),
        (f"k1:{base64.b64encode(b'short').decode()}", "32 bytes"),
        (f"{key('k1')},{key('k1').replace('k1:', 'k1:')}", "appears twice"),
    ],
)
def test_bad_key_settings_name_the_rule(text: str, message: str) -> None:
    with pytest.raises(KeyConfigError, match=message):
        KeyRing.parse(text)


def test_settings_without_keys_explain_where_keys_come_from() -> None:
    with pytest.raises(KeyConfigError, match="DSAR_CODEC_KEYS or DSAR_CODEC_KEY_FILE"):
        KeyRing.from_settings(None, None)

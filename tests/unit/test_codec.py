"""The payload codec: sealed, rotatable, and refusing what it cannot open; and the codec server
that opens payloads for operators in the Temporal UI."""

from __future__ import annotations

import base64
import json
import secrets
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from cryptography.exceptions import InvalidTag
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from dsar.codec import EncryptionCodec, KeyConfigError, KeyRing, PayloadProblem, new_key_file_text
from web.codec_server import CodecServer, CodecServerConfig, parse_tokens
from web.codec_server import create_app as create_codec_app


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
    with pytest.raises(PayloadProblem, match="no key with id 'k1'"):
        await EncryptionCodec(KeyRing.parse(key("k9"))).decode([sealed])
    tampered = Payload(metadata=dict(sealed.metadata), data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    with pytest.raises(PayloadProblem, match="does not open"):
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


# --- the codec server (Temporal UI's remote codec), over real HTTP ----------------------

UI = "http://ui.test"
TOKEN = "operator-token-0123456789"


def codec_config(ring: KeyRing, port: int = 0) -> CodecServerConfig:
    return CodecServerConfig(ring=ring, tokens=parse_tokens(f"alice:{TOKEN}"), ui_origin=UI, port=port)


@pytest.fixture
async def codec_client() -> AsyncIterator[tuple[TestClient[Any, Any], KeyRing]]:
    ring = KeyRing.parse(new_key_file_text("k1"))
    client: TestClient[Any, Any] = TestClient(TestServer(create_codec_app(codec_config(ring))))
    await client.start_server()
    try:
        yield client, ring
    finally:
        await client.close()


async def test_codec_server_decodes_for_an_operator_and_refuses_everyone_else(
    codec_client: tuple[TestClient[Any, Any], KeyRing],
) -> None:
    client, ring = codec_client
    original = Payload(metadata={"encoding": b"json/plain"}, data=b'{"email":"astrid@example.se"}')
    [sealed] = await EncryptionCodec(ring).encode([original])
    body = json.dumps(json_format.MessageToDict(Payloads(payloads=[sealed])))
    plain = {"Content-Type": "application/json", "Origin": UI, "X-Namespace": "default"}

    answer = await client.post("/decode", data=body, headers={**plain, "Authorization": f"Bearer {TOKEN}"})
    assert answer.status == 200
    assert answer.headers["Access-Control-Allow-Origin"] == UI
    assert answer.headers["Cache-Control"] == "no-store"
    assert json_format.Parse(await answer.text(), Payloads()).payloads[0] == original
    # The UI's form: the token as the first path segment.
    assert (await client.post(f"/{TOKEN}/decode", data=body, headers=plain)).status == 200
    assert (await client.post("/decode", data=body, headers=plain)).status == 401
    wrong = {**plain, "Authorization": "Bearer wrong-token-wrong-token"}
    assert (await client.post("/decode", data=body, headers=wrong)).status == 401
    evil = {**plain, "Origin": "http://evil.example", "Authorization": f"Bearer {TOKEN}"}
    refused = await client.post("/decode", data=body, headers=evil)
    assert refused.status == 403 and await refused.json() == {"error": "origin not allowed"}
    assert "Access-Control-Allow-Origin" not in refused.headers

    authorised = {**plain, "Authorization": f"Bearer {TOKEN}"}
    elsewhere = await client.post("/other", data=body, headers=authorised)
    assert elsewhere.status == 404 and await elsewhere.json() == {"error": "use /decode or /encode"}
    empty = await client.post("/decode", data=b"", headers=authorised)
    assert empty.status == 400 and "body must be 1 byte" in (await empty.json())["error"]
    garbage = await client.post("/decode", data=b"not json", headers=authorised)
    assert await garbage.json() == {"error": "body is not a JSON Payloads message"}
    foreign = Payloads(payloads=await EncryptionCodec(KeyRing.parse(key("k9"))).encode([original]))
    unreadable = await client.post(
        "/decode", data=json.dumps(json_format.MessageToDict(foreign)), headers=authorised
    )
    assert unreadable.status == 400 and "cannot process payloads" in (await unreadable.json())["error"]


async def test_codec_server_encodes_answers_preflight_and_health(
    codec_client: tuple[TestClient[Any, Any], KeyRing],
) -> None:
    client, ring = codec_client
    body = json.dumps(json_format.MessageToDict(Payloads(payloads=[Payload(data=b"x")])))
    encoded = await client.post("/encode", data=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert encoded.status == 200
    [sealed] = json_format.Parse(await encoded.text(), Payloads()).payloads
    assert sealed.metadata["encryption-key-id"] == b"k1"
    assert [p.data for p in await EncryptionCodec(ring).decode([sealed])] == [b"x"]

    preflight = await client.options("/decode", headers={"Origin": UI})
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Headers"] == "Authorization, Content-Type, X-Namespace"
    assert (await client.options("/decode", headers={"Origin": "http://evil.example"})).status == 403
    health = await client.get("/healthz")
    assert health.status == 200 and health.headers["X-Frame-Options"] == "DENY"
    # Errors are JSON, as the UI expects, and name no path.
    wrong_method = await client.get("/decode")
    assert wrong_method.status == 405 and await wrong_method.json() == {"error": "Method Not Allowed"}


def test_codec_server_runs_in_a_thread_of_its_own_and_stops() -> None:
    """As the local stack runs it: started, answering, stopped, its port free again."""
    ring = KeyRing.parse(new_key_file_text("k1"))
    server = CodecServer(codec_config(ring))
    server.start()
    try:
        with urllib.request.urlopen(f"{server.url}/healthz", timeout=5) as answer:  # noqa: S310 - loopback
            assert answer.read() == b"ok"
        taken = CodecServer(codec_config(ring, port=int(server.url.rsplit(":", 1)[1])))
        with pytest.raises(OSError):
            taken.start()
    finally:
        server.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{server.url}/healthz", timeout=5)  # noqa: S310 - loopback


def test_codec_tokens_must_be_named_and_long() -> None:
    assert parse_tokens(f" alice:{TOKEN} ,bob:{TOKEN[::-1]}") == {TOKEN: "alice", TOKEN[::-1]: "bob"}
    with pytest.raises(ValueError, match="name:token with tokens of 16"):
        parse_tokens("alice:short")
    with pytest.raises(ValueError, match="refuses to run without tokens"):
        parse_tokens("")

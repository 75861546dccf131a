"""The payload codec: sealed, rotatable, and refusing what it cannot open; and the codec server
that opens payloads for operators in the Temporal UI."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from google.protobuf import json_format
from structlog.testing import capture_logs
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.converter import WorkflowSerializationContext

from devstack.codec_issuer import AUDIENCE, LOCAL_ISSUER, LocalIssuer
from dsar.codec import (
    EncryptionCodec,
    KeyConfigError,
    KeyRing,
    PayloadProblem,
    UnboundPayloads,
    new_key_file_text,
)
from dsar.config import Settings
from web.codec_server import CodecServer, CodecServerConfig, operator_tokens
from web.codec_server import create_app as create_codec_app
from web.codec_session import COOKIE
from web.operator_tokens import OperatorTokens


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
WORKFLOW = "dsar-DSAR-2026-000042"
ISSUER = LocalIssuer.generate()


def verifier(issuer: LocalIssuer = ISSUER) -> OperatorTokens:
    return OperatorTokens(issuer=LOCAL_ISSUER, audience=AUDIENCE, public_key=issuer.public_key_pem())


def codec_config(ring: KeyRing, port: int = 0) -> CodecServerConfig:
    return CodecServerConfig(ring=ring, tokens=verifier(), ui_origin=UI, port=port)


def alg_confusion(public_key: str) -> str:
    """A token "signed" with HS256 using the public key as the secret (PyJWT will not make one)."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    claims = {"iss": LOCAL_ISSUER, "aud": AUDIENCE, "sub": "mallory", "iat": 1, "exp": 4_000_000_000}
    signed = part(b'{"alg":"HS256","typ":"JWT"}') + "." + part(json.dumps(claims).encode())
    return signed + "." + part(hmac.new(public_key.encode(), signed.encode(), hashlib.sha256).digest())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def codec_client() -> AsyncIterator[tuple[TestClient[Any, Any], KeyRing]]:
    ring = KeyRing.parse(new_key_file_text("k1"))
    client: TestClient[Any, Any] = TestClient(TestServer(create_codec_app(codec_config(ring))))
    await client.start_server()
    try:
        yield client, ring
    finally:
        await client.close()


def as_body(payloads: list[Payload]) -> str:
    return json.dumps(json_format.MessageToDict(Payloads(payloads=payloads)))


async def sealed_for(ring: KeyRing, workflow_id: str | None, payload: Payload) -> Payload:
    codec = EncryptionCodec(ring)
    if workflow_id is not None:
        codec = codec.with_context(WorkflowSerializationContext(namespace="default", workflow_id=workflow_id))
    [sealed] = await codec.encode([payload])
    return sealed


ORIGINAL = Payload(metadata={"encoding": b"json/plain"}, data=b'{"email":"astrid@example.se"}')


async def test_codec_server_decodes_for_an_operator_and_refuses_everyone_else(
    codec_client: tuple[TestClient[Any, Any], KeyRing],
) -> None:
    client, ring = codec_client
    body = as_body([await sealed_for(ring, WORKFLOW, ORIGINAL)])
    plain = {"Content-Type": "application/json", "Origin": UI, "X-Namespace": "default"}
    alice = {**plain, **bearer(ISSUER.mint("alice"))}

    with capture_logs() as logs:
        answer = await client.post("/decode", data=body, headers=alice)
        assert answer.status == 200
        assert answer.headers["Access-Control-Allow-Origin"] == UI
        assert answer.headers["Cache-Control"] == "no-store"
        assert json_format.Parse(await answer.text(), Payloads()).payloads[0] == ORIGINAL
        # Under a namespace segment (the CLI's templating) too.
        assert (await client.post("/default/decode", data=body, headers=alice)).status == 200
        bob = await client.post("/decode", data=body, headers={**plain, **bearer(ISSUER.mint("bob"))})
        assert bob.status == 200
    decodes = [e for e in logs if e["event"] == "codec.decode"]
    # Every decode names its operator, from the token, and the workflow the payload is bound to.
    assert [e["operator"] for e in decodes] == ["alice", "alice", "bob"]
    assert all(e["workflows"] == [WORKFLOW] and e["legacy"] == 0 for e in decodes)

    expired = ISSUER.mint("alice", lifetime=timedelta(minutes=5), now=datetime.now(UTC) - timedelta(hours=1))
    stranger = LocalIssuer.generate().mint("mallory")  # right claims, someone else's key
    wrong_audience = ISSUER.mint("alice", audience="someone-else")
    hmac_forged = alg_confusion(ISSUER.public_key_pem())
    for headers, why in [
        (plain, "no access token"),
        ({**plain, "Authorization": "operator-token-0123456789"}, "no access token"),
        ({**plain, **bearer("not-a-jwt")}, "not valid"),
        ({**plain, **bearer(expired)}, "expired"),
        ({**plain, **bearer(stranger)}, "not valid"),
        ({**plain, **bearer(wrong_audience)}, "not valid"),
        ({**plain, **bearer(hmac_forged)}, "not valid"),
    ]:
        refused = await client.post("/decode", data=body, headers=headers)
        assert refused.status == 401, why
        assert why in (await refused.json())["error"]
    # The token in the URL, as the codec endpoint used to carry it, is not a credential.
    assert (await client.post(f"/{ISSUER.mint('alice')}/decode", data=body, headers=plain)).status == 401

    evil = {**alice, "Origin": "http://evil.example"}
    refused = await client.post("/decode", data=body, headers=evil)
    assert refused.status == 403 and await refused.json() == {"error": "origin not allowed"}
    assert "Access-Control-Allow-Origin" not in refused.headers

    elsewhere = await client.post("/a/b/other", data=body, headers=alice)
    assert elsewhere.status == 404 and await elsewhere.json() == {"error": "use /decode or /encode"}
    empty = await client.post("/decode", data=b"", headers=alice)
    assert empty.status == 400 and "body must be 1 byte" in (await empty.json())["error"]
    garbage = await client.post("/decode", data=b"not json", headers=alice)
    assert await garbage.json() == {"error": "body is not a JSON Payloads message"}


async def test_a_payload_opens_only_for_the_workflow_it_was_sealed_for(
    codec_client: tuple[TestClient[Any, Any], KeyRing],
) -> None:
    client, ring = codec_client
    sealed = await sealed_for(ring, WORKFLOW, ORIGINAL)
    assert sealed.metadata["dsar-workflow-id"] == WORKFLOW.encode()
    # A worker (or client) of another workflow: refused before anything is decrypted.
    other = EncryptionCodec(ring, strict=True).with_context(
        WorkflowSerializationContext(namespace="default", workflow_id="dsar-DSAR-2026-000043")
    )
    [refused] = await other.decode([sealed])
    assert refused.metadata["encoding"] == b"dsar/refused"
    assert b"belongs to another workflow" in refused.metadata["dsar-refused"]
    with pytest.raises(PayloadProblem, match="belongs to another workflow"):
        await (
            EncryptionCodec(ring)
            .with_context(
                WorkflowSerializationContext(namespace="default", workflow_id="dsar-DSAR-2026-000043")
            )
            .decode([sealed])
        )
    # The workflow id edited in the metadata (to pass for another request, or to lie in the
    # codec server's log): the associated data no longer matches.
    moved = Payload(metadata=dict(sealed.metadata), data=sealed.data)
    moved.metadata["dsar-workflow-id"] = b"dsar-DSAR-2026-000043"
    [refused] = await other.decode([moved])
    assert b"does not open" in refused.metadata["dsar-refused"]
    # The binding stripped, to pass as a payload from before the binding: does not open either.
    stripped = Payload(
        metadata={k: v for k, v in sealed.metadata.items() if k != "dsar-binding"}, data=sealed.data
    )
    [refused] = await other.decode([stripped])
    assert b"does not open" in refused.metadata["dsar-refused"]

    # The codec server leaves what does not open sealed, and logs it as refused, not as the
    # workflow the metadata claims.
    alice = {"Content-Type": "application/json", **bearer(ISSUER.mint("alice"))}
    with capture_logs() as logs:
        answer = await client.post("/decode", data=as_body([moved, stripped]), headers=alice)
    assert answer.status == 200
    assert [p.metadata["encoding"] for p in json_format.Parse(await answer.text(), Payloads()).payloads] == [
        b"binary/encrypted", b"binary/encrypted"
    ]  # fmt: skip
    [decode] = [e for e in logs if e["event"] == "codec.decode"]
    assert decode["workflows"] == [] and decode["refused"] == 2


async def test_payloads_from_before_the_binding_still_open_marked_legacy(
    codec_client: tuple[TestClient[Any, Any], KeyRing],
) -> None:
    client, ring = codec_client
    # As the codec sealed before: no associated data, the workflow id in clear metadata.
    key_id, blob = ring.encrypt(ORIGINAL.SerializeToString())
    old = Payload(
        metadata={"encoding": b"binary/encrypted", "encryption-key-id": key_id.encode(),
                  "dsar-workflow-id": WORKFLOW.encode()},
        data=blob,
    )  # fmt: skip
    assert await EncryptionCodec(ring, strict=True).decode([old]) == [ORIGINAL]
    [refused] = await EncryptionCodec(ring, strict=True, unbound=UnboundPayloads.REFUSE).decode([old])
    assert b"not bound to a workflow" in refused.metadata["dsar-refused"]
    with capture_logs() as logs:
        answer = await client.post("/decode", data=as_body([old]), headers=bearer(ISSUER.mint("alice")))
    assert json_format.Parse(await answer.text(), Payloads()).payloads[0] == ORIGINAL
    [decode] = [e for e in logs if e["event"] == "codec.decode"]
    assert decode["legacy"] == 1 and decode["workflows"] == []


async def test_codec_server_encodes_answers_preflight_and_health(
    codec_client: tuple[TestClient[Any, Any], KeyRing],
) -> None:
    client, ring = codec_client
    body = as_body([Payload(data=b"x")])
    encoded = await client.post("/encode", data=body, headers=bearer(ISSUER.mint("alice")))
    assert encoded.status == 200
    [sealed] = json_format.Parse(await encoded.text(), Payloads()).payloads
    assert sealed.metadata["encryption-key-id"] == b"k1"
    assert [p.data for p in await EncryptionCodec(ring).decode([sealed])] == [b"x"]
    assert (await client.post("/encode", data=body)).status == 401

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


def test_the_codec_server_settings_name_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="DSAR_CODEC_TOKENS is no longer accepted"):
        operator_tokens(Settings.from_env({"DSAR_CODEC_TOKENS": "alice:operator-token-0123456789"}))
    with pytest.raises(ValueError, match="DSAR_CODEC_JWT_ISSUER is not set"):
        operator_tokens(Settings.from_env({}))
    with pytest.raises(ValueError, match="exactly one of"):
        operator_tokens(Settings.from_env({"DSAR_CODEC_JWT_ISSUER": "https://idp.example"}))
    key = ISSUER.write_public_key(tmp_path / "idp.pem")
    tokens = operator_tokens(
        Settings.from_env({"DSAR_CODEC_JWT_ISSUER": LOCAL_ISSUER, "DSAR_CODEC_JWT_AUDIENCE": AUDIENCE,
                           "DSAR_CODEC_JWT_PUBLIC_KEY_FILE": str(key)})
    )  # fmt: skip
    assert tokens.public_key == ISSUER.public_key_pem()


async def test_the_local_stack_signs_in_once_and_its_cookie_carries_the_token() -> None:
    """The dev server's UI has no sign-in: the local operator pastes the stack's token once."""
    ring = KeyRing.parse(new_key_file_text("k1"))
    local = CodecServerConfig(ring=ring, tokens=verifier(), ui_origin=UI, session_cookie=True)
    body = as_body([await sealed_for(ring, WORKFLOW, ORIGINAL)])
    ui = {"Content-Type": "application/json", "Origin": UI}
    async with TestClient(TestServer(create_codec_app(local))) as client:
        assert (await client.get("/session")).status == 200
        refused = await client.post("/session", data={"token": LocalIssuer.generate().mint("mallory")})
        assert refused.status == 401 and COOKIE not in refused.cookies
        foreign = await client.post("/session", data={"token": ISSUER.mint("alice")}, headers={"Origin": UI})
        assert foreign.status == 403
        assert (await client.post("/decode", data=body, headers=ui)).status == 401
        signed_in = await client.post("/session", data={"token": ISSUER.mint("alice")})
        assert signed_in.status == 200 and "Signed in as alice" in await signed_in.text()
        cookie = signed_in.cookies[COOKIE]
        assert cookie["httponly"] and cookie["samesite"] == "Strict"
        with capture_logs() as logs:
            decoded = await client.post("/decode", data=body, headers=ui)  # the cookie jar sends it
        assert decoded.status == 200
        assert json_format.Parse(await decoded.text(), Payloads()).payloads[0] == ORIGINAL
        assert [e["operator"] for e in logs if e["event"] == "codec.decode"] == ["alice"]
        evil = await client.post("/decode", data=body, headers={**ui, "Origin": "http://evil.example"})
        assert evil.status == 403
    # Production (no session cookie): a cookie is no credential, and /session does not exist.
    async with TestClient(TestServer(create_codec_app(codec_config(ring)))) as client:
        client.session.cookie_jar.update_cookies({COOKIE: ISSUER.mint("alice")})
        assert (await client.post("/decode", data=body, headers=ui)).status == 401
        assert (await client.get("/session")).status == 405

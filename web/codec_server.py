"""`dsar codec-server`: lets an authorised operator read decrypted payloads in the Temporal UI.

It speaks Temporal's remote-codec protocol (POST `<endpoint>/decode` and `/encode` with
a JSON `Payloads` body). Every request must carry an operator token, either as
`Authorization: Bearer <token>` or as the first path segment (`/<token>/decode`, for UIs
that cannot add headers); browsers are only answered for the configured UI origin; every
decode is logged with the operator's name, the namespace and the workflow ids concerned,
never with the payloads.

Tokens come from `DSAR_CODEC_TOKENS` as `name:token` pairs separated by commas.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import structlog
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from dsar.codec import METADATA_WORKFLOW_ID, EncryptionCodec, KeyRing

log = structlog.get_logger("codec-server")
MAX_BODY = 16 * 1024 * 1024


def parse_tokens(text: str | None) -> dict[str, str]:
    """`alice:token1,bob:token2` -> {token: name}; refuses weak or malformed entries."""
    tokens: dict[str, str] = {}
    for entry in (text or "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        name, sep, token = entry.partition(":")
        if not sep or not name or len(token) < 16:
            raise ValueError("DSAR_CODEC_TOKENS entries must be name:token with tokens of 16+ characters")
        tokens[token] = name
    if not tokens:
        raise ValueError("DSAR_CODEC_TOKENS is empty: the codec server refuses to run without tokens")
    return tokens


@dataclass(frozen=True)
class CodecServerConfig:
    ring: KeyRing
    tokens: Mapping[str, str]
    ui_origin: str
    host: str = "127.0.0.1"
    port: int = 8081


def _operator(tokens: Mapping[str, str], presented: str | None) -> str | None:
    if not presented:
        return None
    for token, name in tokens.items():
        if hmac.compare_digest(token.encode(), presented.encode()):
            return name
    return None


class _Handler(BaseHTTPRequestHandler):
    server: _CodecHTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        # The access log would print paths, and a path may hold a token.
        pass

    def _cors(self) -> None:
        origin = self.headers.get("Origin")
        if origin and origin == self.server.config.ui_origin:
            self.send_header("Access-Control-Allow-Origin", origin)
            self.send_header("Access-Control-Allow-Credentials", "true")
            self.send_header("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Namespace")
            self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
            self.send_header("Vary", "Origin")

    def _reply(self, status: HTTPStatus, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self._cors()
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _route(self) -> tuple[str | None, str]:
        parts = [p for p in self.path.split("?")[0].split("/") if p]
        header = self.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else None
        if len(parts) == 2:
            token = token or parts[0]
            parts = parts[1:]
        return token, "/" + "/".join(parts)

    def do_OPTIONS(self) -> None:
        origin = self.headers.get("Origin")
        status = HTTPStatus.NO_CONTENT if origin == self.server.config.ui_origin else HTTPStatus.FORBIDDEN
        self.send_response(status)
        self._cors()
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        config = self.server.config
        origin = self.headers.get("Origin")
        if origin and origin != config.ui_origin:
            log.warning("codec.refused", reason="origin not allowed")
            self._reply(HTTPStatus.FORBIDDEN, {"error": "origin not allowed"})
            return
        token, route = self._route()
        operator = _operator(config.tokens, token)
        namespace = self.headers.get("X-Namespace", "")
        if operator is None:
            log.warning("codec.refused", reason="missing or wrong token", namespace=namespace)
            self._reply(HTTPStatus.UNAUTHORIZED, {"error": "a valid operator token is required"})
            return
        if route not in ("/decode", "/encode"):
            self._reply(HTTPStatus.NOT_FOUND, {"error": "use /decode or /encode"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0 or length > MAX_BODY:
            self._reply(HTTPStatus.BAD_REQUEST, {"error": f"body must be 1 byte to {MAX_BODY} bytes"})
            return
        try:
            payloads = json_format.Parse(self.rfile.read(length), Payloads())
        except json_format.ParseError:
            self._reply(HTTPStatus.BAD_REQUEST, {"error": "body is not a JSON Payloads message"})
            return
        codec = EncryptionCodec(config.ring)
        try:
            if route == "/decode":
                result = asyncio.run(codec.decode(payloads.payloads))
                workflows = sorted(
                    {
                        p.metadata[METADATA_WORKFLOW_ID].decode()
                        for p in payloads.payloads
                        if METADATA_WORKFLOW_ID in p.metadata
                    }
                )
                log.info(
                    "codec.decode",
                    operator=operator,
                    namespace=namespace,
                    workflows=workflows,
                    payloads=len(result),
                )
            else:
                result = asyncio.run(codec.encode(payloads.payloads))
                log.info("codec.encode", operator=operator, namespace=namespace, payloads=len(result))
        except Exception as exc:  # a payload sealed with an unknown key, or tampered with
            log.warning("codec.failed", operator=operator, error=type(exc).__name__)
            self._reply(HTTPStatus.BAD_REQUEST, {"error": f"cannot process payloads: {type(exc).__name__}"})
            return
        self._reply(HTTPStatus.OK, json_format.MessageToDict(Payloads(payloads=result)))


class _CodecHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, config: CodecServerConfig) -> None:
        self.config = config
        super().__init__((config.host, config.port), _Handler)


class CodecServer:
    """Runs in a background thread (local stack, tests) or in the foreground (`dsar codec-server`)."""

    def __init__(self, config: CodecServerConfig) -> None:
        self._server = _CodecHTTPServer(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, name="codec-server", daemon=True)
        self._thread.start()

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

"""`dsar codec-server`: lets an authorised operator read decrypted payloads in the Temporal UI.

It speaks Temporal's remote-codec protocol (POST `<endpoint>/decode` and `/encode` with
a JSON `Payloads` body). Every request must carry an operator token, either as
`Authorization: Bearer <token>` or as the first path segment (`/<token>/decode`, for UIs
that cannot add headers); browsers are only answered for the configured UI origin; every
decode is logged with the operator's name, the namespace and the workflow ids concerned,
never with the payloads.

Tokens come from `DSAR_CODEC_TOKENS` as `name:token` pairs separated by commas. It runs on
the product's one aiohttp set-up (`web.server`): the same headers, health endpoint and no
access log (a path may hold a token); errors are answered as JSON, as the UI expects.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import structlog
from aiohttp import web
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from dsar.codec import METADATA_WORKFLOW_ID, EncryptionCodec, KeyRing
from web.server import BackgroundServer, run
from web.server import create_app as create_web_app

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


CODEC_CONFIG = web.AppKey("codec_config", CodecServerConfig)


def _operator(tokens: Mapping[str, str], presented: str | None) -> str | None:
    if not presented:
        return None
    for token, name in tokens.items():
        if hmac.compare_digest(token.encode(), presented.encode()):
            return name
    return None


def create_app(config: CodecServerConfig) -> web.Application:
    """Any path answers POST and OPTIONS, so a wrong one is told the routes after the token check."""
    app = create_web_app(client_max_size=MAX_BODY, error_page=_error_page)
    app[CODEC_CONFIG] = config
    app.router.add_route("OPTIONS", "/{path:.*}", _preflight)
    app.router.add_post("/{path:.*}", _codec)
    return app


def _error_page(request: web.Request, status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


def _cors(request: web.Request, response: web.Response) -> web.Response:
    origin = request.headers.get("Origin")
    if origin and origin == request.app[CODEC_CONFIG].ui_origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type, X-Namespace"
        response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response.headers["Vary"] = "Origin"
    return response


def _reply(request: web.Request, status: HTTPStatus, body: dict[str, Any]) -> web.Response:
    return _cors(request, web.json_response(body, status=status))


def _route(request: web.Request) -> tuple[str | None, str]:
    """The token (header first, else the first of two path segments) and the route."""
    parts = [p for p in request.raw_path.split("?")[0].split("/") if p]
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else None
    if len(parts) == 2:
        token = token or parts[0]
        parts = parts[1:]
    return token, "/" + "/".join(parts)


async def _preflight(request: web.Request) -> web.Response:
    origin = request.headers.get("Origin")
    ok = origin == request.app[CODEC_CONFIG].ui_origin
    return _cors(request, web.Response(status=HTTPStatus.NO_CONTENT if ok else HTTPStatus.FORBIDDEN))


async def _codec(request: web.Request) -> web.Response:
    config = request.app[CODEC_CONFIG]
    origin = request.headers.get("Origin")
    if origin and origin != config.ui_origin:
        log.warning("codec.refused", reason="origin not allowed")
        return _reply(request, HTTPStatus.FORBIDDEN, {"error": "origin not allowed"})
    token, route = _route(request)
    operator = _operator(config.tokens, token)
    namespace = request.headers.get("X-Namespace", "")
    if operator is None:
        log.warning("codec.refused", reason="missing or wrong token", namespace=namespace)
        return _reply(request, HTTPStatus.UNAUTHORIZED, {"error": "a valid operator token is required"})
    if route not in ("/decode", "/encode"):
        return _reply(request, HTTPStatus.NOT_FOUND, {"error": "use /decode or /encode"})
    length = request.content_length or 0
    if length <= 0 or length > MAX_BODY:
        return _reply(request, HTTPStatus.BAD_REQUEST, {"error": f"body must be 1 byte to {MAX_BODY} bytes"})
    try:
        payloads = json_format.Parse(await request.read(), Payloads())
    except json_format.ParseError:
        return _reply(request, HTTPStatus.BAD_REQUEST, {"error": "body is not a JSON Payloads message"})
    codec = EncryptionCodec(config.ring)
    try:
        if route == "/decode":
            result = await codec.decode(payloads.payloads)
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
            result = await codec.encode(payloads.payloads)
            log.info("codec.encode", operator=operator, namespace=namespace, payloads=len(result))
    except Exception as exc:  # a payload sealed with an unknown key, or tampered with
        log.warning("codec.failed", operator=operator, error=type(exc).__name__)
        return _reply(
            request, HTTPStatus.BAD_REQUEST, {"error": f"cannot process payloads: {type(exc).__name__}"}
        )
    return _reply(request, HTTPStatus.OK, json_format.MessageToDict(Payloads(payloads=result)))


class CodecServer:
    """Runs in a background thread (local stack, tests) or in the foreground (`dsar codec-server`)."""

    def __init__(self, config: CodecServerConfig) -> None:
        self._config = config
        self._background: BackgroundServer | None = None

    @property
    def url(self) -> str:
        if self._background is not None:
            return self._background.url
        return f"http://{self._config.host}:{self._config.port}"

    def start(self) -> None:
        self._background = BackgroundServer(
            create_app(self._config), self._config.host, self._config.port, name="codec-server"
        )
        self._background.start()

    def serve_forever(self) -> None:
        """Until SIGINT or SIGTERM."""
        run(create_app(self._config), self._config.host, self._config.port)

    def stop(self) -> None:
        if self._background is not None:
            self._background.stop()

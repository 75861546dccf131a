"""`dsar codec-server`: lets an authorised operator read decrypted payloads in the Temporal UI.

It speaks Temporal's remote-codec protocol (POST `/decode` and `/encode`, also under a
namespace segment `/<namespace>/decode`, with a JSON `Payloads` body). Every request must
carry the operator's own access token as `Authorization: Bearer <jwt>`, as the UI passes
it (`TEMPORAL_CODEC_PASS_ACCESS_TOKEN`); it is verified (`web.operator_tokens`) and the
operator's name from it is in every decode log line, with the namespace and the workflow
ids concerned, never with the payloads. Browsers are only answered for the configured UI
origin.

Payloads are bound to their workflow (`dsar.codec`): the workflow ids logged are the ones
sealed into each payload, which a caller cannot change without the payload failing to
open. A payload sealed before the binding existed opens with `legacy` counted in the log
line: its workflow id (if any) is only what the metadata claims. The UI does not tell the
codec server which workflow's page it shows, so a bound payload opens for the workflow it
is bound to, whichever page it was pasted into; the workers, which know, refuse it.

It runs on the product's one aiohttp set-up (`web.server`): the same headers, health
endpoint and no access log; errors are answered as JSON, as the UI expects.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import structlog
from aiohttp import web
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from dsar.codec import ENCODING, EncryptionCodec, KeyRing, open_sealed
from dsar.config import Settings
from web.codec_session import add_session_routes, session_authorization
from web.operator_tokens import OperatorTokens, TokenRefused
from web.server import BackgroundServer, run
from web.server import create_app as create_web_app

log = structlog.get_logger("codec-server")
MAX_BODY = 16 * 1024 * 1024


def refuse_static_tokens(text: str | None) -> None:
    """`DSAR_CODEC_TOKENS` (shared static tokens, one per name, in the codec URL) is retired."""
    if text:
        raise ValueError(
            "DSAR_CODEC_TOKENS is no longer accepted: the codec server verifies each operator's own"
            " access token; set DSAR_CODEC_JWT_ISSUER and DSAR_CODEC_JWKS_URL (or"
            " DSAR_CODEC_JWT_PUBLIC_KEY_FILE), see docs/delivery-security.md"
        )


def operator_tokens(settings: Settings) -> OperatorTokens:
    """The token verifier the settings describe (ValueError naming the setting otherwise)."""
    refuse_static_tokens(settings.codec_tokens)
    return OperatorTokens.from_settings(
        issuer=settings.codec_jwt_issuer,
        audience=settings.codec_jwt_audience,
        jwks_url=settings.codec_jwks_url,
        public_key_file=settings.codec_jwt_public_key_file,
        name_claim=settings.codec_jwt_name_claim,
    )


@dataclass(frozen=True)
class CodecServerConfig:
    ring: KeyRing
    tokens: OperatorTokens
    ui_origin: str
    host: str = "127.0.0.1"
    port: int = 8081
    # The local stack only: a token may also come from a session cookie (web.codec_session).
    session_cookie: bool = False


CODEC_CONFIG = web.AppKey("codec_config", CodecServerConfig)


def create_app(config: CodecServerConfig) -> web.Application:
    """Any path answers POST and OPTIONS, so a wrong one is told the routes after the token check."""
    app = create_web_app(client_max_size=MAX_BODY, error_page=_error_page)
    app[CODEC_CONFIG] = config
    if config.session_cookie:
        add_session_routes(app, config.tokens)
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


def _route(request: web.Request) -> str:
    """`/decode` or `/encode`, also under one namespace segment (the CLI's templating)."""
    parts = [p for p in request.path.split("/") if p]
    return "/" + parts[-1] if len(parts) in (1, 2) else request.path


async def _preflight(request: web.Request) -> web.Response:
    origin = request.headers.get("Origin")
    ok = origin == request.app[CODEC_CONFIG].ui_origin
    return _cors(request, web.Response(status=HTTPStatus.NO_CONTENT if ok else HTTPStatus.FORBIDDEN))


async def _codec(request: web.Request) -> web.Response:
    config = request.app[CODEC_CONFIG]
    origin = request.headers.get("Origin")
    namespace = request.headers.get("X-Namespace", "")
    if origin and origin != config.ui_origin:
        log.warning("codec.refused", reason="origin not allowed")
        return _reply(request, HTTPStatus.FORBIDDEN, {"error": "origin not allowed"})
    try:
        header = request.headers.get("Authorization")
        if header is None and config.session_cookie:
            header = session_authorization(request)
        operator = await config.tokens.operator(header)
    except TokenRefused as refusal:
        log.warning("codec.refused", reason=str(refusal), namespace=namespace)
        return _reply(request, HTTPStatus.UNAUTHORIZED, {"error": str(refusal)})
    route = _route(request)
    if route not in ("/decode", "/encode"):
        return _reply(request, HTTPStatus.NOT_FOUND, {"error": "use /decode or /encode"})
    length = request.content_length or 0
    if length <= 0 or length > MAX_BODY:
        return _reply(request, HTTPStatus.BAD_REQUEST, {"error": f"body must be 1 byte to {MAX_BODY} bytes"})
    try:
        payloads = json_format.Parse(await request.read(), Payloads())
    except json_format.ParseError:
        return _reply(request, HTTPStatus.BAD_REQUEST, {"error": "body is not a JSON Payloads message"})
    if route == "/encode":
        # Sealed without a workflow binding: the UI does not say which workflow a Signal is for.
        result = await EncryptionCodec(config.ring).encode(payloads.payloads)
        log.info("codec.encode", operator=operator, namespace=namespace, payloads=len(result))
        return _reply(request, HTTPStatus.OK, json_format.MessageToDict(Payloads(payloads=result)))
    return _decode(request, config.ring, operator, namespace, payloads)


def _decode(
    request: web.Request, ring: KeyRing, operator: str, namespace: str, payloads: Payloads
) -> web.Response:
    result: list[Payload] = []
    workflows: set[str] = set()
    legacy = refused = 0
    for payload in payloads.payloads:
        if payload.metadata.get("encoding", b"") != ENCODING:
            result.append(payload)  # not ours (or a plaintext someone sent): shown as it is
            continue
        opened = open_sealed(ring, payload, None)
        if opened.payload is None:
            refused += 1
            result.append(payload)  # left sealed: the UI shows it undecoded
            continue
        if opened.workflow_id is not None:
            workflows.add(opened.workflow_id)
        else:
            legacy += 1
        result.append(opened.payload)
    log.info(
        "codec.decode",
        operator=operator,
        namespace=namespace,
        workflows=sorted(workflows),
        payloads=len(result),
        legacy=legacy,
        refused=refused,
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

"""The local stack's way into the codec server from a UI without sign-in.

Production operators sign in to the Temporal UI, which passes their access token as
`Authorization: Bearer`. The dev server's UI has no sign-in and so no token to pass; the
local stack therefore turns this on (never production): the operator pastes the token the
stack minted (`.dsar/codec-operator.jwt`) once at `/session`, it is verified exactly like a
header token, and it is kept in an HttpOnly, SameSite=Strict cookie that the UI's
cross-origin codec requests carry when the UI includes credentials. A cookie is only
another carrier: every request is still verified (signature, issuer, audience, expiry) and
logged with the operator's name; the UI origin check still applies.
"""

from __future__ import annotations

import html
import time

import jwt
from aiohttp import web

from web.operator_tokens import OperatorTokens, TokenRefused

COOKIE = "dsar_codec_session"
TOKENS = web.AppKey("session_tokens", OperatorTokens)

_FORM = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Codec server</title></head>
<body><h1>Codec server (local stack)</h1><p>{message}</p>
<form method="post"><label for="token">Operator token (.dsar/codec-operator.jwt)</label><br>
<textarea id="token" name="token" rows="6" cols="80" required></textarea><br>
<button type="submit">Sign in</button></form></body></html>"""


def add_session_routes(app: web.Application, tokens: OperatorTokens) -> None:
    app[TOKENS] = tokens
    app.router.add_get("/session", _form)
    app.router.add_post("/session", _sign_in)


def session_authorization(request: web.Request) -> str | None:
    """`Bearer <token>` from the session cookie, when no header came."""
    token = request.cookies.get(COOKIE)
    return f"Bearer {token}" if token else None


def _page(message: str, status: int = 200) -> web.Response:
    return web.Response(
        text=_FORM.format(message=html.escape(message)), status=status, content_type="text/html"
    )


async def _form(request: web.Request) -> web.Response:
    return _page("Paste the token the local stack made for you.")


async def _sign_in(request: web.Request) -> web.Response:
    origin = request.headers.get("Origin")
    if origin is not None and origin != f"{request.scheme}://{request.host}":
        return _page("Refused: this form must be sent from this page.", 403)
    token = str((await request.post()).get("token", "")).strip()
    try:
        operator = await request.app[TOKENS].operator(f"Bearer {token}")
    except TokenRefused as refusal:
        return _page(f"Refused: {refusal}.", 401)
    expires = int(jwt.decode(token, options={"verify_signature": False})["exp"])
    response = _page(f"Signed in as {operator}. The Temporal UI on this machine can now decode.")
    response.set_cookie(
        COOKIE, token, max_age=max(expires - int(time.time()), 0), httponly=True, samesite="Strict", path="/"
    )
    return response

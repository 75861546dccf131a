"""What the two public pages share: their settings, the person's language and the HTML answer.

The download page (`/d/<token>`, `web.download`) and the verification page (`/v/<token>`,
`web.identity`) are one process facing the internet (`dsar download-server`). It holds
the case store, S3 and the link signing keys, and nothing else: not the codec keys, not
Temporal. Both pages import this module, and neither imports the other's handlers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import asyncpg
from aiohttp import web

from dsar.download_links import LinkSigner
from dsar.identity_links import ChallengeSigner
from dsar.rendering import render_html
from web.guard import GUARD

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@dataclass(frozen=True)
class Config:
    pool: asyncpg.Pool
    s3: S3Client
    signer: LinkSigner
    privacy_email: str
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    # Verification links (`/v/<token>`, web/identity.py); None leaves them out.
    challenge_signer: ChallengeSigner | None = None


CONFIG = web.AppKey("config", Config)


def page_language(request: web.Request, known: str | None) -> str:
    """The request's language when we know the request; otherwise the browser's preference."""
    if known is not None:
        return known
    preferred = request.headers.get("Accept-Language", "").split(",")[0].strip().lower()
    return "en" if preferred.startswith("en") else "sv"


def html_page(
    request: web.Request, template: str, language: str, status: int, context: dict[str, Any]
) -> web.Response:
    """`<template>.<language>.html.j2`, with the privacy team's address every page offers and
    the form token for this page's own path (`web.guard`)."""
    guard = request.app.get(GUARD)
    html = render_html(
        f"{template}.{language}.html.j2",
        {
            "lang": language,
            "privacy_email": request.app[CONFIG].privacy_email,
            "form_token": guard.form_token(request.path) if guard is not None else "",
            **context,
        },
    )
    return web.Response(
        text=html,
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers={"Content-Language": language},
    )

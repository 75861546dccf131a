"""What stands before the public pages' handlers: rate limits, the form's origin and token.

- Rate limits (`web.limits`): per client address on every page request, and per link on
  `/d/<token>` and `/v/<token>`; over the limit: 429 with Retry-After, counted in the
  metrics, never audited.
- Forms: a POST from another site's page is refused by its `Origin` (or, from browsers
  that send none, `Sec-Fetch-Site: cross-site`), and every form carries a token signed for
  its own path (HMAC, `form_token`), checked before the code is: a page elsewhere cannot
  make the person's browser submit a code, and a form cannot be replayed on another link.
  The token is not stored anywhere; it expires after `FORM_TOKEN_SECONDS`.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from aiohttp import web

from web.limits import ADDRESS_RATE, LINK_RATE, RateLimiter, client_address
from web.metrics import PageMetrics

FORM_TOKEN_FIELD = "form_token"  # noqa: S105 - a form field name
FORM_TOKEN_SECONDS = 6 * 3600
LIMITED_PREFIXES = ("/d/", "/v/")


@dataclass
class Guard:
    form_secret: bytes
    public_origin: str | None  # e.g. https://privacy.example.com; None: any origin's own host
    trusted_proxy_hops: int = 0
    metrics: PageMetrics = field(default_factory=PageMetrics)
    by_address: RateLimiter = field(default_factory=lambda: RateLimiter(ADDRESS_RATE))
    by_link: RateLimiter = field(default_factory=lambda: RateLimiter(LINK_RATE))
    clock: Callable[[], float] = time.time

    def form_token(self, path: str) -> str:
        issued = int(self.clock())
        return f"{issued}.{self._mac(path, issued)}"

    def form_token_ok(self, path: str, token: object) -> bool:
        if not isinstance(token, str) or "." not in token:
            return False
        issued, _, mac = token.partition(".")
        if not issued.isdigit() or not 0 <= self.clock() - int(issued) <= FORM_TOKEN_SECONDS:
            return False
        return hmac.compare_digest(mac, self._mac(path, int(issued)))

    def _mac(self, path: str, issued: int) -> str:
        return hmac.new(self.form_secret, f"{path}|{issued}".encode(), hashlib.sha256).hexdigest()

    def foreign_origin(self, request: web.Request) -> bool:
        """A POST another site's page made the browser send."""
        origin = request.headers.get("Origin")
        if origin is not None:
            expected = self.public_origin or f"{request.scheme}://{request.host}"
            return origin != _origin(expected)
        return request.headers.get("Sec-Fetch-Site") == "cross-site"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


GUARD = web.AppKey("guard", Guard)


@web.middleware
async def rate_limits(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Per address, then per link; a refusal costs no database work at all."""
    if not request.path.startswith(LIMITED_PREFIXES):
        return await handler(request)
    guard = request.app[GUARD]
    address = client_address(request.remote, request.headers.get("X-Forwarded-For"), guard.trusted_proxy_hops)
    for limiter, key in ((guard.by_address, address), (guard.by_link, request.path[3:])):
        if not limiter.allow(key):
            guard.metrics.refuse("rate_limited")
            return web.Response(
                status=429,
                # Before the link is known, so before its language is: both of the pages' languages.
                text=(
                    "För många försök just nu. Vänta en stund och försök igen.\n"
                    "Too many attempts right now. Please wait a moment and try again.\n"
                ),
                headers={"Retry-After": str(limiter.retry_after(key))},
            )
    return await handler(request)

"""One aiohttp set-up for everything the product serves over HTTP.

The download and verification pages (`dsar download-server`) and the codec server (`dsar
codec-server`) are built by `create_app` and started by `run` (in the foreground, until
SIGINT or SIGTERM) or by `BackgroundServer` (a thread of its own, for the local stack and
tests). So they share, written once:
- security headers on every answer, error pages included (also the ones aiohttp's
  protocol layer writes for a request it cannot parse, which never reach the app: hence
  `SecureRequest` and `SecureRunner`): nothing cached, no referrer handed on (a URL may be
  the credential), no framing, no sniffing, HSTS, and no `Server` banner;
- error pages that say only the status, never the path (paths hold tokens);
- `/healthz` for probes, 503 when a dependency the service cannot work without is down;
- no access log, since every path may carry a token.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import hdrs, web
from aiohttp.typedefs import Middleware
from aiohttp.web import GracefulExit
from aiohttp.web_server import Server

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",  # the URL is the credential: never hand it on
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Browsers only heed it over HTTPS (production, behind the ingress); harmless on plain HTTP.
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
}

HealthCheck = Callable[[web.Application], Awaitable[bool]]

ErrorPage = Callable[[web.Request, int, str], web.Response]


def plain_error(request: web.Request, status: int, reason: str) -> web.Response:
    """`404: Not Found`, as aiohttp says it, and nothing from the request."""
    return web.Response(status=status, text=f"{status}: {reason}")


ERROR_PAGE = web.AppKey[ErrorPage]("error_page")


HEALTH = web.AppKey[HealthCheck | None]("health")


def create_app(
    *,
    client_max_size: int,
    error_page: ErrorPage = plain_error,
    health: HealthCheck | None = None,
    middlewares: Sequence[Middleware] = (),
) -> web.Application:
    """An application with the shared headers, error pages and health endpoint; add routes to it.

    `client_max_size` bounds a request body: each service knows how much it may need.
    `health` says whether what the service depends on answers (`/healthz` 503 if not).
    `middlewares` run inside the error pages, so what they refuse gets the same page."""
    app = web.Application(client_max_size=client_max_size, middlewares=[_error_pages, *middlewares])
    app[ERROR_PAGE] = error_page
    app[HEALTH] = health
    app.on_response_prepare.append(_secure_hook)  # whatever runs the app (tests' TestServer too)
    app.router.add_get("/healthz", _health)
    return app


@web.middleware
async def _error_pages(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = request.app[ERROR_PAGE](request, exc.status, exc.reason)
        if "Allow" in exc.headers:  # 405: which methods would do
            response.headers["Allow"] = exc.headers["Allow"]
        return response


def secure(response: web.StreamResponse) -> None:
    """The shared headers, and no `Server` banner (aiohttp sets it before this runs)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.popall(hdrs.SERVER, None)


async def _secure_hook(request: web.Request, response: web.StreamResponse) -> None:
    secure(response)


class SecureRequest(web.Request):
    """A request whose every answer gets `secure`: routed answers, and the error answers the
    protocol layer makes for a request it could not parse (no app hook sees those)."""

    async def _prepare_hook(self, response: web.StreamResponse) -> None:
        await super()._prepare_hook(response)
        secure(response)


class SecureRunner(web.AppRunner):
    """An AppRunner whose requests are `SecureRequest`s. aiohttp offers no public switch for
    the request class; `Application._make_request` takes it as `_cls`, and this is the one
    place that relies on it (tests/unit/test_public_pages.py checks the result)."""

    async def _make_server(self) -> Server:
        server = await super()._make_server()
        app = self.app

        def make_request(message: Any, payload: Any, protocol: Any, writer: Any, task: Any) -> web.Request:
            return app._make_request(message, payload, protocol, writer, task, _cls=SecureRequest)

        server.request_factory = make_request
        return server


async def _health(request: web.Request) -> web.Response:
    check = request.app[HEALTH]
    if check is not None and not await check(request.app):
        return web.Response(status=503, text="unavailable")
    return web.Response(text="ok")


def parse_listen(text: str, setting: str, example: str) -> tuple[str, int]:
    """`host:port` from a setting, or a ValueError naming the setting and the rule."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"{setting}: must look like {example}")
    return host, int(port)


def run(app: web.Application | Awaitable[web.Application], host: str, port: int) -> None:
    """Serve in the foreground until SIGINT or SIGTERM, then let the requests in flight finish."""

    async def serve() -> None:
        built = app if isinstance(app, web.Application) else await app
        runner = SecureRunner(built, access_log=None, handle_signals=True)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
            await asyncio.Event().wait()  # until a signal raises GracefulExit
        finally:
            await runner.cleanup()

    with contextlib.suppress(GracefulExit, KeyboardInterrupt):
        asyncio.run(serve())


class BackgroundServer:
    """Serves an application from a thread with its own event loop (local stack, tests)."""

    def __init__(self, app: web.Application, host: str, port: int, name: str) -> None:
        self._app = app
        self._host = host
        self._port = port
        self._name = name
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._port}"

    def start(self) -> None:
        """Returns once the site listens; raises what kept it from listening (a port in use)."""
        self._thread = threading.Thread(target=self._main, name=self._name, daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        if self._thread is not None:
            self._thread.join(5)

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # handed to start(); the thread itself has no one to tell
            self._error = exc
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        runner = SecureRunner(self._app, access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._host, self._port)
            await site.start()
            self._port = int(runner.addresses[0][1])  # the port chosen, if 0 was asked for
            self._stopping = asyncio.Event()
            self._loop = asyncio.get_running_loop()
            self._ready.set()
            await self._stopping.wait()
        finally:
            await runner.cleanup()

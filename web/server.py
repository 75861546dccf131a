"""One aiohttp set-up for everything the product serves over HTTP.

The download and verification pages (`dsar download-server`) and the codec server (`dsar
codec-server`) are built by `create_app` and started by `run` (in the foreground, until
SIGINT or SIGTERM) or by `BackgroundServer` (a thread of its own, for the local stack and
tests). So they share, written once:
- security headers on every answer, error pages included: nothing cached, no referrer
  handed on (a URL may be the credential), no framing, no sniffing;
- error pages that say only the status, never the path (paths hold tokens);
- `/healthz` for probes;
- no access log, since every path may carry a token.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable

from aiohttp import web

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",  # the URL is the credential: never hand it on
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}

ErrorPage = Callable[[web.Request, int, str], web.Response]


def plain_error(request: web.Request, status: int, reason: str) -> web.Response:
    """`404: Not Found`, as aiohttp says it, and nothing from the request."""
    return web.Response(status=status, text=f"{status}: {reason}")


ERROR_PAGE = web.AppKey[ErrorPage]("error_page")


def create_app(*, client_max_size: int, error_page: ErrorPage = plain_error) -> web.Application:
    """An application with the shared headers, error pages and health endpoint; add routes to it.

    `client_max_size` bounds a request body: each service knows how much it may need."""
    app = web.Application(client_max_size=client_max_size, middlewares=[_error_pages])
    app[ERROR_PAGE] = error_page
    app.on_response_prepare.append(_secure)
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


async def _secure(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


async def _health(request: web.Request) -> web.Response:
    return web.Response(text="ok")


def parse_listen(text: str, setting: str, example: str) -> tuple[str, int]:
    """`host:port` from a setting, or a ValueError naming the setting and the rule."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"{setting}: must look like {example}")
    return host, int(port)


def run(app: web.Application | Awaitable[web.Application], host: str, port: int) -> None:
    """Serve in the foreground until SIGINT or SIGTERM, then let the requests in flight finish."""
    web.run_app(app, host=host, port=port, access_log=None, print=None)


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
        runner = web.AppRunner(self._app, access_log=None)
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

"""The one small HTTP server behind the demo's stand-ins for systems outside the product.

The newsletter vendor's API and the receiving controller of portable data are both a few
routes on localhost with state tests can look at and steer (throttle, fail the next
calls). This base serves them: the standard library's threading server in a daemon
thread, the request read into a `Call`, the subclass's `handle` answering with a `Reply`.
Nothing is logged: request lines and bodies carry e-mail addresses and personal data.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

MAX_BODY = 64 * 1024 * 1024


@dataclass(frozen=True)
class Call:
    """One request as a stand-in sees it; `headers` are keyed by lower-case name."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, value: Any, headers: Mapping[str, str] | None = None) -> Reply:
        typed = {"Content-Type": "application/json", **(headers or {})}
        return cls(status, json.dumps(value).encode(), typed)


class HttpStandIn:
    """A stand-in on 127.0.0.1:`port`; subclasses answer in `handle` (called on server threads)."""

    thread_name = "http-stand-in"

    def __init__(self, port: int) -> None:
        self.port = port
        self._server: ThreadingHTTPServer | None = None
        # Subclasses guard their state with it: the server answers on many threads.
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def handle(self, call: Call) -> Reply:
        raise NotImplementedError

    def start(self) -> None:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length < 0 or length > MAX_BODY:
                    self._send(Reply(413))
                    return
                body = self.rfile.read(length) if length else b""
                headers = {name.lower(): value for name, value in self.headers.items()}
                self._send(stand_in.handle(Call(self.command, self.path, headers, body)))

            def _send(self, reply: Reply) -> None:
                self.send_response(reply.status)
                self.send_header("Content-Length", str(len(reply.body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(reply.body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass  # request lines carry e-mail addresses

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True, name=self.thread_name).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

"""A stand-in for another controller receiving a person's portable data (Art. 20(2)).

A tiny JSON endpoint on localhost, like the demo newsletter API beside it: POST /import
takes the body, keeps it in memory with its Idempotency-Key and answers 202 Accepted; a
repeated key is dropped with 200 OK. Tests can make it answer a chosen status instead.
Nothing is written to disk or logged: the bodies are personal data.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

IMPORT_PATH = "/import"
MAX_BODY = 64 * 1024 * 1024


@dataclass(frozen=True)
class ReceivedImport:
    idempotency_key: str
    content_type: str
    body: bytes


class DemoReceivingController:
    """POST /import: 202 for a new Idempotency-Key, 200 for a repeat (dropped)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[ReceivedImport] = []
        self.posts = 0  # every POST, repeats and refusals included
        # Tests set this to answer the next N posts with `fail_status` (and Retry-After).
        self.fail_next = 0
        self.fail_status = 500
        self._keys: set[str] = set()
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{IMPORT_PATH}"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length < 0 or length > MAX_BODY:
                    self._answer(413, {})
                    return
                body = self.rfile.read(length)
                status, headers = receiver.accept(
                    self.path,
                    self.headers.get("Idempotency-Key", ""),
                    self.headers.get("Content-Type", ""),
                    body,
                )
                self._answer(status, headers)

            def _answer(self, status: int, headers: dict[str, str]) -> None:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True, name="demo-receiver").start()

    def accept(self, path: str, key: str, content_type: str, body: bytes) -> tuple[int, dict[str, str]]:
        with self._lock:
            self.posts += 1
            if self.fail_next > 0:
                self.fail_next -= 1
                return self.fail_status, {"Retry-After": "1"}
            if urlsplit(path).path != IMPORT_PATH:
                return 404, {}
            if not key:
                return 400, {}
            if key in self._keys:
                return 200, {}
            self._keys.add(key)
            self.received.append(ReceivedImport(key, content_type, body))
            return 202, {}

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@contextmanager
def running_receiver(port: int) -> Iterator[DemoReceivingController]:
    receiver = DemoReceivingController(port)
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()

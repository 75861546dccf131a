"""A stand-in for another controller receiving a person's portable data (Art. 20(2)).

A tiny endpoint on localhost, served like the demo newsletter API beside it
(`devstack.http_standin`): POST /import takes the body, keeps it in memory with its
Idempotency-Key and answers 202 Accepted; a repeated key is dropped with 200 OK. Tests
can make it answer a chosen status instead. Nothing is written to disk or logged: the
bodies are personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from devstack.http_standin import Call, HttpStandIn, Reply

IMPORT_PATH = "/import"


@dataclass(frozen=True)
class ReceivedImport:
    idempotency_key: str
    content_type: str
    body: bytes


class DemoReceivingController(HttpStandIn):
    """POST /import: 202 for a new Idempotency-Key, 200 for a repeat (dropped)."""

    thread_name = "demo-receiver"

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self.received: list[ReceivedImport] = []
        self.posts = 0  # every POST, repeats and refusals included
        # Tests set this to answer the next N posts with `fail_status` (and Retry-After).
        self.fail_next = 0
        self.fail_status = 500
        self._keys: set[str] = set()

    @property
    def url(self) -> str:
        return f"{self.base_url}{IMPORT_PATH}"

    def handle(self, call: Call) -> Reply:
        if call.method != "POST":
            return Reply(405)
        status, headers = self.accept(
            call.path, call.header("Idempotency-Key"), call.header("Content-Type"), call.body
        )
        return Reply(status, headers=headers)

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

"""The demo group's systems outside PostgreSQL: files in S3 and a SaaS newsletter API.

They exist so every connector kind can be tried and tested against a real endpoint: the
files sit in the local S3 (moto over HTTP) and the newsletter tool is a small JSON API
served on localhost, standing in for a SaaS vendor outside the product. Everything is
fixed data about the well-known demo people, so tests can name what must arrive.
"""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from casestore.storage import ensure_bucket
from devstack.http_standin import Call, HttpStandIn, Reply

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

DEMO_NEWSLETTER_TOKEN = "demo-newsletter-token"  # noqa: S105 - a demo stand-in's fixed token

PHOTOS_BUCKET = "demo-gb01-photos"
RECORDINGS_BUCKET = "demo-se01-recordings"

# Event photos (gb01): who appears in which picture, as the events team's index records it.
PHOTO_INDEX: dict[str, list[str]] = {
    "astrid.lindqvist@example.se": [
        "2025/nordic-user-day/IMG_0142.jpg",
        "2025/nordic-user-day/IMG_0157.jpg",
        "2026/london-summit/DSC_2231.jpg",
    ],
    "oliver.bennett@example.com": ["2026/london-summit/DSC_2231.jpg", "2026/london-summit/DSC_2240.jpg"],
    "emma.clarke@example.org": ["2026/london-summit/DSC_2240.jpg"],
}

# Support-call recordings (se01), one folder per caller's number in E.164.
RECORDINGS: dict[str, list[str]] = {
    "+46701740605": ["2025-03-14T0912-ticket-4471.wav", "2026-02-02T1405-ticket-5120.wav"],
    "+46701740607": ["2026-01-20T1011-ticket-5003.wav"],
}

NEWSLETTER_SUBSCRIBERS: list[dict[str, Any]] = [
    {
        "id": "sub_7f3a21",
        "email": "astrid.lindqvist@example.se",
        "first_name": "Astrid",
        "lists": ["Produktnyheder", "Webinarer"],
        "consent": "double opt-in",
        "subscribed_at": "2023-04-11T08:15:00Z",
        "opens_last_12_months": 14,
        "last_opened_at": "2026-11-02T07:41:00Z",
    },
    {
        "id": "sub_19c0de",
        "email": "mette.hansen@example.dk",
        "first_name": "Mette",
        "lists": ["Produktnyheder"],
        "consent": "double opt-in",
        "subscribed_at": "2022-09-30T12:00:00Z",
        "opens_last_12_months": 3,
        "last_opened_at": "2026-06-18T10:02:00Z",
    },
]


def _fake_media(kind: str, name: str) -> bytes:
    """Small stand-in files: a recognisable header and the name, no real image or sound."""
    header = b"\xff\xd8\xff\xe0" if kind == "jpg" else b"RIFF\x24\x00\x00\x00WAVE"
    return header + f" demo {kind} {name}".encode()


def seed_demo_objects(s3: S3Client, region: str) -> dict[str, str]:
    """Put the demo files in place (idempotent) and return the systems' connection settings."""
    ensure_bucket(s3, PHOTOS_BUCKET, region)
    ensure_bucket(s3, RECORDINGS_BUCKET, region)
    photos = sorted({key for keys in PHOTO_INDEX.values() for key in keys})
    for key in photos:
        s3.put_object(Bucket=PHOTOS_BUCKET, Key=f"event-photos/{key}", Body=_fake_media("jpg", key))
    s3.put_object(
        Bucket=PHOTOS_BUCKET,
        Key="event-photos/index.json",
        Body=json.dumps(PHOTO_INDEX, indent=2).encode(),
        ContentType="application/json",
    )
    for phone, files in RECORDINGS.items():
        for name in files:
            s3.put_object(
                Bucket=RECORDINGS_BUCKET,
                Key=f"call-recordings/{phone}/{name}",
                Body=_fake_media("wav", name),
            )
    return {
        "GB01_PHOTOS": f"s3://{PHOTOS_BUCKET}/event-photos",
        "SE01_RECORDINGS": f"s3://{RECORDINGS_BUCKET}/call-recordings",
    }


class DemoNewsletterApi(HttpStandIn):
    """The newsletter vendor's API: bearer token, search by e-mail, actions on a subscriber,
    429 when told to throttle.

    Each server keeps its own copy of the subscribers, so actions change only that copy.
    The action endpoints are the registry's (`infra/group.toml`, dk01/newsletter):
    `DELETE /v1/subscribers/{id}` removes the subscriber; `POST` (or `PUT`, `PATCH`)
    `/v1/subscribers/{id}/restriction`, `/unsubscribe` and `/suppression` set `restricted`,
    `consent = "withdrawn"` with `unsubscribed_at`, and `suppressed`; `DELETE` on
    `restriction` or `suppression` clears the flag. An unknown id is a 404.
    """

    thread_name = "demo-newsletter"

    def __init__(self, port: int, token: str = DEMO_NEWSLETTER_TOKEN) -> None:
        super().__init__(port)
        self.token = token
        self.requests = 0
        # Tests set this to make the next N calls answer 429 Too Many Requests.
        self.throttle_next = 0
        self._subscribers: dict[str, dict[str, Any]] = {
            s["id"]: copy.deepcopy(s) for s in NEWSLETTER_SUBSCRIBERS
        }

    @property
    def url(self) -> str:
        return self.base_url

    def connections(self) -> dict[str, str]:
        return {"DK01_NEWSLETTER": self.url, "DK01_NEWSLETTER_TOKEN": self.token}

    def add_subscriber(self, email: str, **fields: Any) -> str:
        """A new subscriber (tests use fresh addresses, never the demo people's); returns its id."""
        ident = f"sub_{uuid.uuid4().hex[:12]}"
        with self._lock:
            self._subscribers[ident] = {
                "id": ident,
                "email": email.lower(),
                "lists": ["Produktnyheder"],
                "consent": "double opt-in",
                "subscribed_at": "2026-01-05T09:00:00Z",
                **fields,
            }
        return ident

    def subscriber(self, ident: str) -> dict[str, Any] | None:
        """A copy of the subscriber as the vendor holds it now; None once deleted."""
        with self._lock:
            found = self._subscribers.get(ident)
            return copy.deepcopy(found) if found is not None else None

    def handle(self, call: Call) -> Reply:
        # No endpoint takes a body: it was read and is ignored.
        status, body, headers = self.answer(call.path, call.header("Authorization"), method=call.method)
        return Reply.json(status, body, headers)

    def answer(self, path: str, authorization: str, method: str = "GET") -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            self.requests += 1
            if self.throttle_next > 0:
                self.throttle_next -= 1
                return 429, {"error": "rate limited"}, {"Retry-After": "1"}
        if authorization != f"Bearer {self.token}":
            return 401, {"error": "unauthorised"}, {}
        parts = urlsplit(path)
        segments = parts.path.strip("/").split("/")
        if segments[:2] != ["v1", "subscribers"] or len(segments) > 4:
            return 404, {"error": "not found"}, {}
        if len(segments) == 2:
            if method != "GET":
                return 405, {"error": "method not allowed"}, {}
            wanted = parse_qs(parts.query).get("email", [""])[0].lower()
            with self._lock:
                found = [copy.deepcopy(s) for s in self._subscribers.values() if s["email"] == wanted]
            return 200, {"subscribers": found, "next": None}, {}
        return self._act(method, segments[2], segments[3] if len(segments) == 4 else None)

    def _act(self, method: str, ident: str, what: str | None) -> tuple[int, Any, dict[str, str]]:
        flags = {"restriction": "restricted", "suppression": "suppressed"}
        setting = method in ("POST", "PUT", "PATCH")
        with self._lock:
            subscriber = self._subscribers.get(ident)
            if subscriber is None:
                return 404, {"error": "no such subscriber"}, {}
            if what is None:
                if method == "GET":
                    return 200, copy.deepcopy(subscriber), {}
                if method == "DELETE":
                    del self._subscribers[ident]
                    return 200, {"deleted": ident}, {}
            elif what in flags and (setting or method == "DELETE"):
                subscriber[flags[what]] = setting
                return 200, copy.deepcopy(subscriber), {}
            elif what == "unsubscribe" and setting:
                if subscriber.get("consent") != "withdrawn":
                    subscriber["consent"] = "withdrawn"
                    subscriber["unsubscribed_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                    subscriber["lists"] = []
                return 200, copy.deepcopy(subscriber), {}
            else:
                return 404, {"error": "not found"}, {}
        return 405, {"error": "method not allowed"}, {}

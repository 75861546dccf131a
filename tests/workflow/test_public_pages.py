"""The public pages under attack (issue #15): a flood of garbage, headers on every answer,
a health check that tells the truth. On the real case store; the flood over real HTTP.

(The form checks, Origin and form token, are driven on a real link in test_download.py.)
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest_asyncio
from aiohttp.test_utils import TestClient

from dsar.config import Settings
from dsar.identity_links import ChallengeSigner
from tests.workflow.conftest import ShiftedClock, page_client
from web.guard import GUARD
from web.server import SECURITY_HEADERS, BackgroundServer
from web.server import create_app as create_web_app

GARBAGE_REQUESTS = 4000


@pytest_asyncio.fixture
async def pages(
    case_pool: asyncpg.Pool, settings: Settings
) -> AsyncIterator[tuple[TestClient[Any, Any], ShiftedClock]]:
    signer = ChallengeSigner.from_setting(settings.download_signing_keys)
    async with page_client(case_pool, settings, challenge_signer=signer) as opened:
        yield opened


def garbage_path(i: int) -> str:
    return f"/{'dv'[i % 2]}/{secrets.token_urlsafe(40)}"


async def test_a_flood_of_garbage_is_rate_limited_and_barely_audited(
    pages: tuple[TestClient[Any, Any], ShiftedClock], case_pool: asyncpg.Pool
) -> None:
    http, _ = pages
    before = await case_pool.fetchval("SELECT count(*) FROM audit_log")
    statuses: Counter[int] = Counter()
    started = time.monotonic()

    async def one(i: int) -> None:
        path = garbage_path(i)
        answer = await (http.post(path, data={"code": "1234 5678"}) if i % 3 == 0 else http.get(path))
        statuses[answer.status] += 1
        await answer.release()

    for batch in range(0, GARBAGE_REQUESTS, 200):
        await asyncio.gather(*(one(i) for i in range(batch, batch + 200)))
    took = time.monotonic() - started
    grown = await case_pool.fetchval("SELECT count(*) FROM audit_log") - before

    print(f"{GARBAGE_REQUESTS} garbage requests in {took:.1f} s: {dict(statuses)}; audit rows +{grown}")
    assert sum(statuses.values()) == GARBAGE_REQUESTS
    assert grown <= 5  # a handful at most (other tests' rows, were any running)
    assert statuses[429] >= GARBAGE_REQUESTS * 0.9
    assert set(statuses) <= {429, 404}
    refused = http.server.app[GUARD].metrics.refused
    assert refused["rate_limited"] == statuses[429]
    assert refused["download.tampered"] + refused["identity.tampered"] == statuses[404]


async def test_the_limits_are_per_address_and_per_link(
    pages: tuple[TestClient[Any, Any], ShiftedClock],
) -> None:
    http, _ = pages
    guard = http.server.app[GUARD]
    link = garbage_path(0)
    # One link hammered from many addresses (behind a trusted proxy): the link's own limit.
    guard.trusted_proxy_hops = 1
    answers = [
        (await http.get(link, headers={"X-Forwarded-For": f"203.0.113.{i}"})).status for i in range(30)
    ]
    assert answers.count(404) == guard.by_link._rate.burst and answers.count(429) == 30 - answers.count(404)
    # Another address still gets through to other links; the first is over its own limit.
    assert (await http.get(garbage_path(1), headers={"X-Forwarded-For": "198.51.100.7"})).status == 404
    limited = await http.get(garbage_path(1), headers={"X-Forwarded-For": "203.0.113.1"})
    assert limited.status in (404, 429) and ("Retry-After" in limited.headers) == (limited.status == 429)


def assert_secure(headers: Any) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value, name
    assert "Server" not in headers


async def test_every_answer_has_the_headers_and_no_server_banner(
    pages: tuple[TestClient[Any, Any], ShiftedClock],
) -> None:
    http, _ = pages
    for answer in [
        await http.get("/nothing-here"),  # aiohttp's own 404
        await http.put("/d/x"),  # its 405
        await http.get(garbage_path(0)),  # the page's refusal
        await http.get("/healthz"),
    ]:
        assert_secure(answer.headers)
    missing = await http.get("/nothing-here")
    assert missing.status == 404 and "nothing-here" not in await missing.text()


def raw_exchange(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer


def test_answers_to_unparsable_requests_have_the_headers_too() -> None:
    """aiohttp answers a request it cannot parse below the app (no app hook runs there)."""
    server = BackgroundServer(create_web_app(client_max_size=1024), "127.0.0.1", 0, name="pages-test")
    server.start()
    try:
        port = int(server.url.rsplit(":", 1)[1])
        answer = raw_exchange(port, b"GET /\x00bad HTTP/1.1\r\nHost: x\r\n\r\n")
        head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
        assert head.split("\r\n", 1)[0].endswith(" 400 bad request")
        assert "strict-transport-security: max-age=" in head
        assert "x-frame-options: deny" in head and "server:" not in head
        ok = raw_exchange(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert b"server:" not in ok.lower() and ok.endswith(b"ok")
    finally:
        server.stop()


async def test_healthz_says_503_while_the_case_store_is_down(
    case_pool: asyncpg.Pool, settings: Settings
) -> None:
    async with page_client(case_pool, settings) as (http, _):
        assert (await http.get("/healthz")).status == 200
    # A case store nobody answers for: a port with nothing listening.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    down = await asyncpg.create_pool(f"postgresql://dsar@127.0.0.1:{dead_port}/dsar", min_size=0)
    try:
        async with page_client(down, settings, public_login=False) as (http, _):
            answer = await http.get("/healthz")
            assert answer.status == 503 and await answer.text() == "unavailable"
    finally:
        await down.close()

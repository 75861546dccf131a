"""Secure delivery end to end: the link and code e-mails, the download page over real HTTP
against the real case store and S3, re-sent links, and deletion after the retention period.

The request runs on the time-skipping server with the real activities; the page is the
product's aiohttp application on a local port, with its clock injectable so that an
expired link needs no waiting.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date, timedelta
from email.message import EmailMessage
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient
from botocore.exceptions import ClientError
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import ActivityEnvironment

from activities.package_rebuild import PackageRebuildActivities
from activities.packaging import PackagingActivities
from casestore.storage import s3_client
from dsar.codec import KeyRing
from dsar.config import Settings
from dsar.domain import Status
from dsar.group import GroupRegistry
from dsar.messages.delivery import BuildPackageInput, PackageCheck, ResendLinkRequest
from dsar.messages.identity import IdentityDecision
from dsar.messages.review import ReviewDecision
from dsar.messages.state import RequestState
from tests.polling import eventually
from tests.workflow.conftest import (
    ShiftedClock,
    page_client,
    reach_review,
    running_workers,
    start_request_for,
    wait_for_status,
)
from web.guard import FORM_TOKEN_FIELD, GUARD
from web.limits import ADDRESS_RATE, LINK_RATE, RateLimiter
from workflows.rights_request import RightsRequestWorkflow


@pytest_asyncio.fixture
async def page(
    case_pool: asyncpg.Pool, settings: Settings
) -> AsyncIterator[tuple[TestClient[Any, Any], ShiftedClock]]:
    async with page_client(case_pool, settings) as opened:
        yield opened


async def deliver(env: Any, queue: str, pool: asyncpg.Pool) -> WorkflowHandle[Any, Any]:
    handle = await start_request_for(env.client, queue, pool, date(2026, 11, 20))
    await wait_for_status(handle, Status.IDENTITY)
    await handle.execute_update(RightsRequestWorkflow.verify_identity, IdentityDecision(actor="reviewer"))
    await reach_review(env.client, handle)
    await handle.execute_update(RightsRequestWorkflow.approve, ReviewDecision(actor="reviewer"))
    await wait_for_status(handle, Status.DELIVERED)
    return handle


def form(http: TestClient[Any, Any], path: str, code: str) -> dict[str, str]:
    """What the page's form posts: the code, and the form token the page signed for its path."""
    return {"code": code, FORM_TOKEN_FIELD: http.server.app[GUARD].form_token(path)}


def link_and_code(servers: Any, reference: str, occasion: str = "") -> tuple[str, str]:
    """The token from the link e-mail and the code from the other one."""

    def mail(kind: str) -> EmailMessage:
        found = [
            m
            for m in servers.mail.messages()
            if m["X-DSAR-Reference"] == reference
            and m["X-DSAR-Kind"] == kind
            and (m["X-DSAR-Occasion"] or "") == occasion
        ]
        assert len(found) == 1, f"{len(found)} {kind} mails for {occasion!r}"
        return found[0]

    link_mail, code_mail = mail("delivery"), mail("download_code")
    link = re.search(r"http://download\.test/d/(\S+)", link_mail.get_content())
    code = re.search(r"\b(\d{4} \d{4})\b", code_mail.get_content())
    assert link and code
    assert code.group(1) not in link_mail.get_content()  # the two never travel together
    assert link.group(1) not in code_mail.get_content()
    return link.group(1), code.group(1)


async def package_bytes(pool: asyncpg.Pool, settings: Settings, reference: str) -> bytes:
    row = await pool.fetchrow(
        "SELECT bucket, s3_key FROM artefacts WHERE reference = $1 AND kind = 'access-package'", reference
    )
    assert row is not None
    body: bytes = s3_client(settings).get_object(Bucket=row["bucket"], Key=row["s3_key"])["Body"].read()
    return body


async def package_row(pool: asyncpg.Pool, reference: str) -> asyncpg.Record:
    row = await pool.fetchrow(
        "SELECT bucket, s3_key FROM artefacts WHERE reference = $1 AND kind = 'access-package'", reference
    )
    assert row is not None
    return row


async def check_package(
    pool: asyncpg.Pool, settings: Settings, ring: KeyRing, registry: GroupRegistry, reference: str
) -> PackageCheck:
    """The check the workflow runs before a link, run once more from outside (as a retry would)."""
    s3 = s3_client(settings)
    packaging = PackagingActivities(pool, ring, registry, s3, settings.s3_bucket)
    rebuild = PackageRebuildActivities(pool, s3, packaging)
    check: PackageCheck = await ActivityEnvironment().run(
        rebuild.ensure_package, BuildPackageInput(reference=reference)
    )
    return check


class Audit:
    """Entries the page appended since the last look."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._seen = 0

    async def start(self) -> Audit:
        self._seen = int(await self._pool.fetchval("SELECT coalesce(max(seq), 0) FROM audit_log"))
        return self

    async def new(self, at_least: int = 0) -> list[tuple[str | None, str, dict[str, Any]]]:
        """A download is recorded once its last byte is written, just after the client has it."""

        async def fetch() -> list[asyncpg.Record]:
            return list(
                await self._pool.fetch(
                    "SELECT seq, reference, action, details FROM audit_log"
                    " WHERE seq > $1 AND actor = 'download-page' ORDER BY seq",
                    self._seen,
                )
            )

        async def enough() -> list[asyncpg.Record] | None:
            found = await fetch()
            return found if len(found) >= at_least else None

        what = f"{at_least} new audit rows of the page"
        rows = await eventually(enough, timeout=5, interval=0.1, what=what) if at_least else await fetch()
        if rows:
            self._seen = int(rows[-1]["seq"])
        return [(r["reference"], r["action"], r["details"]) for r in rows]


async def test_the_package_is_fetched_through_the_page_with_the_code(
    time_skipping_env: Any,
    workers_kwargs: dict[str, Any],
    case_pool: asyncpg.Pool,
    servers: Any,
    settings: Settings,
    page: tuple[TestClient[Any, Any], ShiftedClock],
) -> None:
    http, clock = page
    async with running_workers(time_skipping_env.client, **workers_kwargs) as queue:
        handle = await deliver(time_skipping_env, queue, case_pool)
        reference = handle.id.removeprefix("dsar-")
        token, code = link_and_code(servers, reference)
        audit = await Audit(case_pool).start()
        expected = await package_bytes(case_pool, settings, reference)

        # The form, in the request's language; opening it is not a refusal.
        shown = await http.get(f"/d/{token}")
        text = await shown.text()
        assert shown.status == 200 and 'name="code"' in text and "Download your personal data" in text
        assert shown.headers["Referrer-Policy"] == "no-referrer"
        assert shown.headers["Cache-Control"] == "no-store"
        assert await audit.new() == []

        # A changed token: refused, in the browser's language; not one of our links, so only
        # counted (an audit row per garbage request would let anyone grow the trail).
        tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
        refused = await http.get(f"/d/{tampered}", headers={"Accept-Language": "sv-SE,sv;q=0.9"})
        assert refused.status == 404 and "Länken fungerar inte" in await refused.text()
        assert await audit.new() == []
        assert http.server.app[GUARD].metrics.refused["download.tampered"] == 1
        # Without the browser's preference, the damaged token's own request decides: English
        # first on this English request, never Swedish first.
        refused = await http.get(f"/d/{tampered}")
        text = await refused.text()
        assert refused.status == 404 and text.index("This link does not work") < text.index(
            "Länken fungerar inte"
        )
        assert refused.headers["Content-Language"] == "en"
        assert await audit.new() == []

        # An expired link: eight days on.
        clock.shift = timedelta(days=8)
        refused = await http.get(f"/d/{token}")
        assert refused.status == 410 and "This link has expired" in await refused.text()
        refused = await http.post(f"/d/{token}", data=form(http, f"/d/{token}", code))
        assert refused.status == 410
        expired = [(r, a, d["reason"]) for r, a, d in await audit.new()]
        assert expired == [(reference, "download.refused", "expired")] * 2
        clock.shift = timedelta(0)

        # Another site's page posting the code, and a post without the page's form token:
        # refused before the code is looked at (no try counted: "4 more times" below).
        foreign = {"Origin": "https://evil.example"}
        cross = await http.post(f"/d/{token}", data=form(http, f"/d/{token}", code), headers=foreign)
        assert cross.status == 403 and "Content-Disposition" not in cross.headers
        unsigned = await http.post(f"/d/{token}", data={"code": code})
        assert unsigned.status == 403 and "enter the code again" in await unsigned.text()
        assert [d["reason"] for _, _, d in await audit.new()] == ["form_expired"]

        # No code, then a wrong one.
        refused = await http.post(f"/d/{token}", data=form(http, f"/d/{token}", ""))
        assert refused.status == 400 and "Please enter the 8-digit code" in await refused.text()
        wrong = "0000 0000" if code != "0000 0000" else "1111 1111"
        refused = await http.post(f"/d/{token}", data=form(http, f"/d/{token}", wrong))
        assert refused.status == 403 and "You can try 4 more times" in await refused.text()
        assert [d["reason"] for _, _, d in await audit.new()] == ["code_missing", "code_wrong"]

        # The right code (typed without the space), sent 50 times at once: one download, the
        # zip exactly as stored, with proof of delivery; the others are refused (the code is
        # spent, or the link's rate limit answers first).
        right = form(http, f"/d/{token}", code.replace(" ", ""))
        answers = await asyncio.gather(*(http.post(f"/d/{token}", data=right) for _ in range(50)))
        statuses = Counter(answer.status for answer in answers)
        assert statuses[200] == 1 and statuses[200] + statuses[410] + statuses[429] == 50, statuses
        [fetched] = [answer for answer in answers if answer.status == 200]
        assert fetched.headers["Content-Type"] == "application/zip"
        assert await fetched.read() == expected
        rows = await audit.new(at_least=1 + statuses[410])
        delivered = [(r, d["complete"], d["bytes"]) for r, a, d in rows if a == "download.delivered"]
        assert delivered == [(reference, True, len(expected))]
        refusals = [(a, d["reason"]) for _, a, d in rows if a != "download.delivered"]
        assert refusals == [("download.refused", "used")] * statuses[410]
        for answer in answers:
            answer.release()
        # As if a few minutes had passed: the rate limits (this link's, this address's) refilled.
        http.server.app[GUARD].by_link = RateLimiter(LINK_RATE)
        http.server.app[GUARD].by_address = RateLimiter(ADDRESS_RATE)

        # The code is spent: the same code, or any other, downloads nothing more (no try counted).
        again = await http.post(f"/d/{token}", data=form(http, f"/d/{token}", code))
        assert again.status == 410 and "already been used" in await again.text()
        shown = await http.get(f"/d/{token}")
        assert shown.status == 410 and 'name="code"' not in await shown.text()
        assert [(a, d.get("reason")) for _, a, d in await audit.new()] == [("download.refused", "used")] * 2

        # A new link and code: only a reviewer may send them, and the old link stops working.
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(
                RightsRequestWorkflow.resend_link, ResendLinkRequest(actor="intruder")
            )
        state: RequestState = await handle.execute_update(
            RightsRequestWorkflow.resend_link, ResendLinkRequest(actor="reviewer")
        )
        assert state.links_resent == 1
        new_token, new_code = link_and_code(servers, reference, "resend-1")
        assert new_token != token
        refused = await http.post(f"/d/{token}", data=form(http, f"/d/{token}", code))
        assert refused.status == 410 and "newer link" in await refused.text()
        fetched = await http.post(f"/d/{new_token}", data=form(http, f"/d/{new_token}", new_code))
        assert fetched.status == 200 and await fetched.read() == expected
        assert [(a, d.get("reason")) for _, a, d in await audit.new(at_least=2)] == [
            ("download.refused", "replaced"),
            ("download.delivered", None),
        ]

        # A third link: five wrong codes lock it, even for the right code.
        await handle.execute_update(RightsRequestWorkflow.resend_link, ResendLinkRequest(actor="reviewer"))
        third, third_code = link_and_code(servers, reference, "resend-2")
        for left in (4, 3, 2, 1):
            refused = await http.post(f"/d/{third}", data=form(http, f"/d/{third}", wrong))
            assert refused.status == 403 and f"You can try {left} more" in await refused.text()
        refused = await http.post(f"/d/{third}", data=form(http, f"/d/{third}", wrong))
        assert refused.status == 403 and "locked" in await refused.text()
        refused = await http.post(f"/d/{third}", data=form(http, f"/d/{third}", third_code))
        assert refused.status == 403 and "locked" in await refused.text()
        actions = [(a, d.get("reason")) for _, a, d in await audit.new()]
        assert actions == [("download.refused", "code_wrong")] * 4 + [
            ("download.locked", None),
            ("download.refused", "locked"),
            ("download.refused", "locked"),
        ]
        trail = [r["action"] for r in await case_pool.fetch(
            "SELECT action FROM audit_log WHERE reference = $1 ORDER BY seq", reference
        )]  # fmt: skip
        assert "download.link_resent" in trail and trail.count("download.link_issued") == 3
        await handle.terminate(reason="test finished")  # keep the shared server's clock free


async def test_the_package_is_deleted_after_the_retention_period(
    own_time_skipping_env: Any,
    workers_kwargs: dict[str, Any],
    case_pool: asyncpg.Pool,
    servers: Any,
    settings: Settings,
    ring: KeyRing,
    registry: GroupRegistry,
    page: tuple[TestClient[Any, Any], ShiftedClock],
) -> None:
    http, _ = page
    async with running_workers(own_time_skipping_env.client, **workers_kwargs) as queue:
        handle = await deliver(own_time_skipping_env, queue, case_pool)
        reference = handle.id.removeprefix("dsar-")
        token, code = link_and_code(servers, reference)
        row = await package_row(case_pool, reference)
        await own_time_skipping_env.sleep(timedelta(days=settings.package_retention_days + 1))
        final: RequestState = await handle.result()

    assert final.status == Status.DELIVERED and final.package_deleted_at is not None
    kept = final.package_deleted_at - (final.delivered_at or final.package_deleted_at)
    assert round(kept / timedelta(days=1)) == settings.package_retention_days
    with pytest.raises(ClientError):
        s3_client(settings).head_object(Bucket=row["bucket"], Key=row["s3_key"])
    deleted_at = await case_pool.fetchval(
        "SELECT deleted_at FROM artefacts WHERE reference = $1 AND kind = 'access-package'", reference
    )
    assert deleted_at is not None
    trail = await case_pool.fetch(
        "SELECT actor, action, details FROM audit_log WHERE reference = $1 ORDER BY seq", reference
    )
    assert (trail[-1]["actor"], trail[-1]["action"]) == ("dsar-delivery", "package.deleted")
    assert trail[-1]["details"]["retention_days"] == settings.package_retention_days

    audit = await Audit(case_pool).start()
    gone = await http.post(f"/d/{token}", data=form(http, f"/d/{token}", code))
    text = await gone.text()
    assert gone.status == 410 and "no longer available" in text and "not available right now" not in text
    assert [(a, d["reason"]) for _, a, d in await audit.new()] == [("download.refused", "deleted")]

    # Deleted after its retention period is final: the check before a link rebuilds nothing.
    check = await check_package(case_pool, settings, ring, registry, reference)
    assert check.outcome == "deleted" and check.package is None
    with pytest.raises(ClientError):
        s3_client(settings).head_object(Bucket=row["bucket"], Key=row["s3_key"])
    trail = [r["action"] for r in await case_pool.fetch(
        "SELECT action FROM audit_log WHERE reference = $1", reference
    )]  # fmt: skip
    assert trail.count("package.built") == 1 and "package.missing" not in trail

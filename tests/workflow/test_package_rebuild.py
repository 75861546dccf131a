"""A package lost behind the case store's back is rebuilt before a new link goes out.

On the real case store, S3 and SMTP, with the real activities: the delivered package's
object is deleted (as a restarted local S3 or a restored bucket would lose it), the
download page says "not available, please contact us" (not "deleted"), and `resend_link`
rebuilds the package from the case store, once, then mails one link and one code that
download it. A retried check (a crash after the rebuild, before its result was reported)
finds the object and builds nothing more.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import boto3
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from botocore.config import Config as BotoConfig

from casestore.storage import s3_client
from dsar.codec import KeyRing
from dsar.config import Settings
from dsar.download_links import LinkSigner
from dsar.group import GroupRegistry
from dsar.messages.delivery import ResendLinkRequest
from dsar.messages.state import RequestState
from tests.conftest import record_history
from tests.workflow.conftest import ShiftedClock, page_client, running_workers
from tests.workflow.test_download import (
    Audit,
    check_package,
    deliver,
    form,
    link_and_code,
    package_bytes,
    package_row,
)
from web.download import Config, create_app
from workflows.rights_request import RightsRequestWorkflow

# Members that carry the build time (the report's "generated at", the PDF's creation date).
STAMPED = {"cover_letter.html", "report.html", "report.pdf", "data.json"}


@pytest_asyncio.fixture
async def page(
    case_pool: asyncpg.Pool, settings: Settings
) -> AsyncIterator[tuple[TestClient[Any, Any], ShiftedClock]]:
    async with page_client(case_pool, settings) as opened:
        yield opened


@asynccontextmanager
async def unreachable_s3_page(pool: asyncpg.Pool, settings: Settings) -> AsyncIterator[TestClient[Any, Any]]:
    """The page with S3 at a port where nothing listens, asked once (no retries)."""
    s3 = boto3.client(
        "s3",
        endpoint_url="http://127.0.0.1:9",
        region_name=settings.s3_region,
        aws_access_key_id="test",
        aws_secret_access_key="test-secret",
        config=BotoConfig(retries={"max_attempts": 1}, connect_timeout=2),
    )
    config = Config(
        pool=pool,
        s3=s3,
        signer=LinkSigner.from_setting(settings.download_signing_keys),
        privacy_email=settings.privacy_team_email,
    )
    client: TestClient[Any, Any] = TestClient(TestServer(create_app(config)))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


def package_objects(settings: Settings, key: str) -> list[str]:
    """Every object stored under the package's folder."""
    listed = s3_client(settings).list_objects_v2(
        Bucket=settings.s3_bucket, Prefix=key.rsplit("/", 1)[0] + "/"
    )
    return [o["Key"] for o in listed.get("Contents", [])]


def assert_equivalent(before: bytes, after: bytes) -> None:
    """The same files with the same content; only the build time may differ."""
    old, new = zipfile.ZipFile(io.BytesIO(before)), zipfile.ZipFile(io.BytesIO(after))
    assert new.namelist() == old.namelist()
    for name in old.namelist():
        if name not in STAMPED:
            assert new.read(name) == old.read(name), name
    old_doc, new_doc = json.loads(old.read("data.json")), json.loads(new.read("data.json"))
    old_doc.pop("generated_at"), new_doc.pop("generated_at")
    assert new_doc == old_doc


async def audit_actions(pool: asyncpg.Pool, reference: str) -> list[str]:
    rows = await pool.fetch("SELECT action FROM audit_log WHERE reference = $1 ORDER BY seq", reference)
    return [r["action"] for r in rows]


async def test_a_missing_package_is_rebuilt_once_before_a_new_link_is_sent(
    time_skipping_env: Any,
    workers_kwargs: dict[str, Any],
    case_pool: asyncpg.Pool,
    servers: Any,
    settings: Settings,
    ring: KeyRing,
    registry: GroupRegistry,
    page: tuple[TestClient[Any, Any], ShiftedClock],
) -> None:
    http, _ = page
    async with running_workers(time_skipping_env.client, **workers_kwargs) as queue:
        handle = await deliver(time_skipping_env, queue, case_pool)
        reference = handle.id.removeprefix("dsar-")
        token, code = link_and_code(servers, reference)
        row = await package_row(case_pool, reference)
        original = await package_bytes(case_pool, settings, reference)
        # The first delivery found its package in place and built nothing more.
        assert (await audit_actions(case_pool, reference)).count("package.built") == 1

        # Lost behind the case store's back.
        s3 = s3_client(settings)
        s3.delete_object(Bucket=row["bucket"], Key=row["s3_key"])
        assert package_objects(settings, row["s3_key"]) == []

        # The old link: "not available, contact us", never "deleted after the retention period".
        audit = await Audit(case_pool).start()
        shown = await http.get(f"/d/{token}")
        text = await shown.text()
        assert shown.status == 503 and "not available right now" in text and "no longer available" not in text
        assert 'name="code"' not in text
        refused = await http.post(f"/d/{token}", data=form(http, f"/d/{token}", code))
        assert refused.status == 503 and "not available right now" in await refused.text()
        answers = [(r, a, d["reason"], d["object"]) for r, a, d in await audit.new()]
        assert answers == [(reference, "download.refused", "unavailable", "missing")] * 2

        # A new link: the package is rebuilt first (one object, the same content), then
        # exactly one link e-mail and one code e-mail go out.
        state: RequestState = await handle.execute_update(
            RightsRequestWorkflow.resend_link, ResendLinkRequest(actor="reviewer")
        )
        assert state.links_resent == 1
        assert package_objects(settings, row["s3_key"]) == [row["s3_key"]]
        rebuilt = await package_bytes(case_pool, settings, reference)
        assert_equivalent(original, rebuilt)
        assert state.package is not None and state.package.bytes == len(rebuilt)
        new_token, new_code = link_and_code(servers, reference, "resend-1")
        fetched = await http.post(f"/d/{new_token}", data=form(http, f"/d/{new_token}", new_code))
        assert fetched.status == 200 and await fetched.read() == rebuilt
        [(_, action, details)] = await audit.new(at_least=1)
        assert (action, details["complete"]) == ("download.delivered", True)
        trail = await audit_actions(case_pool, reference)
        assert trail.count("package.missing") == 1 and trail.count("package.built") == 2

        # The check retried after it rebuilt (a crash before its result was reported):
        # the object is there, so nothing is built again; and the next link builds nothing.
        check = await check_package(case_pool, settings, ring, registry, reference)
        assert check.outcome == "present" and check.package is None
        state = await handle.execute_update(
            RightsRequestWorkflow.resend_link, ResendLinkRequest(actor="reviewer")
        )
        assert state.links_resent == 2
        last_token, _ = link_and_code(servers, reference, "resend-2")
        assert await package_bytes(case_pool, settings, reference) == rebuilt
        trail = await audit_actions(case_pool, reference)
        assert trail.count("package.missing") == 1 and trail.count("package.built") == 2

        # S3 not answering: the same "not available, contact us", audited as such.
        async with unreachable_s3_page(case_pool, settings) as dead:
            shown = await dead.get(f"/d/{last_token}")
            assert shown.status == 503 and "not available right now" in await shown.text()
        answers = [(a, d["reason"], d["object"]) for _, a, d in await audit.new(at_least=1)]
        assert answers == [("download.refused", "unavailable", "unreachable")]
        await record_history(handle, "rights_request_package_rebuilt")
        await handle.terminate(reason="test finished")  # keep the shared server's clock free

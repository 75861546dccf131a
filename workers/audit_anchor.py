"""Anchors the audit chain's head outside the database, beside the control worker.

Like the identity relay and the case-store gauges, a small loop in the control worker's
process: at start and then every DSAR_AUDIT_ANCHOR_MINUTES (at most 60), the chain's head
is written to the anchor bucket (`casestore.anchor`). Writing is idempotent (one object per
head, written once), so two control workers, a restart or `dsar audit --anchor` at the
same moment do no harm. A failed round is logged and tried again at the next one; the
loop never stops the worker.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import structlog
from botocore.exceptions import BotoCoreError, ClientError

from casestore.anchor import anchor_now, ensure_anchor_bucket
from casestore.audit import MacKeys
from casestore.storage import s3_client
from dsar.config import Settings

log = structlog.get_logger("audit-anchor")


async def anchor_loop(pool: asyncpg.Pool, settings: Settings, stop: asyncio.Event) -> None:
    if not settings.audit_mac_keys:
        log.error("audit.anchor_disabled", reason="DSAR_AUDIT_MAC_KEYS is not set")
        return
    keys = MacKeys.parse(settings.audit_mac_keys)
    s3 = s3_client(settings)
    bucket = settings.audit_anchor_bucket
    ready = False
    while not stop.is_set():
        try:
            if not ready:
                locked = await asyncio.to_thread(ensure_anchor_bucket, s3, bucket, settings.s3_region)
                log.info("audit.anchor_bucket", object_lock=locked)
                ready = True
            async with pool.acquire() as conn:
                result = await anchor_now(conn, s3, bucket, keys, settings.audit_anchor_retention_days)
            if result.written:
                log.info(
                    "audit.anchored", seq=result.anchor.seq, count=result.anchor.count, locked=result.locked
                )
        except (ClientError, BotoCoreError, asyncpg.PostgresError, OSError) as exc:
            log.warning("audit.anchor_failed", error=type(exc).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=settings.audit_anchor_minutes * 60)

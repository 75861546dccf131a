"""Before a download link is sent: the package object is in S3, or it is built again.

An object can go missing behind the case store's back: a lost object, a bucket restored
from an older backup, the local stack's in-memory S3 restarted. Mailing a link and code
to a package that is not there only sends the person to an error page, so the delivery
and every re-sent link first ask S3 (HEAD) and, if the object is gone, rebuild it with
the same build code (`PackagingActivities.build_package`) from what the case store holds:
the collected records, the review's exclusions and redactions. The build writes under
the same key and the same artefact row, so the page finds it where it always looked.

A package deleted after its retention period is never rebuilt: that deletion is final
(Art. 5(1)(e)) and the person is told so. Retried after a crash, the check finds the
rebuilt object and builds nothing more.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import TYPE_CHECKING

import asyncpg
import structlog
from botocore.exceptions import ClientError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.packaging import PACKAGE_KIND, PackagingActivities
from casestore.audit import append_audit
from casestore.db import Conn
from casestore.package_inputs import package_fingerprint
from dsar.messages.activity_names import Activity
from dsar.messages.delivery import BuildPackageInput, PackageCheck, PreparedPackage

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = structlog.get_logger(__name__)

# What S3 answers for an object (or bucket) that is not there: HEAD has no body, so only
# the status code comes back; GET names it.
MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound", "NoSuchBucket"})
# A rebuild runs as long as a build; a beat this often keeps well inside a 30 s heartbeat timeout.
BEAT_SECONDS = 5.0


def is_missing(exc: ClientError) -> bool:
    """S3 said the object is not there, as opposed to failing to answer."""
    return exc.response.get("Error", {}).get("Code") in MISSING_CODES


@asynccontextmanager
async def heartbeating(every: float = BEAT_SECONDS) -> AsyncIterator[None]:
    """Heartbeat while the block awaits work done off the event loop (rendering, upload),
    so a killed worker is noticed within the heartbeat timeout rather than after an hour."""

    async def beat() -> None:
        while True:
            activity.heartbeat()
            await asyncio.sleep(every)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


async def _package_row(conn: Conn, reference: str) -> asyncpg.Record | None:
    """The request's package artefact row: where its object is, its checksum, its deletion."""
    return await conn.fetchrow(
        "SELECT id, bucket, s3_key, sha256, deleted_at FROM artefacts WHERE reference = $1 AND kind = $2",
        reference,
        PACKAGE_KIND,
    )


class PackageRebuildActivities:
    def __init__(self, pool: asyncpg.Pool, s3: S3Client, packaging: PackagingActivities) -> None:
        self._pool = pool
        self._s3 = s3
        self._packaging = packaging

    @activity.defn(name=Activity.ENSURE_PACKAGE)
    async def ensure_package(self, inp: BuildPackageInput) -> PackageCheck:
        """The package is there, rebuilt, or deleted for good; see the module's docstring."""
        async with self._pool.acquire() as conn:
            row = await _package_row(conn, inp.reference)
        if row is None:
            raise ApplicationError(
                "no package was ever built for this request", type="InvalidRequestError", non_retryable=True
            )
        if row["deleted_at"] is not None:
            return PackageCheck(outcome="deleted")
        if await asyncio.to_thread(self._exists, row["bucket"], row["s3_key"]):
            return PackageCheck(outcome="present")
        log.warning("package.missing", reference=inp.reference)
        async with self._pool.acquire() as conn:
            # Once per lost object (its checksum names it), however often this step is retried.
            await append_audit(
                conn,
                reference=inp.reference,
                actor="dsar-packaging",
                action="package.missing",
                details={"artefact": str(row["id"]), "sha256": row["sha256"], "rebuilding": True},
                idempotency_key=f"{inp.reference}:package:missing:{row['sha256']}",
            )
        try:
            async with heartbeating():
                built = await self._packaging.build_package(inp)
        except ClientError as exc:
            if not is_missing(exc):
                raise  # S3 failing to answer: retried
            # A collected file the package carries (a photo, an upload) is gone as well:
            # a package without it would not be the answer the person was given.
            raise ApplicationError(
                "the package cannot be rebuilt: a collected file it includes is missing from storage",
                type="InvalidRequestError",
                non_retryable=True,
            ) from None
        log.info("package.rebuilt", reference=inp.reference, bytes=built.bytes)
        return PackageCheck(outcome="rebuilt", package=built)

    @activity.defn(name=Activity.PACKAGE_STILL_CURRENT)
    async def package_still_current(self, inp: PreparedPackage) -> bool:
        """A package built while the request waited for review may be sent as it is: its
        artefact row still names it (not rebuilt since, not deleted), nothing it was built
        from has changed (a review decision, a system collected again), and the object is
        in S3. False sends the workflow to build it again; nothing is changed here, so a
        retry asks the same questions."""
        prepared = inp.package
        if not prepared.fingerprint:
            return False
        async with self._pool.acquire() as conn:
            row = await _package_row(conn, inp.reference)
            if row is None or row["deleted_at"] is not None or row["sha256"] != prepared.sha256:
                return False
            if await package_fingerprint(conn, inp.reference) != prepared.fingerprint:
                log.info("package.changed_in_review", reference=inp.reference)
                return False
        return await asyncio.to_thread(self._exists, row["bucket"], row["s3_key"])

    def _exists(self, bucket: str, key: str) -> bool:
        try:
            self._s3.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if is_missing(exc):
                return False
            raise
        return True

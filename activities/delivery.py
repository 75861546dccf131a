"""Secure delivery: the download link and its code, and deleting the package when its time is up.

A link is issued once per (reference, occasion): the delivery itself, then each re-sent
link. Issuing a new one retires the ones before, so only the latest e-mails work. Its code
lives by the lifecycle identity codes share (`casestore.one_time_codes`): made with
`secrets`, stored as a hash, and kept sealed only until its e-mail is confirmed sent (see
`activities.notifications`): a retried send must mail the same code, since the mail system
drops the repeat by its Message-ID.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import asyncpg
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities._heartbeat import heartbeating
from activities.packaging import PACKAGE_KIND, PORTABLE_KIND
from casestore.audit import append_audit
from casestore.db import Conn
from casestore.one_time_codes import DOWNLOAD_CODES, find_code, issue_code, unseal_code
from casestore.one_time_codes import forget_code as forget_one_time_code
from dsar.codec import KeyRing
from dsar.download_links import LinkClaims
from dsar.messages.activity_names import Activity
from dsar.messages.delivery import DeletePackageInput, PackageDeletion

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class IssuedLink:
    claims: LinkClaims
    reference: str
    occasion: str


async def ensure_link(conn: Conn, ring: KeyRing, reference: str, occasion: str, link_days: int) -> IssuedLink:
    """The link of this occasion, issued now if it does not exist yet; repeated calls agree."""
    row = await find_code(conn, DOWNLOAD_CODES, reference, occasion)
    if row is None:
        artefact = await conn.fetchrow(
            "SELECT id, deleted_at FROM artefacts WHERE reference = $1 AND kind = $2",
            reference,
            PACKAGE_KIND,
        )
        if artefact is None or artefact["deleted_at"] is not None:
            raise ApplicationError("no package to deliver", type="InvalidRequestError", non_retryable=True)
        row = await issue_code(
            conn,
            ring,
            DOWNLOAD_CODES,
            reference,
            occasion,
            timedelta(days=link_days),
            {"artefact_id": artefact["id"]},
        )
    return IssuedLink(
        claims=LinkClaims(link_id=row["id"], artefact_id=row["artefact_id"], expires_at=row["expires_at"]),
        reference=reference,
        occasion=occasion,
    )


async def sealed_code(conn: Conn, ring: KeyRing, link: IssuedLink) -> str:
    code = await unseal_code(conn, ring, DOWNLOAD_CODES, link.claims.link_id)
    if code is None:
        # Only possible if the row was changed by hand: sending a code that cannot match would
        # only confuse the person. `dsar resend-link` issues a new one.
        raise ApplicationError(
            "the code of this link is no longer held", type="InvalidRequestError", non_retryable=True
        )
    return code


async def forget_code(conn: Conn, reference: str, occasion: str) -> None:
    """Once its e-mail is sent, only the hash of the code remains."""
    await forget_one_time_code(conn, DOWNLOAD_CODES, reference, occasion)


class DeliveryActivities:
    def __init__(self, pool: asyncpg.Pool, s3: S3Client) -> None:
        self._pool = pool
        self._s3 = s3

    @activity.defn(name=Activity.DELETE_PACKAGE)
    @heartbeating
    async def delete_package(self, inp: DeletePackageInput) -> PackageDeletion:
        """Art. 5(1)(e): the copy we made for the person is not kept once they had time to fetch it.

        Deleting an object that is already gone succeeds in S3, so a retry is harmless."""
        async with self._pool.acquire() as conn:
            # The package, and the portable data stored beside it for transmission (Art. 20).
            rows = await conn.fetch(
                "SELECT id, kind, bucket, s3_key, deleted_at FROM artefacts"
                " WHERE reference = $1 AND kind = ANY($2::text[]) ORDER BY kind = $3 DESC",
                inp.reference,
                [PACKAGE_KIND, PORTABLE_KIND],
                PACKAGE_KIND,
            )
        if not rows or rows[0]["kind"] != PACKAGE_KIND:
            return PackageDeletion(artefact_id=None, deleted_at=None)
        row = rows[0]
        for stored in rows:
            if stored["deleted_at"] is None:
                await asyncio.to_thread(self._s3.delete_object, Bucket=stored["bucket"], Key=stored["s3_key"])
        async with self._pool.acquire() as conn, conn.transaction():
            deleted_at = await conn.fetchval(
                "UPDATE artefacts SET deleted_at = coalesce(deleted_at, now()) WHERE id = ANY($1::uuid[])"
                " RETURNING deleted_at",
                [r["id"] for r in rows],
            )
            await conn.execute(
                "UPDATE download_links SET revoked_at = coalesce(revoked_at, now()) WHERE reference = $1",
                inp.reference,
            )
            await append_audit(
                conn,
                reference=inp.reference,
                actor="dsar-delivery",
                action="package.deleted",
                details={"artefact": str(row["id"]), "retention_days": inp.retention_days},
                idempotency_key=f"{inp.reference}:package:deleted",
            )
        log.info("package.deleted", reference=inp.reference)
        return PackageDeletion(artefact_id=str(row["id"]), deleted_at=deleted_at)

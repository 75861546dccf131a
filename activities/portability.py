"""Portability (Art. 20(2)): the person's portable data sent straight to another controller.

What is sent is the portable data.json stored when the package was built (the same bytes
the person received in portable/), never a rebuild. It is sent at most once per request:
a successful transmission is recorded in the case store and a later call answers
`already_sent` without sending; the request carries an `Idempotency-Key` derived from the
reference, so a receiver can also drop a repeat that crossed a lost answer.

Back-off is Temporal's, by the rule every HTTP client shares (`dsar.http_errors`): a 429,
a 5xx or an unreachable endpoint fails the attempt as retryable (with the receiver's
Retry-After as the next delay); any other refusal is permanent and named by its status
code only. The endpoint must use https; plain http is accepted only for loopback (the
demo receiver and tests).

Logs and the audit trail name the endpoint's host and the status, never the URL's path
or query (they may identify the person or the other controller's account) nor any value.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import asyncpg
import httpx
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities._heartbeat import heartbeating
from activities.packaging import PORTABLE_KIND
from casestore.audit import append_audit
from casestore.storage import artefact_id
from dsar.http_errors import check_answer
from dsar.messages.activity_names import Activity
from dsar.messages.delivery import PortableInput, TransmissionResult

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = structlog.get_logger(__name__)

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
TRANSMISSION_KIND = "portable-transmission"
RECEIVER = "the receiving controller"


def idempotency_key(reference: str) -> str:
    """Derived from the reference alone (a UUID, so it does not reveal the reference)."""
    return artefact_id(reference, TRANSMISSION_KIND)


def endpoint_host(url: str) -> str:
    """The endpoint's host, or a non-retryable error if the URL may not be sent to."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        raise _refused("the endpoint is not a valid URL") from None
    if not host:
        raise _refused("the endpoint is not a valid URL")
    if parts.scheme == "https":
        return host
    if parts.scheme == "http" and host in LOOPBACK_HOSTS:
        return host
    raise _refused(f"the endpoint at {host} must use https")


def _refused(message: str) -> ApplicationError:
    return ApplicationError(message, type="TransmissionRefused", non_retryable=True)


class PortabilityActivities:
    def __init__(self, pool: asyncpg.Pool, s3: S3Client, http: httpx.AsyncClient) -> None:
        self._pool = pool
        self._s3 = s3
        self._http = http

    @activity.defn(name=Activity.TRANSMIT_PORTABLE_DATA)
    @heartbeating
    async def transmit_portable_data(self, inp: PortableInput) -> TransmissionResult:
        host = endpoint_host(inp.transmit_to)
        async with self._pool.acquire() as conn:
            sent = await conn.fetchrow(
                "SELECT status_code, bytes FROM portable_transmissions WHERE reference = $1", inp.reference
            )
            if sent is not None:
                log.info("portability.already_sent", reference=inp.reference)
                return TransmissionResult(
                    status_code=sent["status_code"], bytes=sent["bytes"], already_sent=True
                )
            stored = await conn.fetchrow(
                "SELECT bucket, s3_key, sha256 FROM artefacts"
                " WHERE reference = $1 AND kind = $2 AND deleted_at IS NULL",
                inp.reference,
                PORTABLE_KIND,
            )
        if stored is None:
            raise ApplicationError(
                "no portable data is stored for this request: build the package with portability first",
                type="PortableDataMissing",
                non_retryable=True,
            )
        body = await asyncio.to_thread(self._read, stored["bucket"], stored["s3_key"])
        digest = hashlib.sha256(body).hexdigest()
        if digest != stored["sha256"]:
            # A rebuild between its upload and its artefact row: the next attempt sees both.
            raise ApplicationError(
                "the stored portable data does not match its checksum", type="ChecksumMismatch"
            )
        status = await self._post(inp, host, body)
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO portable_transmissions (reference, endpoint_host, status_code, bytes, sha256)"
                " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (reference) DO NOTHING",
                inp.reference,
                host,
                status,
                len(body),
                digest,
            )
            await append_audit(
                conn,
                reference=inp.reference,
                actor="dsar-portability",
                action="portability.transmitted",
                details={"host": host, "status_code": status, "bytes": len(body), "sha256": digest},
                idempotency_key=f"{inp.reference}:portability:transmitted",
            )
        log.info(
            "portability.transmitted", reference=inp.reference, host=host, status=status, bytes=len(body)
        )
        return TransmissionResult(status_code=status, bytes=len(body))

    async def _post(self, inp: PortableInput, host: str, body: bytes) -> int:
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": idempotency_key(inp.reference),
        }
        try:
            # Streamed so the receiver's answer body is never read: only its status counts.
            # Never redirected: a redirect could lead away from https or to another host.
            async with self._http.stream(
                "POST", inp.transmit_to.strip(), content=body, headers=headers, follow_redirects=False
            ) as response:
                status = response.status_code
        except httpx.TransportError as exc:
            # The exception's text may carry the URL: only its kind is said.
            log.warning(
                "portability.unreachable", reference=inp.reference, host=host, error=type(exc).__name__
            )
            raise ApplicationError(
                f"the endpoint at {host} could not be reached ({type(exc).__name__})",
                type="TransmissionUnavailable",
            ) from None
        log.info("portability.answer", reference=inp.reference, host=host, status=status)
        check_answer(response, source=RECEIVER, permanent_type="TransmissionRejected")
        return status

    def _read(self, bucket: str, key: str) -> bytes:
        return self._s3.get_object(Bucket=bucket, Key=key)["Body"].read()

"""`dsar download-server`: the page where the person fetches their answer.

GET `/d/<token>` shows a form asking for the code from the second e-mail; POST with the
right code streams the package from S3, and spends the code: each code downloads once
(50 parallel downloads with one code get one package); to download again the person asks
the privacy team, who send a new link and code (`dsar resend-link`). Everything that
concerns a real link is refused with a plain message in the person's language and an
entry in the audit trail: an expired link, one replaced by a newer link, a package
deleted after its retention period (final), a package that should be there but is not
(object missing without a recorded deletion, or S3 not answering: "not available, please
contact us", which the team can mend with `dsar resend-link`, as that rebuilds a missing
package), a missing or wrong code, a spent code, and a link locked after too many wrong
codes. Each download is audited as proof of delivery. Audit details hold ids and reasons
only: no addresses, no user agents.

A token that is not one of our links (changed, truncated, made up) is refused with the
same page but only counted in the metrics (`web.metrics`): audit rows are for real links,
and a flood of garbage must not grow the trail. Requests are rate-limited per address and
per link, and the form is checked for its origin and its signed form token (`web.guard`).

The same process serves the verification page (`web.identity`); what both share is in
`web.pages`, and the HTTP set-up (headers, error pages, health, no access log) in
`web.server`. The code itself is checked by the one-time-code lifecycle identity codes share
(`casestore.one_time_codes`). The service needs the case store, S3 and the link signing
key, and nothing else: not the codec keys, not Temporal.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import asyncpg
import structlog
from aiohttp import web
from botocore.exceptions import BotoCoreError, ClientError

from casestore.audit import append_audit
from casestore.db import create_pool
from casestore.one_time_codes import DOWNLOAD_CODES, CodeOutcome, guess_code, lock_code
from dsar.config import Settings
from dsar.download_links import (
    MAX_ATTEMPTS,
    InvalidToken,
    LinkClaims,
    LinkSigner,
    TokenProblem,
    unverified_link_id,
)
from dsar.identity_links import ChallengeSigner
from dsar.package.locale_format import format_date
from web.guard import FORM_TOKEN_FIELD, GUARD, Guard, rate_limits
from web.identity import add_routes as add_verification_routes
from web.metrics import PageMetrics
from web.pages import CONFIG, html_page, page_language
from web.pages import Config as Config  # tests and callers build the pages from here
from web.server import create_app as create_web_app
from web.server import parse_listen, run

log = structlog.get_logger("download-page")
ACTOR = "download-page"
CHUNK = 256 * 1024
T = TypeVar("T")
# What the page says, by outcome; the texts themselves live in the templates.
STATUS = {
    "form": 200,
    "tampered": 404,
    "expired": 410,
    "replaced": 410,
    "deleted": 410,
    "unavailable": 503,
    "locked": 403,
    "code_missing": 400,
    "code_wrong": 403,
    "used": 410,
    "form_expired": 403,
}


@dataclass(frozen=True)
class Link:
    id: uuid.UUID
    reference: str
    language: str
    bucket: str
    key: str
    sha256: str
    expires_at: datetime
    attempts: int
    locked: bool
    revoked: bool
    deleted: bool
    used: bool = False  # its code was spent on a download


class Refused(Exception):
    def __init__(
        self, reason: str, link: Link | None = None, *, language: str | None = None, **details: Any
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.link = link
        # The page's language when no link is known (not audited: `details` are).
        self.language = language
        self.details = details


def create_app(config: Config, guard: Guard | None = None) -> web.Application:
    """The public pages' application: downloads, and verification links when configured.

    Without a `guard` (tests), one with a fresh form secret and the default rate limits."""
    app = create_web_app(
        client_max_size=4096,  # a form with two short fields
        health=_case_store_answers,
        middlewares=[rate_limits],
    )
    app[CONFIG] = config
    app[GUARD] = guard or Guard(form_secret=secrets.token_bytes(32), public_origin=None)
    app.router.add_get("/d/{token}", _show_form)
    app.router.add_post("/d/{token}", _download)
    if config.challenge_signer is not None:
        add_verification_routes(app)
    return app


async def _show_form(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    try:
        link = await _resolve(config, request.match_info["token"])
        # Asked before the code, so nobody types one for a package that is not there.
        await _s3(link, config.s3.head_object)
    except Refused as refusal:
        return await _refuse(request, refusal)
    return _page(request, "form", link)


async def _case_store_answers(app: web.Application) -> bool:
    """`/healthz`: the pages cannot do anything without the case store."""
    try:
        async with asyncio.timeout(3):
            async with app[CONFIG].pool.acquire() as conn:
                return bool(await conn.fetchval("SELECT 1"))
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
        return False


async def _download(request: web.Request) -> web.StreamResponse:
    config = request.app[CONFIG]
    guard = request.app[GUARD]
    if guard.foreign_origin(request):
        guard.metrics.refuse("foreign_origin")
        raise web.HTTPForbidden()
    try:
        link = await _resolve(config, request.match_info["token"])
        form = await request.post()
        if not guard.form_token_ok(request.path, form.get(FORM_TOKEN_FIELD)):
            raise Refused("form_expired", link)
        typed = form.get("code")
        await _check_code(config, link, typed if isinstance(typed, str) else None)
    except Refused as refusal:
        return await _refuse(request, refusal)
    return await _stream(request, config, link)


async def _resolve(config: Config, token: str) -> Link:
    """The link the token names, if it may still be used; otherwise why not."""
    claims: LinkClaims | None
    problem: TokenProblem | None = None
    try:
        claims = config.signer.verify(token, config.clock())
    except InvalidToken as exc:
        claims, problem = exc.claims, exc.problem
    if claims is None:
        # A damaged token may still name its link: its request's language is the page's,
        # so an English request is not answered in Swedish first.
        raise Refused(
            "tampered", language=await _language_of(config, unverified_link_id(config.signer, token))
        )
    async with config.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT l.id, l.reference, l.artefact_id, l.expires_at, l.attempts, l.locked_at, l.revoked_at,"
            " l.code_used_at,"
            " r.language, a.bucket, a.s3_key, a.sha256, a.deleted_at"
            " FROM download_links l JOIN requests r ON r.reference = l.reference"
            " JOIN artefacts a ON a.id = l.artefact_id WHERE l.id = $1",
            claims.link_id,
        )
    if row is None or row["artefact_id"] != claims.artefact_id:
        # Signed by us, yet unknown: a key shared with another installation, or a restored
        # database. Nothing to offer either way.
        raise Refused("tampered")
    link = Link(
        id=row["id"],
        reference=row["reference"],
        language=row["language"],
        bucket=row["bucket"],
        key=row["s3_key"],
        sha256=row["sha256"],
        expires_at=row["expires_at"],
        attempts=row["attempts"],
        locked=row["locked_at"] is not None,
        revoked=row["revoked_at"] is not None,
        deleted=row["deleted_at"] is not None,
        used=row["code_used_at"] is not None,
    )
    if link.deleted:
        raise Refused("deleted", link)
    if link.revoked:
        raise Refused("replaced", link)
    if problem is TokenProblem.EXPIRED or config.clock() >= link.expires_at:
        raise Refused("expired", link)
    if link.locked:
        raise Refused("locked", link)
    if link.used:
        raise Refused("used", link)
    return link


async def _check_code(config: Config, link: Link, typed: str | None) -> None:
    """One guess at a time per link (the row is locked), so parallel guesses cannot pass the limit.

    Something that cannot be a code is refused without counting a try."""
    async with config.pool.acquire() as conn, conn.transaction():
        row = await lock_code(conn, DOWNLOAD_CODES, link.id)
        assert row is not None
        if row["code_used_at"] is not None:
            # Spent by an earlier download: nothing to guess, no try counted.
            raise Refused("used", link)
        # A right code is spent by code_guess itself, under the row's lock, in the same
        # transaction that checked it: one download per code (the page may not write it).
        guess = await guess_code(conn, DOWNLOAD_CODES, row, typed, config.clock())
        if guess.locked_now:
            await append_audit(
                conn,
                reference=link.reference,
                actor=ACTOR,
                action="download.locked",
                details={"link": str(link.id), "attempts": guess.attempts},
            )
    if guess.outcome is CodeOutcome.VERIFIED:
        return
    if guess.locked_now:
        raise Refused("locked", link, attempts=guess.attempts)
    if guess.outcome is CodeOutcome.CODE_WRONG:
        raise Refused("code_wrong", link, attempts=guess.attempts, attempts_left=guess.attempts_left)
    if guess.outcome is CodeOutcome.ALREADY_VERIFIED:
        # Spent by a parallel download that committed first: the same page as a spent code.
        raise Refused("used", link)
    raise Refused(guess.outcome.value, link)


async def _stream(request: web.Request, config: Config, link: Link) -> web.StreamResponse:
    try:
        obj = await _s3(link, config.s3.get_object)
    except Refused as refusal:
        return await _refuse(request, refusal)
    body = obj["Body"]
    response = web.StreamResponse(
        headers={
            "Content-Type": "application/zip",
            "Content-Disposition": f'attachment; filename="personal-data-{link.reference}.zip"',
        }
    )
    response.content_length = int(obj["ContentLength"])
    await response.prepare(request)
    digest = hashlib.sha256()
    sent = 0
    try:
        while chunk := await asyncio.to_thread(body.read, CHUNK):
            digest.update(chunk)
            sent += len(chunk)
            await response.write(chunk)
        await response.write_eof()
    except (ConnectionError, asyncio.CancelledError):
        await _audit(config, link.reference, "download.interrupted", {"link": str(link.id), "bytes": sent})
        raise
    finally:
        body.close()
    # Proof of delivery: this link's package, whole, as built (the digest matches the build).
    await _audit(
        config,
        link.reference,
        "download.delivered",
        {"link": str(link.id), "bytes": sent, "sha256": digest.hexdigest(),
         "complete": digest.hexdigest() == link.sha256},
    )  # fmt: skip
    async with config.pool.acquire() as conn:
        await conn.execute("UPDATE download_links SET downloads = downloads + 1 WHERE id = $1", link.id)
    log.info("download.delivered", reference=link.reference)
    return response


async def _s3(link: Link, call: Callable[..., T]) -> T:
    """`call` on the link's object; an object that is not there, or an S3 that does not
    answer, is "not available" (a deleted package was refused already, by its row)."""
    try:
        return await asyncio.to_thread(call, Bucket=link.bucket, Key=link.key)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        missing = code in ("NoSuchKey", "NoSuchBucket", "NotFound", "404")
        raise Refused("unavailable", link, object="missing" if missing else "error") from None
    except BotoCoreError:
        raise Refused("unavailable", link, object="unreachable") from None


async def _refuse(request: web.Request, refusal: Refused) -> web.Response:
    config = request.app[CONFIG]
    link = refusal.link
    request.app[GUARD].metrics.refuse(f"download.{refusal.reason}")
    if link is not None:
        # Only a real link is audited: garbage would let anyone grow the trail at will.
        details: dict[str, Any] = {"reason": refusal.reason, "link": str(link.id), **refusal.details}
        await _audit(config, link.reference, "download.refused", details)
    # A package that should be there and is not needs the team: said louder than a wrong code.
    say = log.warning if refusal.reason == "unavailable" else log.info
    say("download.refused", reason=refusal.reason, reference=link.reference if link else None)
    return _page(
        request,
        refusal.reason,
        link,
        attempts_left=refusal.details.get("attempts_left"),
        language=refusal.language,
    )


async def _language_of(config: Config, link_id: uuid.UUID | None) -> str | None:
    if link_id is None:
        return None
    async with config.pool.acquire() as conn:
        language: str | None = await conn.fetchval(
            "SELECT r.language FROM download_links l JOIN requests r ON r.reference = l.reference"
            " WHERE l.id = $1",
            link_id,
        )
    return language


async def _audit(config: Config, reference: str | None, action: str, details: dict[str, Any]) -> None:
    async with config.pool.acquire() as conn:
        await append_audit(conn, reference=reference, actor=ACTOR, action=action, details=details)


def _page(
    request: web.Request,
    outcome: str,
    link: Link | None,
    attempts_left: int | None = None,
    language: str | None = None,
) -> web.Response:
    return html_page(
        request,
        "download/page",
        page_language(request, link.language if link else language),
        STATUS[outcome],
        {
            "outcome": outcome,
            "reference": link.reference if link else None,
            "expires_on": format_date(link.expires_at.date(), link.language) if link else None,
            "attempts_left": attempts_left,
            "max_attempts": MAX_ATTEMPTS,
        },
    )


def serve(settings: Settings) -> None:
    """Run until SIGINT/SIGTERM; the pool opens with the server and closes with it."""
    from casestore.storage import s3_client

    signer = LinkSigner.from_setting(settings.download_signing_keys)
    host, port = parse_listen(settings.download_listen, "DSAR_DOWNLOAD_LISTEN", "127.0.0.1:8090")
    # Derived from the signing key, so every replica accepts the forms the others served.
    form_secret = hashlib.sha256(b"dsar-form-token:" + str(settings.download_signing_keys).encode())
    guard = Guard(
        form_secret=form_secret.digest(),
        public_origin=settings.download_base_url,
        trusted_proxy_hops=settings.pages_trusted_proxy_hops,
        metrics=PageMetrics.served_on(settings.metrics_bind),
    )

    async def app_factory() -> web.Application:
        pool = await create_pool(settings.database_url, max_size=10)
        app = create_app(
            Config(
                pool=pool,
                s3=s3_client(settings),
                signer=signer,
                privacy_email=settings.privacy_team_email,
                challenge_signer=ChallengeSigner.from_setting(settings.download_signing_keys),
            ),
            guard,
        )

        async def close_pool(_: web.Application) -> AsyncIterator[None]:
            yield
            await pool.close()

        app.cleanup_ctx.append(close_pool)
        return app

    run(app_factory(), host, port)

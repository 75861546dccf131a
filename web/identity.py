"""`/v/<token>`: where the person confirms a request with the one-time code we e-mailed them.

Served by the download page's application (`dsar download-server`, the same process and
the same security headers, `web.pages`). GET shows a form; POST checks the code against
the case store with the same function as `dsar verify --code`
(`casestore.one_time_codes.check_identity_code`), so attempts, expiry and locking are
counted in one place whichever way the code comes back. The form is checked for its origin
and signed form token first (`web.guard`); a token that is not one of our challenges is
only counted in the metrics, never audited. A right code is marked entered and
the control worker's relay is woken by a NOTIFY (`workers.identity_relay`): the page itself
holds no Temporal credentials and no codec keys. Refusals are audited (actor
`verification-page`) with ids and reasons only.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import structlog
from aiohttp import web

from casestore.one_time_codes import CodeCheck, CodeOutcome, check_identity_code, identity_code_state
from dsar.download_links import InvalidToken
from dsar.identity_links import IDENTITY_CODE_DIGITS, ChallengeClaims
from dsar.package.locale_format import format_datetime
from web.guard import FORM_TOKEN_FIELD, GUARD
from web.pages import CONFIG, html_page, page_language

log = structlog.get_logger("verification-page")
ACTOR = "verification-page"
NOTIFY_CHANNEL = "dsar_identity"
STATUS = {
    "form": 200,
    CodeOutcome.VERIFIED.value: 200,
    CodeOutcome.ALREADY_VERIFIED.value: 200,
    "tampered": 404,
    CodeOutcome.EXPIRED.value: 410,
    CodeOutcome.REPLACED.value: 410,
    CodeOutcome.LOCKED.value: 403,
    CodeOutcome.CODE_MISSING.value: 400,
    CodeOutcome.CODE_WRONG.value: 403,
    CodeOutcome.UNKNOWN_REFERENCE.value: 404,
    CodeOutcome.NO_CODE.value: 404,
    "form_expired": 403,
}


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v/{token}", _show_form)
    app.router.add_post("/v/{token}", _submit)


async def _claims(request: web.Request) -> ChallengeClaims | web.Response:
    config = request.app[CONFIG]
    assert config.challenge_signer is not None
    try:
        return config.challenge_signer.claims(request.match_info["token"])
    except InvalidToken:
        # Not one of our challenges: counted, not audited (garbage must not grow the trail).
        request.app[GUARD].metrics.refuse("identity.tampered")
        return _page(request, "tampered", None)


async def _show_form(request: web.Request) -> web.Response:
    """Nothing is counted or changed here: the state of the code is only read, to say it plainly."""
    claims = await _claims(request)
    if isinstance(claims, web.Response):
        return claims
    config = request.app[CONFIG]
    async with config.pool.acquire() as conn:
        check = await identity_code_state(conn, claims.challenge_id, config.clock())
    if check is None:
        return _page(request, "tampered", None)
    # CODE_MISSING here only means nothing was typed yet: the form.
    outcome = "form" if check.outcome is CodeOutcome.CODE_MISSING else check.outcome.value
    return _page(request, outcome, check)


async def _submit(request: web.Request) -> web.Response:
    guard = request.app[GUARD]
    if guard.foreign_origin(request):
        guard.metrics.refuse("foreign_origin")
        raise web.HTTPForbidden()
    claims = await _claims(request)
    if isinstance(claims, web.Response):
        return claims
    config = request.app[CONFIG]
    form = await request.post()
    if not guard.form_token_ok(request.path, form.get(FORM_TOKEN_FIELD)):
        guard.metrics.refuse("identity.form_expired")
        async with config.pool.acquire() as conn:
            check = await identity_code_state(conn, claims.challenge_id, config.clock())
        if check is None:
            return _page(request, "tampered", None)
        # A code that can no longer be used says so; one still waiting asks again.
        unusable = check.outcome is not CodeOutcome.CODE_MISSING
        return _page(request, check.outcome.value if unusable else "form_expired", check)
    typed = form.get("code")
    async with config.pool.acquire() as conn:
        check = await check_identity_code(
            conn,
            typed=typed if isinstance(typed, str) else None,
            via="page",
            actor=ACTOR,
            now=config.clock(),
            challenge_id=claims.challenge_id,
        )
        if check.outcome is CodeOutcome.VERIFIED:
            await conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)
    log.info("identity.code_checked", outcome=check.outcome.value, reference=check.reference)
    if check.outcome is CodeOutcome.UNKNOWN_REFERENCE:
        return _page(request, "tampered", None)
    return _page(request, check.outcome.value, check)


PAGE_ZONE = ZoneInfo("UTC")


def _page(request: web.Request, outcome: str, check: CodeCheck | None) -> web.Response:
    language = page_language(request, check.language if check else None)
    context: dict[str, Any] = {
        "outcome": outcome,
        "reference": check.reference if check else None,
        # In words, in UTC (the page does not know the request's jurisdiction), saying so.
        "expires_at": format_datetime(check.expires_at, language, PAGE_ZONE)
        if check and check.expires_at
        else None,
        "attempts_left": check.attempts_left if check else None,
        "digits": IDENTITY_CODE_DIGITS,
    }
    return html_page(request, "identity/page", language, STATUS[outcome], context)

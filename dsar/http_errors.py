"""How an answer from an HTTP endpoint outside the product ends an activity attempt.

One rule for every HTTP client the activities hold (the collection connector, the action
connector, the portability transmitter), so a vendor's throttling is met the same way
everywhere:

- 2xx: the call worked.
- 429 or 5xx: the attempt fails as retryable, with the server's Retry-After as the next
  delay. Back-off is Temporal's, so waiting costs no worker slot and survives a restart.
- 404 where the caller reads a missing thing as "already gone" (an action on a record an
  earlier attempt erased, a search that finds nobody): not a failure, the caller decides.
- anything else (401/403, other 4xx, an unfollowed redirect): permanent, since a retry
  cannot fix a refused token, a wrong path or a refused payload.

Messages name the status and the other side only, never the URL: URLs carry e-mail
addresses and account names.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
from temporalio.exceptions import ApplicationError

TRANSIENT = "TransientHttpError"
DEFAULT_RETRY_AFTER = 5.0
MIN_RETRY_AFTER = 0.5
MAX_RETRY_AFTER = 600.0
TOKEN_HINT = ": check the system's token"  # noqa: S105 - a message, not a secret


def retry_after(response: httpx.Response) -> float:
    """The server's Retry-After in seconds, kept within reason; a default when absent or a date."""
    value = response.headers.get("Retry-After", "")
    try:
        return min(max(float(value), MIN_RETRY_AFTER), MAX_RETRY_AFTER)
    except ValueError:
        return DEFAULT_RETRY_AFTER


def is_transient(status: int) -> bool:
    """Throttled or a server-side failure: the same call may work later."""
    return status == 429 or status >= 500


def check_answer(
    response: httpx.Response,
    *,
    source: str,
    permanent_type: str,
    gone_ok: bool = False,
    token_hint: bool = False,
) -> bool:
    """True for a 2xx answer, False for a 404 when `gone_ok`; otherwise raise for Temporal.

    `source` names the other side in the message (a system code, "the receiving
    controller"); `permanent_type` is the error type the caller's readers know;
    `token_hint` adds a pointer to the bearer token on a 401 or 403.
    """
    status = response.status_code
    if 200 <= status < 300:
        return True
    if status == 404 and gone_ok:
        return False
    message = f"HTTP {status} from {source}"
    if is_transient(status):
        raise ApplicationError(
            message, type=TRANSIENT, next_retry_delay=timedelta(seconds=retry_after(response))
        )
    if token_hint and status in (401, 403):
        message += TOKEN_HINT
    raise ApplicationError(message, type=permanent_type, non_retryable=True)

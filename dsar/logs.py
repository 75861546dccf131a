"""structlog set-up shared by every process.

Logs leave the product (terminals, container log shippers), so a processor masks any
field that could hold personal data before a renderer sees it. Activities log references,
company and system codes and counts; this is the safety net for a mistake.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import phonenumbers
import structlog

# Field names that may carry personal data; their values are never rendered.
PERSONAL_FIELDS = frozenset(
    {
        "name",
        "full_name",
        "email",
        "phone",
        "address",
        "postcode",
        "customer_number",
        "national_id",
        "personnummer",
        "subject",
        "identity",
        "recipient",
        "to",
        "code",
        "link",
        "url",
        "token",
        "record",
        "records",
        "data",
    }
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
MASK = "[redacted]"


def mask_personal_data(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        if key in PERSONAL_FIELDS:
            event_dict[key] = MASK
        elif isinstance(event_dict[key], str) and key != "event":
            event_dict[key] = _scrub(event_dict[key])
    event = event_dict.get("event")
    if isinstance(event, str):
        event_dict["event"] = _scrub(event)
    return event_dict


def _scrub(text: str) -> str:
    text = _EMAIL.sub(MASK, text)
    if sum(ch.isdigit() for ch in text) < 7:
        return text
    # A maintained parser tells phone numbers from references and counts.
    for match in reversed(list(phonenumbers.PhoneNumberMatcher(text, "SE"))):
        text = text[: match.start] + MASK + text[match.end :]
    return text


def configure_logging(fmt: str = "console", level: str = "INFO") -> None:
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            mask_personal_data,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
        ),
        # Looked up per logger, so a redirected stderr (tests, daemons) is honoured.
        logger_factory=lambda *_: structlog.PrintLogger(sys.stderr),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=level.upper(), stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")
    # HTTP client libraries log every request line at INFO; connector URLs carry the
    # identity key being searched for (an e-mail address in a query string).
    for name in ("httpx", "httpcore", "aiohttp.access"):
        logging.getLogger(name).setLevel(logging.WARNING)

"""Dates, times and numbers the way the person writes them, in Swedish or English.

Babel is not a dependency and two languages do not need it: Swedish writes "4 mars 2026",
"8 600,50" (a narrow no-break space between thousands, a decimal comma) and "kl. 09:12";
English "4 March 2026", "8,600.50" and "09:12". Times are shown on the request's own
clock (the jurisdiction's time zone), never as UTC or ISO text.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

MONTHS = {
    "sv": (
        "januari", "februari", "mars", "april", "maj", "juni",
        "juli", "augusti", "september", "oktober", "november", "december",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip
THOUSANDS = {"sv": "\u202f", "en": ","}
DECIMAL = {"sv": ",", "en": "."}


def _lang(language: str) -> str:
    return "sv" if language == "sv" else "en"


def format_date(value: date, language: str) -> str:
    """4 mars 2026 / 4 March 2026."""
    return f"{value.day} {MONTHS[_lang(language)][value.month - 1]} {value.year}"


def format_datetime(value: datetime, language: str, zone: ZoneInfo | None = None) -> str:
    """4 mars 2026 kl. 09:12 / 4 March 2026, 09:12 (on `zone`'s clock when the value has one)."""
    if zone is not None and value.tzinfo is not None:
        value = value.astimezone(zone)
    day = format_date(value.date(), language)
    clock = f"{value.hour:02d}:{value.minute:02d}"
    return f"{day} kl. {clock}" if _lang(language) == "sv" else f"{day}, {clock}"


def format_number(value: int | float | Decimal | str, language: str, decimals: int | None = None) -> str:
    """Grouped thousands and the language's decimal mark; `decimals` fixes the places
    (money: 2), else as many as the value has."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not number.is_finite():
        return str(value)
    if decimals is not None:
        number = number.quantize(Decimal(1).scaleb(-decimals))
    text = f"{number:,f}" if decimals is None else f"{number:,.{decimals}f}"
    lang = _lang(language)
    whole, _, fraction = text.partition(".")
    whole = whole.replace(",", THOUSANDS[lang])
    if lang == "sv" and whole.startswith("-"):
        whole = "\u2212" + whole[1:]
    return f"{whole}{DECIMAL[lang]}{fraction}" if fraction else whole


def parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def parse_datetime(text: str) -> datetime | None:
    if len(text) < 16 or text[4:5] != "-" or text[10:11] not in ("T", " "):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


COUNTRY_NAMES = {
    "GB": {"sv": "Storbritannien", "en": "United Kingdom"},
    "SE": {"sv": "Sverige", "en": "Sweden"},
    "DK": {"sv": "Danmark", "en": "Denmark"},
    "NL": {"sv": "Nederländerna", "en": "the Netherlands"},
    "NO": {"sv": "Norge", "en": "Norway"},
    "FI": {"sv": "Finland", "en": "Finland"},
    "DE": {"sv": "Tyskland", "en": "Germany"},
    "IE": {"sv": "Irland", "en": "Ireland"},
}


def country_name(code: str, language: str) -> str:
    """A registry country code as a name; a code not listed here stays the code."""
    return COUNTRY_NAMES.get(code, {}).get(_lang(language), code)

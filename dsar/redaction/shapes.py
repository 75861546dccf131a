"""Identifiers found by their shape and context: postal addresses, vehicle registrations,
IP addresses and dates of birth.

None has a check digit, so each rule asks for the whole shape: an address is a street with a
number and a postcode (Swedish or UK, the parts on one line or several), a date is a date of
birth only next to a word that says so ("född", "DOB", "born", "f."), an IP address must be
one to the `ipaddress` module. The person's own address and birth date are recognised by
`OwnIdentifiers` (postcode, birth date) and never removed.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from datetime import date

from dsar.redaction.kinds import REASONS, Hit, Kind

_SE_STREET = (
    r"(?:[A-ZÅÄÖ][a-zåäöéü]+[ \t])?[A-ZÅÄÖ][a-zåäöéü]*(?:gatan|vägen|väg|gata|gränd|stigen|stig|torget|torg"
    r"|backe|backen|allé|allén|plan|leden|kajen|esplanaden|promenaden|slingan|gården|vägen|liden|höjden)"
)
_SE_ADDRESS = re.compile(
    rf"(?<!\w){_SE_STREET}[ \t]+\d{{1,4}}(?:[ \t]?[A-Za-z])?(?![\w])"
    r"(?:[ \t]*,?[ \t]*(?:lgh|lägenhet)\.?[ \t]*\d+)?"
    r"(?:[ \t]*[,\n][ \t]*|[ \t]+)(?:[A-ZÅÄÖ][\w ]{0,30}\n[ \t]*)?"
    r"(?:SE-?[ \t]?)?(\d{3}[ \t]?\d{2})[ \t]+[A-ZÅÄÖ][a-zåäöé]+"
)
_UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2}"
_UK_ADDRESS = re.compile(
    r"(?<![\w,])\d{1,4}[A-Za-z]?,?[ \t]+(?:[A-Z][a-z'’]+[ \t]){1,3}"
    r"(?:Street|St|Road|Rd|Lane|Ln|Avenue|Ave|Close|Drive|Way|Court|Crescent|Grove|Place|Gardens|Terrace|Park"
    r"|Square|Hill|Row|Mews|Walk|Green|Rise|View|Parade|Vale)\.?"
    rf"(?:[ \t]*[,\n][ \t]*[A-Z][\w'’ -]{{1,30}}?){{0,3}}[ \t]*[,\n]?[ \t]*({_UK_POSTCODE})(?![\w])"
)
_ADDRESS_HINT = re.compile(r"\d")
# Swedish plates: three letters (not I, Q, V, Å, Ä, Ö) and two digits, then a digit or a letter.
_SE_PLATE = re.compile(r"(?<![\w-])([A-HJ-PR-UW-Z]{3})[ \t]?(\d{2}[0-9A-HJ-NPR-UW-Z])(?![\w-])")
# Current UK plates: two letters, the two-digit age identifier, three letters.
_UK_PLATE = re.compile(r"(?<![\w-])[A-Z]{2}(?:0[2-9]|1\d|2[0-5]|5[1-9]|6\d|7[0-5])[ \t]?[A-Z]{3}(?![\w-])")
# Three-letter codes that are not plates: currencies and abbreviations tickets use.
_NOT_PLATE = frozenset(
    "SEK EUR USD GBP NOK DKK CHF ISK PLN JPY CNY INV ORD REF TEL MOB FAX ART NUM PCS STK KPI API SKU ZIP"
    " VAT MOMS"
    " ABC XYZ SMS CEO CFO CTO".split()
)
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\w|\.\d)")
_IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
_VERSION_BEFORE = re.compile(r"(?:version|ver\.?|v|build|release)\s*\Z", re.IGNORECASE)
_MONTHS = {
    **{
        m: i
        for i, m in enumerate(
            "january february march april may june july august september october november december".split(), 1
        )
    },
    **{
        m: i
        for i, m in enumerate(
            "januari februari mars april maj juni juli augusti september oktober november december".split(), 1
        )
    },
    **{m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)},
}
_DATE = (
    r"(\d{4}-\d{2}-\d{2}|\d{8}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}"
    r"|\d{1,2}(?:st|nd|rd|th)?[ \t]+[A-Za-zåäö]{3,9}\.?[ \t]+\d{4}|[A-Za-z]{3,9}[ \t]+\d{1,2},?[ \t]+\d{4})"
)
_DOB = re.compile(
    r"(?i)(?<!\w)(?:född|född den|f\.|födelsedatum|födelsedag|dob|d\.o\.b\.?|date of birth|birth date"
    r"|birthday"
    rf"|born(?: on)?)[ \t]*:?[ \t]*{_DATE}(?!\d)"
)


_DOB_HINT = re.compile(r"(?i)föd|f\.|birth|born|dob|d\.o\.b")


def addresses(text: str) -> Iterator[Hit]:
    """Street, number and postcode; the value is the compact postcode (own-address check)."""
    if _ADDRESS_HINT.search(text) is None:
        return
    for pattern in (_SE_ADDRESS, _UK_ADDRESS):
        for m in pattern.finditer(text):
            postcode = re.sub(r"\s", "", m.group(1)).upper()
            yield Hit(Kind.ADDRESS, m.start(), m.end(), postcode, REASONS[Kind.ADDRESS])


def vehicles(text: str) -> Iterator[Hit]:
    for m in _SE_PLATE.finditer(text):
        if m.group(1) not in _NOT_PLATE:
            yield Hit(Kind.VEHICLE, m.start(), m.end(), m.group().replace(" ", ""), REASONS[Kind.VEHICLE])
    for m in _UK_PLATE.finditer(text):
        yield Hit(Kind.VEHICLE, m.start(), m.end(), m.group().replace(" ", ""), REASONS[Kind.VEHICLE])


def ip_addresses(text: str) -> Iterator[Hit]:
    if "." in text:
        for m in _IPV4.finditer(text):
            if _VERSION_BEFORE.search(text, max(0, m.start() - 10), m.start()):
                continue
            yield from _ip(m)
    if text.count(":") >= 2:
        for m in _IPV6.finditer(text):
            if m.group().count(":") >= 2:
                yield from _ip(m)


def _ip(m: re.Match[str]) -> Iterator[Hit]:
    try:
        address = ipaddress.ip_address(m.group())
    except ValueError:
        return
    yield Hit(Kind.IP, m.start(), m.end(), str(address), REASONS[Kind.IP])


def births(text: str) -> Iterator[Hit]:
    """A date next to a word for birth; the value is the ISO date (own birth-date check)."""
    if _DOB_HINT.search(text) is None:
        return
    for m in _DOB.finditer(text):
        born = parse_date(m.group(1))
        if born is not None:
            yield Hit(Kind.DOB, m.start(1), m.end(1), born.isoformat(), REASONS[Kind.DOB])


def parse_date(value: str) -> date | None:
    """The dates people write: ISO, 8 digits, d.m.y, d/m/y, "23 September 1981", "Sep 23, 1981"."""
    v = value.strip().lower().replace(",", "")
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
            return date.fromisoformat(v)
        if re.fullmatch(r"\d{8}", v):
            return date(int(v[:4]), int(v[4:6]), int(v[6:]))
        m = re.fullmatch(r"(\d{1,2})[./-](\d{1,2})[./-](\d{2,4})", v)
        if m:
            year = int(m.group(3))
            year += 1900 if year < 100 else 0
            return date(year, int(m.group(2)), int(m.group(1)))
        parts = v.replace(".", "").split()
        if len(parts) == 3:
            if parts[0][:1].isdigit():
                day_s, month, year_s = re.sub(r"\D", "", parts[0]), parts[1], parts[2]
            else:
                month, day_s, year_s = parts
            number = _MONTHS.get(month)
            if number:
                return date(int(year_s), number, int(day_s))
    except ValueError:
        return None
    return None

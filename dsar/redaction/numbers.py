"""Identifiers confirmed by a checksum or a strict allocation rule: Swedish personal and
organisation numbers, IBANs, payment cards and UK National Insurance numbers.

Check digits come from python-stdnum and phone numbers from phonenumbers: maintained
rules beat hand-written ones, and a number that fails its checksum is not reported (order
numbers, amounts and dates look like identifiers far more often than they are).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import phonenumbers
from stdnum import iban as _iban
from stdnum import luhn
from stdnum.exceptions import ValidationError
from stdnum.se import orgnr as _orgnr
from stdnum.se import personnummer as _personnummer

from dsar.domain import _NINO
from dsar.redaction.kinds import COORDINATION_REASON, REASONS, Hit, Kind

# 10 or 12 digits with an optional - or + before the last four (personnummer, orgnr).
SE_NUMBER = re.compile(r"(?<![\w-])(\d{6}|\d{8})([-+]?)(\d{4})(?!\w)")
_NINO_CANDIDATE = re.compile(
    r"(?<![A-Za-z0-9])[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])", re.IGNORECASE
)
# An organisation number in VAT form: SE, the ten digits, 01 (a space or none between).
_SE_VAT = re.compile(r"(?<![A-Za-z0-9])SE[ \t]?(\d{6})-?(\d{4})[ \t]?01(?!\d)", re.IGNORECASE)
# An IBAN either in one piece or in the printed groups of four (the last group shorter).
_IBAN_CANDIDATE = re.compile(
    r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}"
    r"(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,3})?)"
    r"(?![A-Za-z0-9])"
)
_CARD_CANDIDATE = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d])")
_CARD_SHAPE = re.compile(r"\d{4}([ -]?)\d{4}\1\d{4}\1\d{4}")
NON_DIGIT = re.compile(r"\D")


def se_numbers(text: str, regions: tuple[str, ...]) -> Iterator[Hit]:
    for m in SE_NUMBER.finditer(text):
        head, sep, tail = m.groups()
        digits = head + tail
        start, end = m.span()
        if len(digits) == 12 and digits.startswith("16") and _is_orgnr(digits[2:]):
            yield Hit(Kind.ORGNR, start, end, digits[2:], REASONS[Kind.ORGNR])
            continue
        if len(digits) == 10 and sep != "+" and _is_orgnr(digits):
            yield Hit(Kind.ORGNR, start, end, digits, REASONS[Kind.ORGNR])
            continue
        key, coordination = personnummer_key(head, sep or "-", tail)
        if key is None:
            continue
        if len(digits) == 10 and not sep and _is_mobile(digits, regions):
            # A bare 07... string is far more often a mobile than a child's personnummer;
            # the phone matcher reports it, so the person's own number is recognised.
            continue
        reason = COORDINATION_REASON if coordination else REASONS[Kind.PERSONNUMMER]
        yield Hit(Kind.PERSONNUMMER, start, end, key, reason)


def _is_orgnr(digits: str) -> bool:
    # The third digit of an orgnr is 2 or more (in a personnummer it starts the month), and
    # none begins with 0 (a bare 07... with a valid Luhn digit is a mobile number).
    return digits[0] != "0" and digits[2] >= "2" and _orgnr.is_valid(digits)


def personnummer_key(head: str, sep: str, tail: str) -> tuple[str | None, bool]:
    """The stored form YYYYMMDD-NNNN (as `normalise_national_id`), and whether it is a
    samordningsnummer (day + 60), which stdnum's personnummer module does not accept."""
    day = int(head[-2:])
    if not 61 <= day <= 91:
        number = f"{head}{sep}{tail}"
        if not _personnummer.is_valid(number):
            return None, False
        return f"{_personnummer.get_birth_date(number):%Y%m%d}-{tail}", False
    try:
        born = _personnummer.get_birth_date(f"{head[:-2]}{day - 60:02d}{sep}{tail}")
    except ValidationError:
        return None, False
    if not luhn.is_valid((head + tail)[-10:]):
        return None, False
    return f"{born:%Y%m}{day:02d}-{tail}", True


def _is_mobile(digits: str, regions: tuple[str, ...]) -> bool:
    if not digits.startswith("07") or "SE" not in regions:
        return False
    try:
        number = phonenumbers.parse(digits, "SE")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number) and (
        phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
    )


def ibans(text: str, shapes: list[tuple[int, int]]) -> Iterator[Hit]:
    """Valid IBANs; the spans of IBAN-shaped strings that fail the check go to `shapes`,
    since a mistyped account number is no card or phone number either."""
    for m in _IBAN_CANDIDATE.finditer(text):
        candidate = m.group()
        # The greedy pattern may take a following word in capitals ("... 7466 TACK"):
        # try shorter group boundaries before giving up.
        while len(candidate.replace(" ", "")) >= 15:
            if _iban.is_valid(candidate):
                compact = candidate.replace(" ", "")
                yield Hit(Kind.IBAN, m.start(), m.start() + len(candidate), compact, REASONS[Kind.IBAN])
                break
            if " " not in candidate:
                shapes.append(m.span())
                break
            candidate = candidate.rsplit(" ", 1)[0]
        else:
            shapes.append(m.span())


def cards(text: str, shapes: list[tuple[int, int]]) -> Iterator[Hit]:
    """Valid card numbers; a card-shaped run (four groups of four) failing the check goes to
    `shapes`: "4859 2472 0609 0078" holds no phone number either."""
    for m in _CARD_CANDIDATE.finditer(text):
        digits = NON_DIGIT.sub("", m.group())
        if luhn.is_valid(digits) and _plausible_issuer(digits):
            yield Hit(Kind.CARD, m.start(), m.end(), digits, REASONS[Kind.CARD])
        elif _CARD_SHAPE.fullmatch(m.group()):
            shapes.append(m.span())


def _plausible_issuer(digits: str) -> bool:
    """Issuer prefixes and lengths (Visa, Mastercard, Amex, Diners, JCB, Discover, UnionPay,
    Maestro): a Luhn-valid run of digits alone is right one time in ten."""
    n = len(digits)
    p2, p3, p4 = int(digits[:2]), int(digits[:3]), int(digits[:4])
    if digits[0] == "4":
        return n in (13, 16, 19)
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:
        return n == 16
    if p2 in (34, 37):
        return n == 15
    if 300 <= p3 <= 305 or p2 in (36, 38, 39):
        return 14 <= n <= 19
    if 3528 <= p4 <= 3589 or p4 == 6011 or 644 <= p3 <= 649 or p2 in (62, 65):
        return 16 <= n <= 19
    if p2 == 50 or 56 <= p2 <= 69:
        return 12 <= n <= 19
    return False


def ninos(text: str) -> Iterator[Hit]:
    for m in _NINO_CANDIDATE.finditer(text):
        compact = m.group().replace(" ", "").upper()
        if _NINO.match(compact):
            yield Hit(Kind.NINO, m.start(), m.end(), compact, REASONS[Kind.NINO])


def vat_numbers(text: str) -> Iterator[Hit]:
    """Swedish VAT numbers (SE5560000001 01): an organisation number, or a sole trader's
    personnummer, with the country prefix and 01 after it."""
    for m in _SE_VAT.finditer(text):
        digits = m.group(1) + m.group(2)
        if luhn.is_valid(digits):
            yield Hit(Kind.ORGNR, m.start(), m.end(), digits, REASONS[Kind.ORGNR])

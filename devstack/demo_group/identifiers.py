"""Identifiers with valid check digits, so validators and redaction patterns accept them,
and phone numbers from the fiction ranges regulators (PTS, Ofcom) set aside.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import date

import phonenumbers
from stdnum import iban as iban_number
from stdnum import luhn


def make_personnummer(born: date, serial: int) -> str:
    body = f"{born:%y%m%d}{serial:03d}"
    return f"{body[:6]}-{body[6:]}{luhn.calc_check_digit(body)}"


def nino(rng: random.Random) -> str:
    digits = f"{rng.randrange(10**6):06d}"
    return f"QQ {digits[:2]} {digits[2:4]} {digits[4:]} {rng.choice('ABCD')}"


_IBAN_FORMATS: dict[str, tuple[tuple[str, ...], int]] = {
    # country: (bank codes, number of account digits after the bank code)
    "SE": (("500", "600", "800", "300"), 17),
    "GB": (("NWBK", "BARC", "LOYD", "HBUK"), 14),
    "DK": (("3000", "5301", "2000"), 10),
    "NO": (("1503", "8601", "9710"), 7),
    "NL": (("ABNA", "RABO", "INGB"), 10),
    "DE": (("37040044", "50010517", "10020030"), 10),
}


def make_iban(rng: random.Random, country: str) -> str:
    banks, length = _IBAN_FORMATS.get(country, _IBAN_FORMATS["NL"])
    if country not in _IBAN_FORMATS:
        country = "NL"
    bban = rng.choice(banks) + "".join(str(rng.randrange(10)) for _ in range(length))
    return f"{country}{iban_number.calc_check_digits(country + '00' + bban)}{bban}"


def spaced(value: str, size: int = 4) -> str:
    return " ".join(value[i : i + size] for i in range(0, len(value), size))


# The card schemes' published test numbers (all pass the Luhn check); never real cards.
TEST_CARDS: tuple[tuple[str, str], ...] = (
    ("visa", "4111111111111111"),
    ("visa", "4012888888881881"),
    ("visa", "4000056655665556"),
    ("mastercard", "5555555555554444"),
    ("mastercard", "5105105105105100"),
    ("mastercard", "2223003122003222"),
    ("amex", "378282246310005"),
)


def words(text: str, separator: str = ", ") -> tuple[str, ...]:
    """Vocabularies are written as one string each; a tuple per line would bury the code."""
    return tuple(word.strip() for word in text.split(separator))


def card_text(number: str) -> str:
    if len(number) == 15:
        return f"{number[:4]} {number[4:10]} {number[10:]}"
    return spaced(number)


def _se_fiction() -> list[str]:
    # PTS: 070-174 06 05..99, 08-465 004 00..99, 031-390 60 00..99, 040-628 04 00..99,
    # 0980-319 20..99 are reserved for use in fiction.
    return (
        [f"+4670174{n:04d}" for n in range(605, 700)]
        + [f"+4684650{n:04d}" for n in range(400, 500)]
        + [f"+4631390{n:04d}" for n in range(6000, 6100)]
        + [f"+4640628{n:04d}" for n in range(400, 500)]
        + [f"+4698031{n:03d}" for n in range(920, 1000)]
    )


def _gb_fiction() -> list[str]:
    # Ofcom's drama numbers. The mobile drama range 07700 900xxx is not a valid number
    # for libphonenumber (so `normalise_phone` would refuse it); the geographic ones are.
    areas = ("113", "114", "115", "116", "117", "118", "121", "131", "141", "151", "161")
    numbers = [f"+44{area}4960{n:03d}" for area in areas for n in range(1000)]
    numbers += [f"+44207946{n:04d}" for n in range(1000)]
    numbers += [f"+441914980{n:03d}" for n in range(1000)]
    numbers += [f"+442920180{n:03d}" for n in range(1000)]
    return numbers


_DK_PREFIXES = words("20 21 22 23 24 25 26 27 28 29 30 31 40 41 42 50 51 52 53 60 61 71 81 91 92 93", " ")
_DE_PREFIXES = words("151 152 157 160 162 163 170 171 172 173 175 176 177 178 179", " ")


class PhoneBook:
    """Hands out unique, valid E.164 numbers, fiction ranges first."""

    def __init__(self, rng: random.Random, reserved: Iterable[str]) -> None:
        self._rng = rng
        self._used = set(reserved)
        self._pools: dict[str, list[str]] = {"SE": _se_fiction(), "GB": _gb_fiction()}
        for pool in self._pools.values():
            rng.shuffle(pool)

    def _candidate(self, country: str) -> str:
        rng = self._rng
        pool = self._pools.get(country)
        while pool:
            number = pool.pop()
            if number not in self._used:
                return number
        if country == "SE":
            return f"+467{rng.choice('02369')}{rng.randrange(10**7):07d}"
        if country == "GB":
            return f"+447{rng.choice('45789')}{rng.randrange(10**8):08d}"
        if country == "DK":
            return f"+45{rng.choice(_DK_PREFIXES)}{rng.randrange(10**6):06d}"
        if country == "NO":
            return f"+47{rng.choice('49')}{rng.randrange(10**7):07d}"
        if country == "DE":
            digits = rng.choice((7, 8))
            return f"+49{rng.choice(_DE_PREFIXES)}{rng.randrange(10**digits):0{digits}d}"
        return f"+316{rng.randrange(10**8):08d}"

    def take(self, country: str) -> str:
        for _ in range(1000):
            number = self._candidate(country)
            if number in self._used:
                continue
            if phonenumbers.is_valid_number(phonenumbers.parse(number)):
                self._used.add(number)
                return number
        raise RuntimeError(f"no free phone number for {country}")


def national_format(phone: str) -> str:
    return phonenumbers.format_number(phonenumbers.parse(phone), phonenumbers.PhoneNumberFormat.NATIONAL)


def spoken_phone(rng: random.Random, phone: str) -> str:
    """Free text quotes numbers the way people write them, not in E.164."""
    return national_format(phone) if rng.random() < 0.6 else phone

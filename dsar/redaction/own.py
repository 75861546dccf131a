"""The requesting person's own identifiers, normalised the way the detector reports values,
so that none of them is ever redacted from their own copy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

import phonenumbers

from dsar.domain import _NINO, SubjectIdentity
from dsar.redaction.numbers import SE_NUMBER, personnummer_key

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class OwnIdentifiers:
    """The requesting person's own identifiers, normalised, so they are never redacted."""

    emails: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()  # E.164
    national_ids: frozenset[str] = frozenset()  # YYYYMMDD-NNNN, or a compact NINO
    customer_numbers: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()  # lower-cased, single spaces
    postcodes: frozenset[str] = frozenset()  # compact, upper case: her address is never removed
    birth_dates: frozenset[str] = frozenset()  # ISO dates

    @cached_property
    def name_parts(self) -> frozenset[str]:
        """Her given name or surname alone ("Lovisa:" in a chat) is hers too."""
        return frozenset(part for name in self.names for part in name.split(" "))

    @classmethod
    def of(
        cls,
        *,
        emails: Iterable[str] = (),
        phones: Iterable[str] = (),
        national_ids: Iterable[str] = (),
        customer_numbers: Iterable[str] = (),
        names: Iterable[str] = (),
        postcodes: Iterable[str] = (),
        birth_dates: Iterable[str] = (),
    ) -> OwnIdentifiers:
        """Accepts identifiers as people write them; a person often has several of each."""
        return cls(
            emails=frozenset(e.strip().lower() for e in emails if e.strip()),
            phones=frozenset(p for p in (_e164(x) for x in phones) if p),
            national_ids=frozenset(n for n in (_national_id_key(x) for x in national_ids) if n),
            customer_numbers=frozenset(compact(c) for c in customer_numbers if c.strip()),
            names=frozenset(name_key(n) for n in names if n.strip()),
            postcodes=frozenset(compact(p) for p in postcodes if p.strip()),
            birth_dates=frozenset(_birth_dates(birth_dates, national_ids)),
        )

    @classmethod
    def from_identity(cls, identity: SubjectIdentity) -> OwnIdentifiers:
        return cls.of(
            emails=[identity.email],
            phones=[identity.phone] if identity.phone else [],
            national_ids=[identity.national_id] if identity.national_id else [],
            customer_numbers=[identity.customer_number] if identity.customer_number else [],
            names=[identity.full_name],
            postcodes=[identity.postcode] if identity.postcode else [],
        )


def name_key(name: str) -> str:
    return _SPACES.sub(" ", name.strip()).lower()


def compact(value: str) -> str:
    return re.sub(r"[\s\-]", "", value).upper()


def _e164(value: str) -> str | None:
    try:
        number = phonenumbers.parse(value.strip(), "SE")
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _national_id_key(value: str) -> str | None:
    compact = re.sub(r"\s", "", value).upper()
    if _NINO.match(compact):
        return compact
    m = SE_NUMBER.fullmatch(compact)
    if not m:
        return None
    head, sep, tail = m.groups()
    return personnummer_key(head, sep or "-", tail)[0]


def _birth_dates(written: Iterable[str], national_ids: Iterable[str]) -> Iterator[str]:
    """Her birth date as written in records, and as her personnummer gives it."""
    from dsar.redaction.shapes import parse_date

    for value in written:
        born = parse_date(value)
        if born is not None:
            yield born.isoformat()
    for value in national_ids:
        key = _national_id_key(value)
        if key and key[:8].isdigit():
            day = int(key[6:8])
            day -= 60 if day > 60 else 0  # samordningsnummer
            yield f"{key[:4]}-{key[4:6]}-{day:02d}"

"""The rows being generated (per company and table, in insertion order, which fixes the
ids) and the helpers every generator uses.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from ipaddress import IPv4Address, IPv6Address

from devstack.demo_group.base import Row
from devstack.demo_group.identifiers import TEST_CARDS, card_text, spaced, spoken_phone
from devstack.demo_group.locales import Locale
from devstack.demo_group.persons import Membership, Person
from devstack.demo_group.schemas import COLUMNS


def random_between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    if end <= start:
        return start
    seconds = int((end - start).total_seconds())
    return start + timedelta(seconds=rng.randrange(seconds))


def at_hour(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def money(value: float) -> Decimal:
    return (Decimal(round(value * 100)) / 100).quantize(Decimal("0.01"))


def add_months(day: date, months: int) -> date:
    years, month = divmod(day.month - 1 + months, 12)
    return date(day.year + years, month + 1, min(day.day, 28))


def random_uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def documentation_ip(rng: random.Random) -> IPv4Address | IPv6Address:
    # Documentation ranges (RFC 5737, RFC 3849): never someone's real address.
    if rng.random() < 0.15:
        return IPv6Address("2001:db8::") + rng.getrandbits(64)
    base = rng.choice(("192.0.2.0", "198.51.100.0", "203.0.113.0"))
    return IPv4Address(base) + rng.randrange(1, 255)


class Mentions:
    """Picks the other people whose details end up in someone's free text."""

    def __init__(self, people: Sequence[Person]) -> None:
        self._people = list(people)
        self._by_country: dict[str, list[Person]] = {}
        for person in people:
            self._by_country.setdefault(person.country, []).append(person)

    def fields(
        self, rng: random.Random, subject: Person, country: str | None = None
    ) -> dict[str, str] | None:
        pool = self._by_country.get(country, []) if country else self._people
        if len(pool) < 2:
            return None
        other = subject
        while other is subject:
            other = rng.choice(pool)
        _, card = rng.choice(TEST_CARDS)
        return {
            "name": other.full_name,
            "email": other.email,
            "phone": spoken_phone(rng, other.phone),
            "national_id": other.national_id or "",
            "iban": spaced(other.iban) if rng.random() < 0.7 else other.iban,
            "card": card_text(card) if rng.random() < 0.7 else card,
        }


class Dataset:
    """Rows per company and table, in insertion order (which fixes the ids)."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, list[Row]]] = {}
        self._sequences: dict[tuple[str, str], int] = {}

    def add(self, company: str, table: str, **values: object) -> None:
        columns = COLUMNS[table]
        if len(values) != len(columns):
            raise AssertionError(f"{table}: {sorted(set(columns) ^ set(values))}")
        self.rows.setdefault(company, {}).setdefault(table, []).append(
            tuple(values[name] for name in columns)
        )

    def next_number(self, company: str, kind: str) -> int:
        key = (company, kind)
        self._sequences[key] = self._sequences.get(key, 0) + 1
        return self._sequences[key]


@dataclass
class Context:
    data: Dataset
    rng: random.Random
    person: Person
    membership: Membership
    locale: Locale
    company: str
    mentions: Mentions | None

    def mention(self, country: str | None = None, chance: float = 0.4) -> dict[str, str] | None:
        if self.mentions is None or self.rng.random() >= chance:
            return None
        return self.mentions.fields(self.rng, self.person, country)

"""The people of the demo: the well-known ones and a random crowd, each with the companies
and system families they are in.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from devstack.demo_group.identifiers import PhoneBook, make_iban, make_personnummer, nino
from devstack.demo_group.names import (
    COUNTRIES,
    COUNTRY_WEIGHTS,
    DOMAINS,
    EMPLOYER_SUFFIXES,
    FIRST_NAMES,
    INDUSTRIES,
    JOB_TITLES,
    LAST_NAMES,
    PLACES,
    STREETS,
)
from devstack.demo_group.people import DEMO_PEOPLE


def _ascii(text: str) -> str:
    text = text.lower().replace("ø", "o").replace("æ", "ae").replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in text if ch.isalnum())


@dataclass
class Membership:
    """What one person is at one company: which systems hold them, since when."""

    company: str
    customer: bool
    since: datetime
    families: tuple[str, ...]


@dataclass
class Person:
    first: str
    last: str
    country: str
    email: str
    phone: str
    customer_number: str | None
    born: date
    national_id: str | None
    iban: str
    employer: str
    job_title: str
    industry: str
    street: str
    postcode: str
    city: str
    latitude: float
    longitude: float
    memberships: list[Membership] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def address(self) -> str:
        return f"{self.street}\n{self.postcode} {self.city}"


def _postcode(rng: random.Random, country: str, prefix: str) -> str:
    if country == "SE":
        return f"{prefix}{rng.randrange(10)} {rng.randrange(100):02d}"
    if country == "GB":
        return f"{prefix} {rng.randrange(1, 10)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}" + rng.choice(
            "ABDEFGHJLNPQRSTUWXYZ"
        )
    if country == "NL":
        letters = rng.choice("ABCDEGHJKLMNPRSTVWXZ") + rng.choice("ABCDEGHJKLMNPRSTVWXZ")
        return f"{prefix}{rng.randrange(10, 100)} {letters}"
    width = 4 if country in ("DK", "NO") else 5
    return f"{prefix}{rng.randrange(10 ** (width - len(prefix))):0{width - len(prefix)}d}"


def _street(rng: random.Random, country: str) -> str:
    name, number = rng.choice(STREETS[country]), rng.randrange(1, 120)
    return f"{number} {name}" if country == "GB" else f"{name} {number}"


def _national_id(rng: random.Random, country: str, born: date) -> str | None:
    if country == "SE":
        return make_personnummer(born, rng.randrange(1000))
    if country == "GB":
        return nino(rng)
    return None


def language_of(country: str) -> str:
    return "sv" if country == "SE" else "en"


def random_person(
    rng: random.Random,
    phonebook: PhoneBook,
    used_emails: set[str],
    reserved_names: set[str],
) -> Person:
    country = rng.choices(COUNTRIES, COUNTRY_WEIGHTS)[0]
    while True:
        first = rng.choice(FIRST_NAMES[country])
        last = rng.choice(LAST_NAMES[country])
        if f"{first} {last}" not in reserved_names:
            break
    given, family = _ascii(first), _ascii(last)
    local = rng.choice(
        (
            f"{given}.{family}",
            f"{given}{family}",
            f"{given[0]}.{family}",
            f"{given}.{family[0]}",
            f"{family}.{given}",
            f"{given}_{family}",
        )
    )
    domain = rng.choice(DOMAINS)
    email = f"{local}@{domain}"
    suffix = 1
    while email in used_emails:
        suffix += 1
        email = f"{local}{suffix}@{domain}"
    used_emails.add(email)
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 53))
    city, prefix, lat, lon = rng.choice(PLACES[country])
    owner = last if rng.random() < 0.4 else rng.choice(LAST_NAMES[country])
    return Person(
        first=first,
        last=last,
        country=country,
        email=email,
        phone=phonebook.take(country),
        customer_number=None,
        born=born,
        national_id=_national_id(rng, country, born),
        iban=make_iban(rng, country),
        employer=f"{owner} {rng.choice(EMPLOYER_SUFFIXES[country])}",
        job_title=rng.choice(JOB_TITLES[language_of(country)]),
        industry=rng.choice(INDUSTRIES),
        street=_street(rng, country),
        postcode=_postcode(rng, country, prefix),
        city=city,
        latitude=lat,
        longitude=lon,
    )


def well_known() -> list[Person]:
    """The people of `DEMO_PEOPLE` with the details the tables need, fixed by hand."""
    by_email = {p.email: p for p in DEMO_PEOPLE}

    def person(
        email: str,
        country: str,
        born: date,
        national_id: str | None,
        iban: str,
        employer: str,
        job_title: str,
        industry: str,
        street: str,
        postcode: str,
        city: str,
        place: tuple[float, float],
        memberships: list[Membership],
    ) -> Person:
        demo = by_email[email]
        first, last = demo.full_name.split(" ", 1)
        return Person(
            first,
            last,
            country,
            demo.email,
            demo.phone,
            demo.customer_number,
            born,
            national_id,
            iban,
            employer,
            job_title,
            industry,
            street,
            postcode,
            city,
            place[0],
            place[1],
            memberships,
        )

    def since(year: int, month: int, day: int) -> datetime:
        return datetime(year, month, day, 9, 30, tzinfo=UTC)

    return [
        person(
            "astrid.lindqvist@example.se",
            "SE",
            date(1979, 3, 14),
            make_personnummer(date(1979, 3, 14), 182),
            "SE3550000000054910000003",
            "Lindqvist Fastighetsservice AB",
            "Servicechef",
            "property services",
            "Sveavägen 44",
            "111 34",
            "Stockholm",
            (59.3293, 18.0686),
            [
                Membership("gb01", True, since(2019, 4, 2), ("crm", "events", "support", "marketing", "web")),
                Membership(
                    "se01", True, since(2018, 2, 12), ("crm", "billing", "support", "marketing", "app")
                ),
                Membership("dk01", False, since(2026, 8, 1), ("events",)),
            ],
        ),
        person(
            "oliver.bennett@example.com",
            "GB",
            date(1984, 11, 2),
            "QQ 12 34 56 C",
            "GB29NWBK60161331926819",
            "Bennett Joinery Ltd",
            "Owner",
            "construction",
            "7 Mill Lane",
            "LN6 3DG",
            "Lincoln",
            (53.2307, -0.5406),
            [Membership("gb01", True, since(2017, 5, 8), ("crm", "billing", "support", "marketing", "web"))],
        ),
        person(
            "sanne.devries@example.org",
            "NL",
            date(1990, 6, 21),
            None,
            "NL91ABNA0417164300",
            "de Vries Installatietechniek B.V.",
            "Office Manager",
            "plumbing and heating",
            "Kerkstraat 12",
            "3511 LX",
            "Utrecht",
            (52.0907, 5.1214),
            [Membership("nl01", True, since(2021, 9, 1), ("crm", "billing", "web"))],
        ),
        person(
            "karin.odmark@example.net",
            "SE",
            date(1968, 12, 30),
            make_personnummer(date(1968, 12, 30), 248),
            "SE4550000000058398257466",
            "Ödmark Redovisning AB",
            "Ekonomichef",
            "field service",
            "Storgatan 3",
            "903 26",
            "Umeå",
            (63.8258, 20.2630),
            [],
        ),
        person(
            "johan.berg@example.com",
            "SE",
            date(1975, 8, 9),
            make_personnummer(date(1975, 8, 9), 335),
            "SE7280000810340009783242",
            "Berg Bygg & Montage AB",
            "VD",
            "construction",
            "Industrivägen 8",
            "417 05",
            "Göteborg",
            (57.7089, 11.9746),
            [Membership("se01", True, since(2020, 1, 15), ("crm", "billing", "support"))],
        ),
        person(
            "emma.clarke@example.org",
            "GB",
            date(1988, 2, 17),
            "QQ 65 43 21 A",
            "GB82WEST12345698765432",
            "Clarke Facilities Ltd",
            "Finance Manager",
            "property services",
            "21 Station Road",
            "LS1 4AP",
            "Leeds",
            (53.8008, -1.5491),
            [Membership("gb01", True, since(2022, 3, 1), ("crm", "billing", "events"))],
        ),
    ]

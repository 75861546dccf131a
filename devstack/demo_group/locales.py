"""Per-company flavour: each company's language, staff, service desk and events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from dsar.group import Company


@dataclass(frozen=True)
class _Event:
    code: str
    name: str
    day: date
    venue: str
    city: str


@dataclass(frozen=True)
class Locale:
    language: str
    currency: str
    vat_rate: Decimal
    price_factor: float
    service_phone: str
    web_prefix: str
    staff: tuple[str, ...]
    brand: str
    events: tuple[_Event, ...]


def _events(code: str, specs: Sequence[tuple[str, date, str, str]]) -> tuple[_Event, ...]:
    return tuple(
        _Event(f"{code.upper()}-EV{index + 1:02d}", name, day, venue, city)
        for index, (name, day, venue, city) in enumerate(specs)
    )


def company_locale(company: Company) -> Locale:
    code = company.code
    if company.country == "SE":
        return Locale(
            "sv",
            "SEK",
            Decimal("0.25"),
            11.2,
            "+46846500499",
            "/sv-se",
            ("Karin Holm", "Mats Sundberg", "Leila Haddad"),
            "Skärgården",
            _events(
                code,
                [
                    ("Kundträff Stockholm 2019", date(2019, 10, 3), "Münchenbryggeriet", "Stockholm"),
                    ("Affärssystemdagen 2023", date(2023, 4, 20), "Svenska Mässan", "Göteborg"),
                    ("Kundträff Malmö 2025", date(2025, 9, 11), "Malmö Live", "Malmö"),
                    ("Affärssystemdagen 2026", date(2026, 12, 2), "Waterfront", "Stockholm"),
                ],
            ),
        )
    if company.country == "DK":
        return Locale(
            "en",
            "DKK",
            Decimal("0.25"),
            7.46,
            "+4570101999",
            "/da-dk",
            ("Pernille Holm", "Jesper Kjeldsen"),
            "Nyhavn",
            _events(
                code,
                [
                    ("Kundedag 2019", date(2019, 11, 7), "Tivoli Congress Center", "København"),
                    ("Nordic ERP Forum 2023", date(2023, 5, 24), "Aarhus Congress Center", "Aarhus"),
                    ("Kundedag 2025", date(2025, 3, 27), "Odense Congress Center", "Odense"),
                    ("Nordic ERP Forum 2026", date(2026, 9, 17), "Bella Center", "København"),
                ],
            ),
        )
    if company.country == "GB":
        return Locale(
            "en",
            "GBP",
            Decimal("0.20"),
            0.86,
            "+442079460999",
            "/en-gb",
            ("Rachel Turner", "Imran Shah", "Fiona McKay"),
            "ECI",
            _events(
                code,
                [
                    ("ECI Connect 2018", date(2018, 10, 11), "ExCeL", "London"),
                    ("Field Service Live 2019", date(2019, 5, 22), "NEC", "Birmingham"),
                    ("ECI Connect 2022", date(2022, 10, 6), "Manchester Central", "Manchester"),
                    ("Build & Trade Roadshow 2023", date(2023, 3, 15), "Royal Armouries", "Leeds"),
                    ("ECI Connect 2024", date(2024, 10, 10), "ICC", "Birmingham"),
                    ("Customer Day 2025", date(2025, 6, 12), "Eden House", "Lincoln"),
                    ("ECI Connect 2026", date(2026, 10, 8), "ExCeL", "London"),
                    ("Winter Customer Forum 2026", date(2026, 12, 3), "The Lowry", "Salford"),
                ],
            ),
        )
    return Locale(
        "en",
        "EUR",
        Decimal("0.21"),
        1.0,
        "+31201234999",
        "/nl-nl",
        ("Bas van der Meer", "Esther Kuipers"),
        company.legal_name.split()[0],
        _events(
            code,
            [
                ("Klantendag 2022", date(2022, 6, 9), "Jaarbeurs", "Utrecht"),
                ("Klantendag 2025", date(2025, 6, 5), "Evoluon", "Eindhoven"),
            ],
        ),
    )

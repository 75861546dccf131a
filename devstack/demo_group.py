"""Seeds the demo group's company databases with invented but realistic people.

A rights-request product cannot be judged on empty databases: collection, review and
redaction only show their worth when one person is spread over several companies and
systems, and when their records quote other people (a colleague's phone number in a
support ticket, someone else's personnummer in a payroll question). So this module fills
one PostgreSQL database per company of the registry (`demo_<code>`) with a few hundred
people whose rows follow the categories of the group's privacy notice.

Everything is derived from `random.Random(seed)` and a fixed "as of" date, so two runs
produce the same rows and the same ids; tests and the README can rely on the well-known
people in `DEMO_PEOPLE`, whose rows are generated apart from the random crowd so that
changing the crowd's size or seed never moves them.

No real person is meant to be in here: e-mail domains are the reserved example.* ones,
Swedish and UK phone numbers come from the ranges the regulators (PTS, Ofcom) set aside
for fiction, IP addresses from the documentation ranges, card numbers are the payment
industry's public test numbers and national insurance numbers use the specimen prefix QQ.
"""

from __future__ import annotations

import asyncio
import json
import random
import unicodedata
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from ipaddress import IPv4Address, IPv6Address
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import phonenumbers
import structlog
from stdnum import iban as iban_number
from stdnum import luhn

from casestore.db import quote_ident
from dsar.domain import IdentityKey
from dsar.group import Company, GroupRegistry, SystemKind

__all__ = [
    "DEMO_PEOPLE",
    "DemoPerson",
    "company_database",
    "company_dsn",
    "demo_person",
    "seed_demo_group",
]

log = structlog.get_logger(__name__)

Row = tuple[object, ...]

# The data is a snapshot "as of" this moment, never the wall clock, so that every run
# (and every machine) produces byte-identical rows.
AS_OF = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
_EPOCH = datetime(2017, 1, 2, 8, 0, tzinfo=UTC)

# Serialises schema creation and loading between concurrent seeders (two workers starting).
_LOCK_ID = 0x44454D4F  # "DEMO"


# ---------------------------------------------------------------------------
# Public API: the well-known people
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoPerson:
    """A person tests and the README can name, with where the seeder put their data."""

    full_name: str
    email: str
    phone: str
    customer_number: str | None
    companies: tuple[str, ...]


DEMO_PEOPLE: list[DemoPerson] = [
    # A customer of three companies and nine systems; her support tickets quote Johan
    # Berg, Emma Clarke and her colleague Lars Ek (phone and personnummer).
    DemoPerson(
        "Astrid Lindqvist",
        "astrid.lindqvist@example.se",
        "+46701740605",
        "C-100001",
        ("gb01", "se01", "dk01"),
    ),
    # Only the controller knows him.
    DemoPerson("Oliver Bennett", "oliver.bennett@example.com", "+442079460123", "C-100002", ("gb01",)),
    # Only one affiliate knows her.
    DemoPerson("Sanne de Vries", "sanne.devries@example.org", "+31612345678", "C-100003", ("nl01",)),
    # Nobody knows her: the "no data found" case.
    DemoPerson("Karin Ödmark", "karin.odmark@example.net", "+46701740606", None, ()),
    # Customers of one company each, quoted in Astrid's tickets.
    DemoPerson("Johan Berg", "johan.berg@example.com", "+46701740607", "C-100004", ("se01",)),
    DemoPerson("Emma Clarke", "emma.clarke@example.org", "+441134960001", "C-100005", ("gb01",)),
]

# Astrid's colleague: never a data subject of his own, only quoted in her tickets.
_COLLEAGUE_NAME = "Lars Ek"
_COLLEAGUE_PHONE = "+46701740608"


def demo_person(email: str) -> DemoPerson:
    """Look a well-known person up the way a request arrives: by e-mail, in any case."""
    wanted = email.strip().lower()
    for person in DEMO_PEOPLE:
        if person.email == wanted:
            return person
    raise KeyError(email)


# ---------------------------------------------------------------------------
# Table schemas the seeder knows; the registry may use any subset of them
# ---------------------------------------------------------------------------

_SCHEMAS: dict[str, tuple[tuple[str, str], ...]] = {
    "crm_customers": (
        ("customer_number", "text NOT NULL"),
        ("full_name", "text NOT NULL"),
        ("email", "text"),
        ("phone", "text"),
        ("company_name", "text"),
        ("job_title", "text"),
        ("industry", "text"),
        ("street", "text"),
        ("postcode", "text"),
        ("city", "text"),
        ("country", "char(2)"),
        ("preferred_language", "text"),
        ("customer_since", "date NOT NULL"),
        ("status", "text NOT NULL"),
        ("credit_limit", "numeric(12,2)"),
        ("created_at", "timestamptz NOT NULL"),
        ("updated_at", "timestamptz NOT NULL"),
    ),
    "crm_notes": (
        ("customer_number", "text NOT NULL"),
        ("author", "text NOT NULL"),
        ("channel", "text NOT NULL"),
        ("body", "text NOT NULL"),
        ("created_at", "timestamptz NOT NULL"),
    ),
    "billing_invoices": (
        ("invoice_number", "text NOT NULL UNIQUE"),
        ("customer_number", "text NOT NULL"),
        ("billing_name", "text NOT NULL"),
        ("billing_email", "text"),
        ("billing_address", "text"),
        ("issued_on", "date NOT NULL"),
        ("due_on", "date NOT NULL"),
        ("currency", "char(3) NOT NULL"),
        ("net_amount", "numeric(12,2) NOT NULL"),
        ("vat_amount", "numeric(12,2) NOT NULL"),
        ("total_amount", "numeric(12,2) NOT NULL"),
        ("status", "text NOT NULL"),
        ("paid_on", "date"),
        ("lines", "jsonb NOT NULL"),
    ),
    "billing_payments": (
        ("invoice_number", "text NOT NULL"),
        ("customer_number", "text NOT NULL"),
        ("payer_name", "text"),
        ("method", "text NOT NULL"),
        ("card_brand", "text"),
        ("card_last4", "text"),
        ("iban", "text"),
        ("provider", "text NOT NULL"),
        ("provider_reference", "text NOT NULL"),
        ("amount", "numeric(12,2) NOT NULL"),
        ("currency", "char(3) NOT NULL"),
        ("paid_at", "timestamptz NOT NULL"),
        ("risk_check", "jsonb"),
    ),
    "events_registrations": (
        ("event_code", "text NOT NULL"),
        ("event_name", "text NOT NULL"),
        ("event_date", "date NOT NULL"),
        ("venue", "text"),
        ("city", "text"),
        ("full_name", "text NOT NULL"),
        ("email", "text"),
        ("phone", "text"),
        ("company_name", "text"),
        ("industry", "text"),
        ("ticket_price", "numeric(10,2) NOT NULL"),
        ("currency", "char(3) NOT NULL"),
        ("paid", "boolean NOT NULL"),
        ("card_last4", "text"),
        ("dietary_requirements", "text"),
        ("attendee_note", "text"),
        ("share_on_attendee_list", "boolean NOT NULL"),
        ("photo_consent", "boolean NOT NULL"),
        ("registered_at", "timestamptz NOT NULL"),
        ("checked_in_at", "timestamptz"),
    ),
    "events_attendee_lists": (
        ("event_code", "text NOT NULL"),
        ("full_name", "text NOT NULL"),
        ("job_title", "text"),
        ("company_name", "text"),
        ("email", "text"),
        ("shared_with", "text NOT NULL"),
        ("shared_at", "timestamptz NOT NULL"),
    ),
    "support_tickets": (
        ("ticket_number", "text NOT NULL UNIQUE"),
        ("customer_number", "text"),
        ("requester_name", "text NOT NULL"),
        ("requester_email", "text"),
        ("requester_phone", "text"),
        ("channel", "text NOT NULL"),
        ("product", "text"),
        ("subject", "text NOT NULL"),
        ("body", "text NOT NULL"),
        ("status", "text NOT NULL"),
        ("priority", "text NOT NULL"),
        ("opened_at", "timestamptz NOT NULL"),
        ("closed_at", "timestamptz"),
    ),
    "support_messages": (
        ("ticket_number", "text NOT NULL"),
        ("direction", "text NOT NULL"),
        ("author_name", "text NOT NULL"),
        ("author_email", "text"),
        ("body", "text NOT NULL"),
        ("sent_at", "timestamptz NOT NULL"),
    ),
    "marketing_preferences": (
        ("email", "text NOT NULL"),
        ("phone", "text"),
        ("full_name", "text"),
        ("postal_address", "text"),
        ("email_opt_in", "boolean NOT NULL"),
        ("email_opt_in_at", "timestamptz"),
        ("sms_opt_in", "boolean NOT NULL"),
        ("sms_opt_in_at", "timestamptz"),
        ("post_opt_in", "boolean NOT NULL"),
        ("legal_basis", "text NOT NULL"),
        ("source", "text NOT NULL"),
        ("unsubscribed_at", "timestamptz"),
        ("updated_at", "timestamptz NOT NULL"),
    ),
    "marketing_email_events": (
        ("email", "text NOT NULL"),
        ("campaign", "text NOT NULL"),
        ("event", "text NOT NULL"),
        ("link_url", "text"),
        ("occurred_at", "timestamptz NOT NULL"),
    ),
    "marketing_broker_leads": (
        ("broker", "text NOT NULL"),
        ("broker_record_id", "text NOT NULL"),
        ("full_name", "text"),
        ("job_title", "text"),
        ("company_name", "text"),
        ("company_size", "text"),
        ("industry", "text"),
        ("email", "text"),
        ("phone", "text"),
        ("acquired_at", "timestamptz NOT NULL"),
        ("licence_expires_on", "date"),
        ("attributes", "jsonb NOT NULL"),
    ),
    "app_location_pings": (
        ("user_email", "text NOT NULL"),
        ("device_id", "uuid NOT NULL"),
        ("recorded_at", "timestamptz NOT NULL"),
        ("latitude", "numeric(9,6)"),
        ("longitude", "numeric(9,6)"),
        ("accuracy_m", "integer"),
        ("service_call_ref", "text"),
        ("location_consent", "boolean NOT NULL"),
    ),
    "app_usage_events": (
        ("user_email", "text NOT NULL"),
        ("device_id", "uuid NOT NULL"),
        ("platform", "text NOT NULL"),
        ("app_version", "text NOT NULL"),
        ("event_type", "text NOT NULL"),
        ("search_query", "text"),
        ("result_count", "integer"),
        ("suggestion", "text"),
        ("occurred_at", "timestamptz NOT NULL"),
    ),
    "web_page_views": (
        ("cookie_id", "text NOT NULL"),
        ("user_email", "text"),
        ("ip", "inet NOT NULL"),
        ("user_agent", "text"),
        ("browser", "text"),
        ("browser_version", "text"),
        ("os", "text"),
        ("screen_resolution", "text"),
        ("timezone", "text"),
        ("plugins", "jsonb"),
        ("url", "text NOT NULL"),
        ("referrer", "text"),
        ("event_type", "text NOT NULL"),
        ("response_ms", "integer"),
        ("visit_seconds", "integer"),
        ("occurred_at", "timestamptz NOT NULL"),
    ),
    "web_call_log": (
        ("caller_phone", "text NOT NULL"),
        ("called_number", "text NOT NULL"),
        ("started_at", "timestamptz NOT NULL"),
        ("duration_seconds", "integer NOT NULL"),
        ("last_page_url", "text"),
        ("agent", "text"),
    ),
    "web_cookies": (
        ("cookie_id", "text NOT NULL UNIQUE"),
        ("user_email", "text"),
        ("first_seen", "timestamptz NOT NULL"),
        ("last_seen", "timestamptz NOT NULL"),
        ("consent", "jsonb NOT NULL"),
        ("user_agent", "text"),
    ),
}

_COLUMNS: dict[str, tuple[str, ...]] = {
    table: tuple(name for name, _ in columns) for table, columns in _SCHEMAS.items()
}

# A system's tables share a prefix; the prefix is the unit a person is "in" or not.
_FAMILIES = ("crm", "billing", "events", "support", "marketing", "app", "web")


def _family(table: str) -> str:
    return table.split("_", 1)[0]


# Restriction (Art. 18): every table carries the flag the systems' own exports honour. It is
# not among the generated columns (`_COLUMNS`): loading leaves it at its default.
RESTRICTION_COLUMN = "processing_restricted"


def _create_table_sql(table: str) -> str:
    columns = ", ".join(f"{quote_ident(name)} {kind}" for name, kind in _SCHEMAS[table])
    return (
        f"CREATE TABLE IF NOT EXISTS {quote_ident(table)} "
        f"(id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, {columns}, "
        f"{quote_ident(RESTRICTION_COLUMN)} boolean NOT NULL DEFAULT false)"
    )


def _add_flag_sql(table: str, column: str) -> str:
    """For databases seeded before the flag existed (or a system naming its own flag column)."""
    return (
        f"ALTER TABLE {quote_ident(table)} ADD COLUMN IF NOT EXISTS {quote_ident(column)}"
        " boolean NOT NULL DEFAULT false"
    )


def _suppression_table_sql(table: str) -> str:
    """The list a company's mailings check before sending (objection to direct marketing)."""
    return (
        f"CREATE TABLE IF NOT EXISTS {quote_ident(table)} (value text PRIMARY KEY,"
        " kind text NOT NULL CHECK (kind IN ('email', 'phone')),"
        " added_at timestamptz NOT NULL DEFAULT now(), source text)"
    )


@dataclass(frozen=True)
class _Extras:
    """What a company's systems need beyond their tables: flag columns and suppression lists."""

    flags: dict[str, frozenset[str]] = field(default_factory=dict)
    suppression_tables: tuple[str, ...] = ()


def _company_extras(company: Company) -> _Extras:
    flags: dict[str, set[str]] = {}
    suppression: list[str] = []
    for system in company.systems:
        if system.kind is not SystemKind.POSTGRES:
            continue
        for mapping in system.tables:
            flags.setdefault(mapping.table, set()).add(system.restriction_column)
        if system.suppression_table and system.suppression_table not in suppression:
            suppression.append(system.suppression_table)
    return _Extras({t: frozenset(c) for t, c in flags.items()}, tuple(suppression))


def _export_views_sql(tables: Iterable[str], suppression_tables: Sequence[str]) -> list[str]:
    """Views standing in for the systems' own exports, which leave restricted and suppressed
    people out: what a mailing or an analytics feed would actually read."""
    present = set(tables)
    flag = quote_ident(RESTRICTION_COLUMN)
    views: list[str] = []
    if "marketing_preferences" in present:
        suppressed = "".join(
            f" AND NOT EXISTS (SELECT 1 FROM {quote_ident(s)} AS s"  # noqa: S608
            " WHERE s.value = lower(p.email) OR s.value = p.phone)"
            for s in suppression_tables
        )
        views.append(
            "CREATE OR REPLACE VIEW marketing_export AS SELECT p.* FROM marketing_preferences AS p"  # noqa: S608
            f" WHERE p.email_opt_in AND NOT p.{flag}{suppressed}"
        )
    parts = [
        f"SELECT '{table}'::text AS source_table, id, user_email, event_type, occurred_at"  # noqa: S608
        f" FROM {quote_ident(table)} WHERE NOT {flag}"
        for table in ("web_page_views", "app_usage_events")
        if table in present
    ]
    if parts:
        views.append("CREATE OR REPLACE VIEW analytics_export AS " + " UNION ALL ".join(parts))
    return views


def _company_tables(company: Company) -> dict[str, dict[IdentityKey, str]]:
    """The tables of a company's PostgreSQL systems, checked against the known schemas.

    A registry edit that names a table or column the seeder cannot create should fail here,
    with the name, rather than as a missing-column error in the middle of a request.
    """
    tables: dict[str, dict[IdentityKey, str]] = {}
    for system in company.systems:
        if system.kind is not SystemKind.POSTGRES:
            continue
        for mapping in system.tables:
            if mapping.table not in _SCHEMAS:
                raise ValueError(
                    f"{company.code}/{system.code}: the demo seeder has no schema for table {mapping.table}"
                )
            known = {"id", *_COLUMNS[mapping.table]}
            missing = sorted({mapping.key_column, *mapping.match.values()} - known)
            if missing:
                raise ValueError(
                    f"{company.code}/{system.code}: table {mapping.table} has no column(s) "
                    f"{', '.join(missing)}"
                )
            tables.setdefault(mapping.table, {}).update(mapping.match)
    return tables


# ---------------------------------------------------------------------------
# Identifiers with valid check digits, so validators and redaction patterns accept them
# ---------------------------------------------------------------------------


def _personnummer(born: date, serial: int) -> str:
    body = f"{born:%y%m%d}{serial:03d}"
    return f"{body[:6]}-{body[6:]}{luhn.calc_check_digit(body)}"


def _nino(rng: random.Random) -> str:
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


def _iban(rng: random.Random, country: str) -> str:
    banks, length = _IBAN_FORMATS.get(country, _IBAN_FORMATS["NL"])
    if country not in _IBAN_FORMATS:
        country = "NL"
    bban = rng.choice(banks) + "".join(str(rng.randrange(10)) for _ in range(length))
    return f"{country}{iban_number.calc_check_digits(country + '00' + bban)}{bban}"


def _spaced(value: str, size: int = 4) -> str:
    return " ".join(value[i : i + size] for i in range(0, len(value), size))


# The card schemes' published test numbers (all pass the Luhn check); never real cards.
_TEST_CARDS: tuple[tuple[str, str], ...] = (
    ("visa", "4111111111111111"),
    ("visa", "4012888888881881"),
    ("visa", "4000056655665556"),
    ("mastercard", "5555555555554444"),
    ("mastercard", "5105105105105100"),
    ("mastercard", "2223003122003222"),
    ("amex", "378282246310005"),
)


def _words(text: str, separator: str = ", ") -> tuple[str, ...]:
    """Vocabularies are written as one string each; a tuple per line would bury the code."""
    return tuple(word.strip() for word in text.split(separator))


def _card_text(number: str) -> str:
    if len(number) == 15:
        return f"{number[:4]} {number[4:10]} {number[10:]}"
    return _spaced(number)


# ---------------------------------------------------------------------------
# Phone numbers: fiction ranges where a regulator provides them
# ---------------------------------------------------------------------------


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


_DK_PREFIXES = _words("20 21 22 23 24 25 26 27 28 29 30 31 40 41 42 50 51 52 53 60 61 71 81 91 92 93", " ")
_DE_PREFIXES = _words("151 152 157 160 162 163 170 171 172 173 175 176 177 178 179", " ")


class _PhoneBook:
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


def _national(phone: str) -> str:
    return phonenumbers.format_number(phonenumbers.parse(phone), phonenumbers.PhoneNumberFormat.NATIONAL)


def _spoken_phone(rng: random.Random, phone: str) -> str:
    """Free text quotes numbers the way people write them, not in E.164."""
    return _national(phone) if rng.random() < 0.6 else phone


# ---------------------------------------------------------------------------
# People
# ---------------------------------------------------------------------------

_FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "SE": _words(
        "Anna, Maria, Elin, Sara, Emma, Ida, Linnéa, Åsa, Märta, Sofia, Frida, Maja, Ebba, Elsa, Ingrid, "
        "Malin, Helena, Erik, Lars, Anders, Per, Nils, Björn, Gösta, Örjan, Mikael, Fredrik, Oskar, "
        "Viktor, Henrik, Magnus, Jonas, Tobias, Måns, Sören, Agnes"
    ),
    "GB": _words(
        "Oliver, George, Harry, Jack, James, William, Thomas, Samuel, Daniel, Matthew, Amelia, Olivia, "
        "Isla, Emily, Sophie, Charlotte, Grace, Lucy, Hannah, Chloé, Zoë, Siobhán, Niamh, Rhys, Gareth, "
        "Eilidh, Priya, Aaron"
    ),
    "DK": _words(
        "Mette, Sofie, Freja, Ida, Karen, Lærke, Søren, Mads, Rasmus, Jørgen, Frederik, Mikkel, Anders, "
        "Niels, Kasper, Birgitte"
    ),
    "NO": _words(
        "Ingrid, Kari, Solveig, Ragnhild, Bjørn, Ola, Håkon, Øystein, Sigrid, Eirik, Torbjørn, Marte"
    ),
    "NL": _words(
        "Sanne, Lotte, Daan, Sem, Lieke, Bram, Thijs, Femke, Anouk, Jeroen, Marloes, Joost, Maarten, "
        "Eline, Floor, Ruud, Renée"
    ),
    "DE": _words(
        "Jürgen, Lukas, Jonas, Leon, Felix, Maximilian, Paul, Anna, Lena, Hannah, Marie, Sophie, Mia, "
        "Katharina, Jörg, Uwe, Sabine, Günther"
    ),
}

_LAST_NAMES: dict[str, tuple[str, ...]] = {
    "SE": _words(
        "Andersson, Johansson, Karlsson, Nilsson, Eriksson, Larsson, Olsson, Persson, Svensson, "
        "Gustafsson, Pettersson, Jonsson, Lindberg, Lindström, Åberg, Öberg, Sjögren, Bäckström, Nyström, "
        "Lövgren, Håkansson, Ström, Wallén, Engström, Sandström, Holmqvist, Dahlén, Fröberg"
    ),
    "GB": _words(
        "Smith, Jones, Taylor, Brown, Williams, Wilson, Johnson, Davies, Patel, Wright, Walker, Robinson, "
        "Thompson, White, Hughes, Edwards, Green, Hall, Wood, Harris, Khan, O'Brien, Murphy, MacLeod"
    ),
    "DK": _words(
        "Jensen, Nielsen, Hansen, Pedersen, Andersen, Christensen, Larsen, Sørensen, Rasmussen, "
        "Jørgensen, Petersen, Madsen, Kristensen, Møller, Østergaard, Kjær, Bødker"
    ),
    "NO": _words(
        "Hansen, Johansen, Olsen, Larsen, Berg, Haugen, Bakke, Solberg, Bråten, Strand, Lie, Dahl, "
        "Ødegård, Sæther"
    ),
    "NL": _words(
        "de Jong, Jansen, de Vries, van den Berg, van Dijk, Bakker, Visser, Smit, Meijer, de Boer, "
        "Mulder, de Groot, Bos, Vos, Peters, Hendriks, van Leeuwen, Dekker"
    ),
    "DE": _words(
        "Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Schulz, Hoffmann, Schröder, "
        "Köhler, Krüger, Weiß, Groß, Zimmermann, Braun, Hartmann"
    ),
}

_COUNTRIES = ("SE", "GB", "DK", "NO", "NL", "DE")
_COUNTRY_WEIGHTS = (32, 30, 12, 6, 12, 8)

_PLACES: dict[str, tuple[tuple[str, str, float, float], ...]] = {
    # country: (city, postcode prefix, latitude, longitude)
    "SE": (
        ("Stockholm", "11", 59.3293, 18.0686),
        ("Göteborg", "41", 57.7089, 11.9746),
        ("Malmö", "21", 55.6050, 13.0038),
        ("Uppsala", "75", 59.8586, 17.6389),
        ("Västerås", "72", 59.6099, 16.5448),
        ("Örebro", "70", 59.2753, 15.2134),
        ("Linköping", "58", 58.4108, 15.6214),
        ("Umeå", "90", 63.8258, 20.2630),
    ),
    "GB": (
        ("London", "EC1", 51.5074, -0.1278),
        ("Lincoln", "LN6", 53.2307, -0.5406),
        ("Leeds", "LS1", 53.8008, -1.5491),
        ("Manchester", "M1", 53.4808, -2.2426),
        ("Birmingham", "B1", 52.4862, -1.8904),
        ("Bristol", "BS1", 51.4545, -2.5879),
        ("Edinburgh", "EH1", 55.9533, -3.1883),
        ("Glasgow", "G1", 55.8642, -4.2518),
    ),
    "DK": (
        ("København", "1", 55.6761, 12.5683),
        ("Aarhus", "8", 56.1629, 10.2039),
        ("Odense", "5", 55.4038, 10.4024),
        ("Aalborg", "9", 57.0488, 9.9217),
    ),
    "NO": (
        ("Oslo", "0", 59.9139, 10.7522),
        ("Bergen", "5", 60.3913, 5.3221),
        ("Trondheim", "7", 63.4305, 10.3951),
        ("Stavanger", "4", 58.9700, 5.7331),
    ),
    "NL": (
        ("Amsterdam", "10", 52.3676, 4.9041),
        ("Rotterdam", "30", 51.9244, 4.4777),
        ("Utrecht", "35", 52.0907, 5.1214),
        ("Eindhoven", "56", 51.4416, 5.4697),
    ),
    "DE": (
        ("Berlin", "10", 52.5200, 13.4050),
        ("Hamburg", "20", 53.5511, 9.9937),
        ("München", "80", 48.1351, 11.5820),
        ("Köln", "50", 50.9375, 6.9603),
    ),
}

_STREETS: dict[str, tuple[str, ...]] = {
    "SE": _words(
        "Storgatan, Drottninggatan, Kungsgatan, Sveavägen, Östra Hamngatan, Järnvägsgatan, Södra Vägen, "
        "Industrivägen"
    ),
    "GB": _words("High Street, Station Road, Church Lane, Victoria Road, Mill Lane, Park Avenue, Whisby Way"),
    "DK": _words("Vesterbrogade, Nørregade, Strandvejen, Østerbrogade, Industrivej"),
    "NO": _words("Storgata, Kirkeveien, Bygdøy allé, Industriveien"),
    "NL": _words("Kerkstraat, Dorpsstraat, Stationsweg, Keizersgracht, Industrieweg"),
    "DE": _words("Hauptstraße, Bahnhofstraße, Schillerstraße, Goethestraße, Industriestraße"),
}

_EMPLOYER_SUFFIXES: dict[str, tuple[str, ...]] = {
    "SE": _words("Bygg AB, El & VVS AB, Fastighetsservice AB, Maskin AB, Redovisning AB, Grossist AB"),
    "GB": _words(
        "Joinery Ltd, Electrical Services Ltd, Wholesale Ltd, Engineering Ltd, Building Supplies Ltd, "
        "Facilities Ltd"
    ),
    "DK": _words("Tømrer ApS, VVS A/S, Engros ApS, El-service ApS"),
    "NO": _words("Elektro AS, Bygg AS, Rør AS"),
    "NL": _words("Installatietechniek B.V., Bouw B.V., Groothandel B.V."),
    "DE": _words("Haustechnik GmbH, Maschinenbau GmbH, Elektro GmbH, Großhandel GmbH"),
}

_INDUSTRIES = _words(
    "construction, electrical contracting, plumbing and heating, wholesale distribution, manufacturing, "
    "field service, property services, building supplies, engineering"
)

_JOB_TITLES: dict[str, tuple[str, ...]] = {
    "sv": _words(
        "VD, Ekonomichef, Kontorschef, Servicechef, IT-ansvarig, Inköpare, Servicetekniker, Projektledare"
    ),
    "en": _words(
        "Managing Director, Finance Manager, Office Manager, Service Manager, IT Manager, "
        "Purchasing Manager, Field Technician, Owner"
    ),
}

_TIMEZONES = {
    "SE": "Europe/Stockholm",
    "GB": "Europe/London",
    "DK": "Europe/Copenhagen",
    "NO": "Europe/Oslo",
    "NL": "Europe/Amsterdam",
    "DE": "Europe/Berlin",
}

_DOMAINS = ("example.com", "example.org", "example.net")


def _ascii(text: str) -> str:
    text = text.lower().replace("ø", "o").replace("æ", "ae").replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in text if ch.isalnum())


@dataclass
class _Membership:
    """What one person is at one company: which systems hold them, since when."""

    company: str
    customer: bool
    since: datetime
    families: tuple[str, ...]


@dataclass
class _Person:
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
    memberships: list[_Membership] = field(default_factory=list)

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
    name, number = rng.choice(_STREETS[country]), rng.randrange(1, 120)
    return f"{number} {name}" if country == "GB" else f"{name} {number}"


def _national_id(rng: random.Random, country: str, born: date) -> str | None:
    if country == "SE":
        return _personnummer(born, rng.randrange(1000))
    if country == "GB":
        return _nino(rng)
    return None


def _language(country: str) -> str:
    return "sv" if country == "SE" else "en"


def _random_person(
    rng: random.Random,
    phonebook: _PhoneBook,
    used_emails: set[str],
    reserved_names: set[str],
) -> _Person:
    country = rng.choices(_COUNTRIES, _COUNTRY_WEIGHTS)[0]
    while True:
        first = rng.choice(_FIRST_NAMES[country])
        last = rng.choice(_LAST_NAMES[country])
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
    domain = rng.choice(_DOMAINS)
    email = f"{local}@{domain}"
    suffix = 1
    while email in used_emails:
        suffix += 1
        email = f"{local}{suffix}@{domain}"
    used_emails.add(email)
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 53))
    city, prefix, lat, lon = rng.choice(_PLACES[country])
    owner = last if rng.random() < 0.4 else rng.choice(_LAST_NAMES[country])
    return _Person(
        first=first,
        last=last,
        country=country,
        email=email,
        phone=phonebook.take(country),
        customer_number=None,
        born=born,
        national_id=_national_id(rng, country, born),
        iban=_iban(rng, country),
        employer=f"{owner} {rng.choice(_EMPLOYER_SUFFIXES[country])}",
        job_title=rng.choice(_JOB_TITLES[_language(country)]),
        industry=rng.choice(_INDUSTRIES),
        street=_street(rng, country),
        postcode=_postcode(rng, country, prefix),
        city=city,
        latitude=lat,
        longitude=lon,
    )


def _well_known() -> list[_Person]:
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
        memberships: list[_Membership],
    ) -> _Person:
        demo = by_email[email]
        first, last = demo.full_name.split(" ", 1)
        return _Person(
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
            _personnummer(date(1979, 3, 14), 182),
            "SE3550000000054910000003",
            "Lindqvist Fastighetsservice AB",
            "Servicechef",
            "property services",
            "Sveavägen 44",
            "111 34",
            "Stockholm",
            (59.3293, 18.0686),
            [
                _Membership(
                    "gb01", True, since(2019, 4, 2), ("crm", "events", "support", "marketing", "web")
                ),
                _Membership(
                    "se01", True, since(2018, 2, 12), ("crm", "billing", "support", "marketing", "app")
                ),
                _Membership("dk01", False, since(2026, 8, 1), ("events",)),
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
            [_Membership("gb01", True, since(2017, 5, 8), ("crm", "billing", "support", "marketing", "web"))],
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
            [_Membership("nl01", True, since(2021, 9, 1), ("crm", "billing", "web"))],
        ),
        person(
            "karin.odmark@example.net",
            "SE",
            date(1968, 12, 30),
            _personnummer(date(1968, 12, 30), 248),
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
            _personnummer(date(1975, 8, 9), 335),
            "SE7280000810340009783242",
            "Berg Bygg & Montage AB",
            "VD",
            "construction",
            "Industrivägen 8",
            "417 05",
            "Göteborg",
            (57.7089, 11.9746),
            [_Membership("se01", True, since(2020, 1, 15), ("crm", "billing", "support"))],
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
            [_Membership("gb01", True, since(2022, 3, 1), ("crm", "billing", "events"))],
        ),
    ]


# ---------------------------------------------------------------------------
# Per-company flavour
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Event:
    code: str
    name: str
    day: date
    venue: str
    city: str


@dataclass(frozen=True)
class _Locale:
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


def _locale(company: Company) -> _Locale:
    code = company.code
    if company.country == "SE":
        return _Locale(
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
        return _Locale(
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
        return _Locale(
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
    return _Locale(
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


# ---------------------------------------------------------------------------
# Free text, some of it quoting other people
# ---------------------------------------------------------------------------

# (subject, body, country of the person quoted: their national id is used)
_TICKETS: dict[str, tuple[tuple[str, str, str | None], ...]] = {
    "en": (
        (
            "Cannot log in to the portal",
            "Hi, since the last update I can't log in to the customer portal. My colleague "
            "{name} ({email}) has the same problem - could you reset both accounts?",
            None,
        ),
        (
            "New user for accounts",
            "Please add a new user for our accounts team: {name}, {email}, mobile {phone}.",
            None,
        ),
        (
            "Payroll export fails",
            "Our payroll export stops at one employee, {name}, NI number {national_id}. The error "
            "says the record is locked. Can you unlock it?",
            "GB",
        ),
        (
            "Charged twice",
            "We were charged twice for invoice {invoice}. The card used was {card} - please refund "
            "one of the payments.",
            None,
        ),
        (
            "Change of bank account",
            "Please change our direct debit to account {iban} (account holder {name}) from next month.",
            None,
        ),
        (
            "Remove leaver",
            "{name} has left the company, please remove their access. Their old address {email} "
            "should no longer receive anything from you.",
            None,
        ),
    ),
    "sv": (
        (
            "Kan inte logga in",
            "Hej! Sedan senaste uppdateringen kan jag inte logga in i kundportalen. Min kollega "
            "{name} ({email}) har samma problem, kan ni återställa båda kontona?",
            None,
        ),
        (
            "Ny användare",
            "Lägg gärna upp en ny användare åt vår ekonomiavdelning: {name}, {email}, mobil {phone}.",
            None,
        ),
        (
            "Lönekörningen stoppar",
            "Lönekörningen stoppar på en anställd, {name}, personnummer {national_id}. Felet säger "
            "att posten är låst. Kan ni låsa upp den?",
            "SE",
        ),
        (
            "Dubbeldragning",
            "Vi har blivit dragna två gånger för faktura {invoice}. Kortet som användes var {card}, "
            "kan ni återbetala en av dragningarna?",
            None,
        ),
        (
            "Nytt konto för autogiro",
            "Vi vill byta konto för autogiro till {iban} (kontoinnehavare {name}) från och med nästa månad.",
            None,
        ),
        (
            "Sluta skicka till tidigare anställd",
            "{name} har slutat hos oss, ta bort behörigheten. Adressen {email} ska inte längre få "
            "några utskick.",
            None,
        ),
    ),
}

_PLAIN_TICKETS: dict[str, tuple[tuple[str, str], ...]] = {
    "en": (
        (
            "Negative stock",
            "The stock report shows negative quantities for several items since yesterday's stocktake.",
        ),
        ("VAT report", "How do I export the VAT report for the last quarter?"),
        ("App crash", "The mobile app crashes when I open a service job with photos attached."),
        ("Contract copy", "Could you send me a copy of our contract and the price list for next year?"),
        ("Quote for licences", "We'd like a quote for five more user licences."),
        ("Invoice layout", "Our logo is missing from the invoices since the upgrade."),
    ),
    "sv": (
        ("Negativt lagersaldo", "Lagerrapporten visar negativa saldon sedan inventeringen igår."),
        ("Momsrapport", "Hur tar jag ut momsrapporten för förra kvartalet?"),
        ("Appen kraschar", "Appen kraschar när jag öppnar en serviceorder med bilder."),
        ("Kopia på avtal", "Kan ni skicka en kopia av vårt avtal och prislistan för nästa år?"),
        ("Offert på licenser", "Vi vill ha en offert på fem licenser till."),
        ("Fakturamallen", "Vår logga saknas på fakturorna sedan uppgraderingen."),
    ),
}

_NOTES: dict[str, tuple[str, ...]] = {
    "en": (
        "Met at {event}. Mentioned that {name} ({email}) is their new IT manager and should be "
        "invited to the next webinar.",
        "Called about the renewal; {name} answered and asked us to call back on {phone}.",
        "New bank details received by phone: {iban}. Verify in writing before changing the mandate.",
        "Their partner {name} ({email}) runs a similar business and may be interested.",
    ),
    "sv": (
        "Träffades på {event}. Nämnde att {name} ({email}) är ny IT-ansvarig och ska bjudas in "
        "till nästa webbinarium.",
        "Ringde om förlängningen; {name} svarade och bad oss ringa tillbaka på {phone}.",
        "Nya kontouppgifter lämnade per telefon: {iban}. Kontrollera skriftligt innan medgivandet ändras.",
        "Sambon {name} ({email}) driver ett liknande företag och kan vara intresserad.",
    ),
}

_PLAIN_NOTES: dict[str, tuple[str, ...]] = {
    "en": (
        "Customer asked us to contact them by e-mail only, not by phone.",
        "Interested in the field-service app; send a demo invite.",
        "Discussed late payments. Agreed a payment plan for the next three invoices.",
        "Reference customer - happy to take calls from prospects.",
        "Complained about response times in support; escalated to the service manager.",
    ),
    "sv": (
        "Kunden vill bara bli kontaktad via e-post, inte telefon.",
        "Intresserad av serviceappen; skicka inbjudan till demo.",
        "Pratade om sena betalningar. Avbetalningsplan för de tre nästa fakturorna.",
        "Referenskund - tar gärna samtal från nya kunder.",
        "Klagade på svarstiderna i supporten; lyft till servicechefen.",
    ),
}

_ATTENDEE_NOTES = (
    "Travelling with {name} ({email}); please seat us together at dinner.",
    "Bringing my colleague {name}, mobile {phone}.",
)
_PLAIN_ATTENDEE_NOTES = (
    "Wheelchair access needed.",
    "Please invoice the ticket to our accounts team.",
    "Arriving late, after 11:00.",
    "Will only attend the morning sessions.",
)
_CAMPAIGNS = ("Product news", "Webinar invite", "Event invite", "Customer newsletter", "Spring release")
_DIETARY = ("vegetarian", "vegan", "gluten-free", "nut allergy", "halal", "lactose intolerance")

_PRODUCTS = _words("Business ERP, Payroll, Field Service, Web Shop Connect, Stock & Orders, Customer Portal")

_SEARCHES = _words(
    "pump service manual, boiler fault E119, order status, spare parts filter, heat pump reset, "
    "service history, invoice copy, safety checklist, gas valve torque, warranty terms"
)

_USER_AGENTS: tuple[tuple[str, str, str, str], ...] = (
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/128.0.0.0 Safari/537.36",
        "Chrome",
        "128.0",
        "Windows 10",
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.5 Safari/605.1.15",
        "Safari",
        "17.5",
        "macOS 14.5",
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0",
        "Firefox",
        "131.0",
        "Windows 10",
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
        "like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
        "Mobile Safari",
        "17.6",
        "iOS 17.6",
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/129.0.0.0 Mobile Safari/537.36",
        "Chrome Mobile",
        "129.0",
        "Android 14",
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
        "Edge",
        "126.0",
        "Windows 11",
    ),
)
_SCREENS = ("1920x1080", "2560x1440", "1366x768", "1536x864", "390x844", "412x915")
_PATHS = _words(
    "/ /products/erp /products/field-service /products/payroll /pricing /support /support/downloads "
    "/events /contact /login /portal/invoices /portal/tickets /blog/vat-changes /careers",
    " ",
)
_REFERRERS = (
    "https://www.google.com/",
    "https://www.bing.com/",
    "https://www.linkedin.com/",
    "https://newsletter.example.com/",
    None,
    None,
)

_BROKERS: dict[str, tuple[str, ...]] = {
    "SE": ("Nordlys Data AB", "EuroProspect GmbH"),
    "GB": ("LeadHarbour Ltd", "EuroProspect GmbH"),
    "DK": ("Fyrtårn Leads ApS", "EuroProspect GmbH"),
}
_DEFAULT_BROKERS = ("Datavolt B.V.", "EuroProspect GmbH")

_CREDIT_AGENCIES = {"SE": "UC", "GB": "Experian", "DK": "Experian", "NL": "Creditsafe"}
_DEBIT_PROVIDERS = {"SE": "Autogiro (Bankgirot)", "GB": "GoCardless", "DK": "Betalingsservice"}


# ---------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    if end <= start:
        return start
    seconds = int((end - start).total_seconds())
    return start + timedelta(seconds=rng.randrange(seconds))


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def _money(value: float) -> Decimal:
    return (Decimal(round(value * 100)) / 100).quantize(Decimal("0.01"))


def _add_months(day: date, months: int) -> date:
    years, month = divmod(day.month - 1 + months, 12)
    return date(day.year + years, month + 1, min(day.day, 28))


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _ip(rng: random.Random) -> IPv4Address | IPv6Address:
    # Documentation ranges (RFC 5737, RFC 3849): never someone's real address.
    if rng.random() < 0.15:
        return IPv6Address("2001:db8::") + rng.getrandbits(64)
    base = rng.choice(("192.0.2.0", "198.51.100.0", "203.0.113.0"))
    return IPv4Address(base) + rng.randrange(1, 255)


class _Mentions:
    """Picks the other people whose details end up in someone's free text."""

    def __init__(self, people: Sequence[_Person]) -> None:
        self._people = list(people)
        self._by_country: dict[str, list[_Person]] = {}
        for person in people:
            self._by_country.setdefault(person.country, []).append(person)

    def fields(
        self, rng: random.Random, subject: _Person, country: str | None = None
    ) -> dict[str, str] | None:
        pool = self._by_country.get(country, []) if country else self._people
        if len(pool) < 2:
            return None
        other = subject
        while other is subject:
            other = rng.choice(pool)
        _, card = rng.choice(_TEST_CARDS)
        return {
            "name": other.full_name,
            "email": other.email,
            "phone": _spoken_phone(rng, other.phone),
            "national_id": other.national_id or "",
            "iban": _spaced(other.iban) if rng.random() < 0.7 else other.iban,
            "card": _card_text(card) if rng.random() < 0.7 else card,
        }


class _Dataset:
    """Rows per company and table, in insertion order (which fixes the ids)."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, list[Row]]] = {}
        self._sequences: dict[tuple[str, str], int] = {}

    def add(self, company: str, table: str, **values: object) -> None:
        columns = _COLUMNS[table]
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
class _Context:
    data: _Dataset
    rng: random.Random
    person: _Person
    membership: _Membership
    locale: _Locale
    company: str
    mentions: _Mentions | None

    def mention(self, country: str | None = None, chance: float = 0.4) -> dict[str, str] | None:
        if self.mentions is None or self.rng.random() >= chance:
            return None
        return self.mentions.fields(self.rng, self.person, country)


def _gen_crm(ctx: _Context) -> None:
    rng, p, m, loc = ctx.rng, ctx.person, ctx.membership, ctx.locale
    assert p.customer_number is not None
    churned = rng.random() < 0.1
    ctx.data.add(
        ctx.company,
        "crm_customers",
        customer_number=p.customer_number,
        full_name=p.full_name,
        email=p.email,
        phone=p.phone if rng.random() < 0.9 else None,
        company_name=p.employer,
        job_title=p.job_title,
        industry=p.industry,
        street=p.street,
        postcode=p.postcode,
        city=p.city,
        country=p.country,
        preferred_language=_language(p.country),
        customer_since=m.since.date(),
        status="churned" if churned else "active",
        credit_limit=_money(rng.choice((5000, 10000, 25000, 50000)) * loc.price_factor),
        created_at=m.since,
        updated_at=_between(rng, m.since, AS_OF),
    )
    count = rng.choices((0, 1, 2, 3, 5, 8), (30, 25, 17, 12, 10, 6))[0]
    for _ in range(count):
        mention = ctx.mention()
        if mention is not None:
            event = rng.choice(loc.events).name
            body = rng.choice(_NOTES[loc.language]).format(event=event, **mention)
        else:
            body = rng.choice(_PLAIN_NOTES[loc.language])
        ctx.data.add(
            ctx.company,
            "crm_notes",
            customer_number=p.customer_number,
            author=rng.choice(loc.staff),
            channel=rng.choice(("phone", "meeting", "email")),
            body=body,
            created_at=_between(rng, m.since, AS_OF),
        )


def _gen_billing(ctx: _Context) -> None:
    rng, p, m, loc = ctx.rng, ctx.person, ctx.membership, ctx.locale
    assert p.customer_number is not None
    plan = rng.choices(("annual", "quarterly", "monthly"), (50, 35, 15))[0]
    step = {"annual": 12, "quarterly": 3, "monthly": 1}[plan]
    start = m.since.date()
    if plan == "monthly" and start < date(2022, 1, 1):
        start = date(2022, 1, 1) + timedelta(days=rng.randrange(365))
    base = {
        "annual": rng.uniform(1200, 24000),
        "quarterly": rng.uniform(300, 6000),
        "monthly": rng.uniform(100, 2000),
    }[plan] * loc.price_factor
    method = rng.choices(("card", "direct_debit", "bank_transfer"), (40, 35, 25))[0]
    brand, card = rng.choice(_TEST_CARDS)
    risk_checked = False
    issued, period = start, 0
    while issued <= AS_OF.date():
        growth = 1 + 0.04 * (issued.year - start.year)
        products = rng.sample(_PRODUCTS, rng.randint(1, 3))
        shares = [rng.uniform(0.2, 1.0) for _ in products]
        net_total = _money(base * growth)
        lines, allotted = [], Decimal("0.00")
        for index, product in enumerate(products):
            if index == len(products) - 1:
                amount = net_total - allotted
            else:
                amount = _money(float(net_total) * shares[index] / sum(shares))
                allotted += amount
            lines.append({"product": product, "quantity": 1, "unit_price": str(amount), "period": plan})
        vat = (net_total * loc.vat_rate).quantize(Decimal("0.01"))
        age = (AS_OF.date() - issued).days
        paid_on: date | None = None
        if age > 45:
            status = rng.choices(("paid", "credited", "overdue"), (95, 2, 3))[0]
        elif age > 30:
            status = rng.choices(("paid", "overdue"), (80, 20))[0]
        else:
            status = rng.choices(("paid", "open"), (40, 60))[0]
        if status == "paid":
            paid_on = issued + timedelta(days=rng.randint(2, min(40, max(age, 2))))
            if paid_on > AS_OF.date():
                paid_on = AS_OF.date()
        sequence = ctx.data.next_number(ctx.company, "inv")
        number = f"{ctx.company.upper()}-{issued.year}-{sequence:06d}"
        ctx.data.add(
            ctx.company,
            "billing_invoices",
            invoice_number=number,
            customer_number=p.customer_number,
            billing_name=f"{p.employer}, att. {p.full_name}",
            billing_email=p.email,
            billing_address=f"{p.employer}\n{p.address}",
            issued_on=issued,
            due_on=issued + timedelta(days=30),
            currency=loc.currency,
            net_amount=net_total,
            vat_amount=vat,
            total_amount=net_total + vat,
            status=status,
            paid_on=paid_on,
            lines=json.dumps(lines, ensure_ascii=False),
        )
        if paid_on is not None:
            risk: str | None = None
            if not risk_checked:
                risk_checked = True
                risk = json.dumps(
                    {
                        "agency": _CREDIT_AGENCIES.get(p.country, "Creditsafe"),
                        "score": rng.randint(40, 99),
                        "decision": "approved",
                        "checked_on": (issued - timedelta(days=3)).isoformat(),
                    }
                )
            if method == "card":
                provider = rng.choice(("Stripe", "Adyen"))
            elif method == "direct_debit":
                provider = _DEBIT_PROVIDERS.get(p.country, "SEPA direct debit")
            else:
                provider = "bank transfer"
            ctx.data.add(
                ctx.company,
                "billing_payments",
                invoice_number=number,
                customer_number=p.customer_number,
                payer_name=p.full_name if method == "card" else p.employer,
                method=method,
                card_brand=brand if method == "card" else None,
                card_last4=card[-4:] if method == "card" else None,
                iban=p.iban if method != "card" else None,
                provider=provider,
                provider_reference=f"pay_{rng.getrandbits(64):016x}",
                amount=net_total + vat,
                currency=loc.currency,
                paid_at=_at(paid_on, rng.randint(6, 20), rng.randrange(60)),
                risk_check=risk,
            )
        period += 1
        issued = _add_months(start, step * period)


def _gen_events(ctx: _Context) -> None:
    rng, p, m, loc = ctx.rng, ctx.person, ctx.membership, ctx.locale
    # Nobody registers for an event long before they first dealt with the company.
    eligible = [e for e in loc.events if e.day >= m.since.date() - timedelta(days=365)]
    eligible = eligible or [loc.events[-1]]
    count = min(len(eligible), rng.choices((1, 2, 3), (70, 22, 8))[0])
    for event in sorted(rng.sample(eligible, count), key=lambda e: e.day):
        registered = _at(event.day, 9) - timedelta(days=rng.randint(7, 90), minutes=rng.randrange(600))
        registered = min(registered, AS_OF - timedelta(hours=rng.randint(1, 240)))
        price = (
            Decimal("0.00")
            if m.customer and rng.random() < 0.6
            else _money(rng.choice((95, 195, 295, 495)) * loc.price_factor)
        )
        mention = ctx.mention(chance=0.25)
        if mention is not None:
            note: str | None = rng.choice(_ATTENDEE_NOTES).format(**mention)
        else:
            note = rng.choice(_PLAIN_ATTENDEE_NOTES) if rng.random() < 0.25 else None
        _, card = rng.choice(_TEST_CARDS)
        share = rng.random() < 0.6
        past = event.day < AS_OF.date()
        ctx.data.add(
            ctx.company,
            "events_registrations",
            event_code=event.code,
            event_name=event.name,
            event_date=event.day,
            venue=event.venue,
            city=event.city,
            full_name=p.full_name,
            email=p.email,
            phone=p.phone if rng.random() < 0.8 else None,
            company_name=p.employer,
            industry=p.industry,
            ticket_price=price,
            currency=loc.currency,
            paid=price > 0,
            card_last4=card[-4:] if price > 0 else None,
            dietary_requirements=rng.choice(_DIETARY) if rng.random() < 0.2 else None,
            attendee_note=note,
            share_on_attendee_list=share,
            photo_consent=rng.random() < 0.7,
            registered_at=registered,
            checked_in_at=_at(event.day, 8, rng.randrange(60)) if past and rng.random() < 0.85 else None,
        )
        if share and past:
            ctx.data.add(
                ctx.company,
                "events_attendee_lists",
                event_code=event.code,
                full_name=p.full_name,
                job_title=p.job_title,
                company_name=p.employer,
                email=p.email,
                shared_with="all attendees and exhibiting partners",
                shared_at=_at(event.day - timedelta(days=2), 9),
            )


def _add_ticket(
    ctx: _Context,
    subject: str,
    body: str,
    opened: datetime,
    channel: str,
    replies: Sequence[str],
) -> None:
    rng, p, loc = ctx.rng, ctx.person, ctx.locale
    number = f"{ctx.company.upper()}-T{ctx.data.next_number(ctx.company, 'ticket'):06d}"
    recent = (AS_OF - opened).days < 14
    status = rng.choice(("open", "pending")) if recent and rng.random() < 0.7 else "closed"
    closed = None if status != "closed" else min(AS_OF, opened + timedelta(hours=rng.randint(1, 24 * 12)))
    ctx.data.add(
        ctx.company,
        "support_tickets",
        ticket_number=number,
        customer_number=p.customer_number if ctx.membership.customer else None,
        requester_name=p.full_name,
        requester_email=p.email,
        requester_phone=p.phone if channel == "phone" or rng.random() < 0.4 else None,
        channel=channel,
        product=rng.choice(_PRODUCTS),
        subject=subject,
        body=body,
        status=status,
        priority=rng.choices(("low", "normal", "high"), (25, 60, 15))[0],
        opened_at=opened,
        closed_at=closed,
    )
    agent = rng.choice(loc.staff)
    sent = opened
    ctx.data.add(
        ctx.company,
        "support_messages",
        ticket_number=number,
        direction="inbound",
        author_name=p.full_name,
        author_email=p.email,
        body=body,
        sent_at=sent,
    )
    for index, reply in enumerate(replies):
        sent += timedelta(minutes=rng.randint(20, 60 * 30))
        inbound = index % 2 == 1
        ctx.data.add(
            ctx.company,
            "support_messages",
            ticket_number=number,
            direction="inbound" if inbound else "outbound",
            author_name=p.full_name if inbound else f"{agent} ({loc.brand} support)",
            author_email=p.email if inbound else f"support.{ctx.company}@example.com",
            body=reply,
            sent_at=sent,
        )


def _gen_support(ctx: _Context) -> None:
    rng, p, m, loc = ctx.rng, ctx.person, ctx.membership, ctx.locale
    count = rng.choices((1, 2, 3, 5, 8), (45, 25, 15, 10, 5))[0]
    for _ in range(count):
        subject, body, wants = rng.choice(_TICKETS[loc.language])
        mention = ctx.mention(country=wants, chance=0.45)
        if mention is not None:
            invoice = f"{ctx.company.upper()}-{rng.randint(2017, 2026)}-{rng.randrange(10**6):06d}"
            body = body.format(invoice=invoice, **mention)
        else:
            subject, body = rng.choice(_PLAIN_TICKETS[loc.language])
        agent = rng.choice(loc.staff).split()[0]
        if loc.language == "sv":
            replies = [
                f"Hej {p.first}! Tack för ditt meddelande, vi tittar på det. /{agent}",
                "Tack, nu fungerar det!",
                f"Vad bra! Vi stänger ärendet. /{agent}",
            ]
        else:
            replies = [
                f"Hi {p.first}, thanks for getting in touch - we're looking into it. {agent}",
                "Thanks, that's sorted it.",
                f"Great, we'll close the ticket. {agent}",
            ]
        _add_ticket(
            ctx,
            subject,
            body,
            _between(rng, m.since, AS_OF),
            rng.choice(("email", "web", "phone", "chat")),
            replies[: rng.randint(0, 3)],
        )


def _gen_marketing(ctx: _Context) -> None:
    rng, p, m, loc = ctx.rng, ctx.person, ctx.membership, ctx.locale
    from_broker = not m.customer and rng.random() < 0.5
    if m.customer:
        basis = rng.choices(("legitimate_interest", "consent"), (60, 40))[0]
        source = "customer"
    elif from_broker:
        basis, source = "legitimate_interest", "data broker"
    else:
        basis, source = "consent", rng.choice(("website form", "event", "webinar"))
    opt_in_at = _between(rng, m.since, AS_OF) if basis == "consent" else None
    unsubscribed = _between(rng, m.since, AS_OF) if rng.random() < 0.12 else None
    sms = rng.random() < 0.2
    post = rng.random() < 0.3
    ctx.data.add(
        ctx.company,
        "marketing_preferences",
        email=p.email,
        phone=p.phone if sms or rng.random() < 0.4 else None,
        full_name=p.full_name,
        postal_address=f"{p.employer}\n{p.address}" if post else None,
        email_opt_in=basis == "consent" and unsubscribed is None,
        email_opt_in_at=opt_in_at,
        sms_opt_in=sms,
        sms_opt_in_at=_between(rng, m.since, AS_OF) if sms else None,
        post_opt_in=post,
        legal_basis=basis,
        source=source,
        unsubscribed_at=unsubscribed,
        updated_at=unsubscribed or opt_in_at or m.since,
    )
    first_send = max(opt_in_at or m.since, _EPOCH)
    last_send = unsubscribed or AS_OF
    campaigns = rng.randint(0, 14)
    for _ in range(campaigns):
        sent = _between(rng, first_send, last_send)
        campaign = f"{sent:%Y-%m} {rng.choice(_CAMPAIGNS)}"
        ctx.data.add(
            ctx.company,
            "marketing_email_events",
            email=p.email,
            campaign=campaign,
            event="sent",
            link_url=None,
            occurred_at=sent,
        )
        if rng.random() < 0.45:
            opened = sent + timedelta(minutes=rng.randint(5, 60 * 48))
            ctx.data.add(
                ctx.company,
                "marketing_email_events",
                email=p.email,
                campaign=campaign,
                event="opened",
                link_url=None,
                occurred_at=opened,
            )
            if rng.random() < 0.3:
                ctx.data.add(
                    ctx.company,
                    "marketing_email_events",
                    email=p.email,
                    campaign=campaign,
                    event="clicked",
                    link_url=f"https://www.example.com{loc.web_prefix}"
                    f"{rng.choice(_PATHS)}?utm_source=newsletter",
                    occurred_at=opened + timedelta(seconds=rng.randint(5, 300)),
                )
    if unsubscribed is not None:
        ctx.data.add(
            ctx.company,
            "marketing_email_events",
            email=p.email,
            campaign="unsubscribe link",
            event="unsubscribed",
            link_url=None,
            occurred_at=unsubscribed,
        )
    leads = rng.randint(1, 2) if from_broker else (1 if rng.random() < 0.15 else 0)
    for _ in range(leads):
        broker = rng.choice(_BROKERS.get(p.country, _DEFAULT_BROKERS))
        acquired = _between(rng, max(m.since - timedelta(days=400), _EPOCH), m.since)
        ctx.data.add(
            ctx.company,
            "marketing_broker_leads",
            broker=broker,
            broker_record_id=f"{broker.split()[0][:3].upper()}-{rng.randrange(10**8):08d}",
            full_name=p.full_name,
            job_title=p.job_title,
            company_name=p.employer,
            company_size=rng.choice(("1-9", "10-49", "50-249")),
            industry=p.industry,
            email=p.email,
            phone=p.phone if rng.random() < 0.6 else None,
            acquired_at=acquired,
            licence_expires_on=(acquired + timedelta(days=rng.choice((365, 730)))).date(),
            attributes=json.dumps(
                {
                    "seniority": rng.choice(("owner", "manager", "staff")),
                    "list": f"{p.industry.title()} decision makers {acquired.year}",
                    "employees_band": rng.choice(("1-9", "10-49", "50-249")),
                    "city": p.city,
                },
                ensure_ascii=False,
            ),
        )


def _gen_app(ctx: _Context) -> None:
    rng, p, m = ctx.rng, ctx.person, ctx.membership
    device = _uuid(rng)
    platform = rng.choice(("iOS", "Android"))
    version = f"4.{rng.randint(2, 9)}.{rng.randint(0, 12)}"
    consent = rng.random() < 0.9
    start = max(m.since, AS_OF - timedelta(days=730))
    pings = rng.randint(20, 300) if consent else rng.randint(5, 30)
    while pings > 0:
        call = f"SC-{rng.randrange(10**6):06d}"
        at = _between(rng, start, AS_OF - timedelta(hours=8))
        lat = p.latitude + rng.uniform(-0.15, 0.15)
        lon = p.longitude + rng.uniform(-0.25, 0.25)
        for _ in range(min(pings, rng.randint(3, 12))):
            pings -= 1
            at += timedelta(minutes=rng.randint(2, 30))
            ctx.data.add(
                ctx.company,
                "app_location_pings",
                user_email=p.email,
                device_id=device,
                recorded_at=at,
                latitude=Decimal(f"{lat + rng.uniform(-0.002, 0.002):.6f}") if consent else None,
                longitude=Decimal(f"{lon + rng.uniform(-0.002, 0.002):.6f}") if consent else None,
                accuracy_m=rng.randint(3, 60) if consent else None,
                service_call_ref=call,
                location_consent=consent,
            )
    for _ in range(rng.randint(10, 200)):
        kind = rng.choices(
            ("screen_view", "search", "open_result", "suggestion_shown", "suggestion_accepted"),
            (40, 25, 15, 12, 8),
        )[0]
        query = rng.choice(_SEARCHES) if kind in ("search", "open_result") else None
        ctx.data.add(
            ctx.company,
            "app_usage_events",
            user_email=p.email,
            device_id=device,
            platform=platform,
            app_version=version,
            event_type=kind,
            search_query=query,
            result_count=rng.randint(0, 40) if kind == "search" else None,
            suggestion=rng.choice(_SEARCHES) if kind.startswith("suggestion") else None,
            occurred_at=_between(rng, start, AS_OF),
        )


def _page_views(
    ctx: _Context,
    cookie: str,
    email: str | None,
    agent: tuple[str, str, str, str],
    count: int,
    first: datetime,
    country: str,
) -> datetime:
    rng, loc = ctx.rng, ctx.locale
    ua, browser, version, os_name = agent
    ip = _ip(rng)
    screen = rng.choice(_SCREENS)
    plugins = json.dumps(["PDF Viewer"] if "Mobile" in browser else ["PDF Viewer", "Widevine"])
    at = first
    referrer = rng.choice(_REFERRERS)
    for index in range(count):
        at += timedelta(seconds=rng.randint(3, 240))
        kind = (
            "page_view"
            if index == 0
            else rng.choices(("page_view", "click", "scroll", "download_error", "exit"), (50, 25, 18, 2, 5))[
                0
            ]
        )
        ctx.data.add(
            ctx.company,
            "web_page_views",
            cookie_id=cookie,
            user_email=email,
            ip=ip,
            user_agent=ua,
            browser=browser,
            browser_version=version,
            os=os_name,
            screen_resolution=screen,
            timezone=_TIMEZONES.get(country, "Europe/London"),
            plugins=plugins,
            url=f"https://www.example.com{loc.web_prefix}{rng.choice(_PATHS)}",
            referrer=referrer if index == 0 else None,
            event_type=kind,
            response_ms=rng.randint(40, 2400),
            visit_seconds=rng.randint(2, 600),
            occurred_at=at,
        )
    return at


def _gen_web(ctx: _Context) -> None:
    rng, p, m, loc = ctx.rng, ctx.person, ctx.membership, ctx.locale
    cookies = []
    for _ in range(rng.randint(1, 3)):
        cookie = f"{rng.getrandbits(128):032x}"
        agent = rng.choice(_USER_AGENTS)
        first_seen = _between(rng, max(m.since - timedelta(days=60), _EPOCH), AS_OF)
        cookies.append((cookie, agent, first_seen))
    views = rng.randint(150, 350) if rng.random() < 0.12 else rng.randint(10, 80)
    last_seen: dict[str, datetime] = {}
    session = 0
    while views > 0:
        cookie, agent, first_seen = rng.choice(cookies)
        size = min(views, rng.randint(3, 15))
        views -= size
        logged_in = session == 0 or rng.random() < (0.8 if m.customer else 0.4)
        start = _between(rng, first_seen, AS_OF - timedelta(hours=2))
        end = _page_views(ctx, cookie, p.email if logged_in else None, agent, size, start, p.country)
        last_seen[cookie] = max(last_seen.get(cookie, end), end)
        session += 1
    for cookie, agent, first_seen in cookies:
        analytics = rng.random() < 0.7
        ctx.data.add(
            ctx.company,
            "web_cookies",
            cookie_id=cookie,
            user_email=p.email,
            first_seen=first_seen,
            last_seen=last_seen.get(cookie, first_seen),
            consent=json.dumps(
                {"necessary": True, "analytics": analytics, "marketing": analytics and rng.random() < 0.5}
            ),
            user_agent=agent[0],
        )
    calls = rng.choices((0, 1, 2, 3), (50, 30, 12, 8))[0] if m.customer else 0
    for _ in range(calls):
        ctx.data.add(
            ctx.company,
            "web_call_log",
            caller_phone=p.phone,
            called_number=loc.service_phone,
            started_at=_between(rng, m.since, AS_OF),
            duration_seconds=rng.randint(30, 1800),
            last_page_url=f"https://www.example.com{loc.web_prefix}{rng.choice(_PATHS)}",
            agent=rng.choice(loc.staff),
        )


_GENERATORS = {
    "crm": _gen_crm,
    "billing": _gen_billing,
    "events": _gen_events,
    "support": _gen_support,
    "marketing": _gen_marketing,
    "app": _gen_app,
    "web": _gen_web,
}


def _anonymous_web(data: _Dataset, rng: random.Random, company: str, locale: _Locale, country: str) -> None:
    """Visitors who never logged in: analytics rows no request can ever be matched to."""
    anonymous = _Person(
        "", "", country, "", "", None, date(2000, 1, 1), None, "", "", "", "", "", "", "", 0.0, 0.0
    )
    membership = _Membership(company, False, _EPOCH, ("web",))
    ctx = _Context(data, rng, anonymous, membership, locale, company, None)
    for _ in range(60):
        cookie = f"{rng.getrandbits(128):032x}"
        agent = rng.choice(_USER_AGENTS)
        first = _between(rng, _EPOCH, AS_OF - timedelta(days=1))
        last = _page_views(ctx, cookie, None, agent, rng.randint(2, 20), first, country)
        data.add(
            company,
            "web_cookies",
            cookie_id=cookie,
            user_email=None,
            first_seen=first,
            last_seen=last,
            consent=json.dumps({"necessary": True, "analytics": True, "marketing": False}),
            user_agent=agent[0],
        )


def _home_company(registry: GroupRegistry, country: str) -> Company:
    nearest = {"NO": ("NO", "DK", "SE"), "DE": ("DE", "NL", "DK")}.get(country, (country,))
    for wanted in nearest:
        for company in registry.companies:
            if company.country == wanted:
                return company
    return next(c for c in registry.companies if c.role == "controller")


def _assign(
    rng: random.Random,
    person: _Person,
    registry: GroupRegistry,
    families: Mapping[str, tuple[str, ...]],
    next_customer: list[int],
) -> None:
    """Decide where a random person is known, and as what."""
    home = _home_company(registry, person.country)
    codes = [home.code]
    others = [c for c in registry.companies if c.code != home.code and families.get(c.code)]
    if others and rng.random() < 0.34:
        weights = [3 if c.role == "controller" else 1 for c in others]
        for _ in range(1 if rng.random() < 0.8 else 2):
            pick = rng.choices(others, weights)[0]
            if pick.code not in codes:
                codes.append(pick.code)
    for code in codes:
        available = families.get(code, ())
        if not available:
            continue
        customer = rng.random() < (0.65 if code == home.code else 0.45)
        if customer:
            odds = {
                "crm": 1.0,
                "billing": 0.85,
                "support": 0.55,
                "events": 0.35,
                "marketing": 0.75,
                "app": 0.5,
                "web": 0.7,
            }
        else:
            odds = {"events": 0.35, "marketing": 0.65, "web": 0.55, "support": 0.15}
        chosen = tuple(f for f in available if rng.random() < odds.get(f, 0.0))
        if not chosen:
            fallback = [f for f in available if f in odds] or list(available)
            chosen = (rng.choice(fallback),)
        customer = customer or any(f in ("crm", "billing") for f in chosen)
        if customer and person.customer_number is None:
            next_customer[0] += rng.randint(1, 40)
            person.customer_number = f"C-{next_customer[0]}"
        since = _between(rng, _EPOCH, AS_OF - timedelta(days=90))
        person.memberships.append(_Membership(code, customer, since, chosen))


def _astrid_tickets(
    data: _Dataset, locales: Mapping[str, _Locale], astrid: _Person, families: Mapping[str, tuple[str, ...]]
) -> None:
    """The tickets the README walks through: other people's data inside Astrid's records."""
    rng = random.Random("astrid-tickets")
    colleague_pnr = _personnummer(date(1978, 4, 12), 123)
    colleague_phone = _national(_COLLEAGUE_PHONE)
    by_code = {m.company: m for m in astrid.memberships}
    if "support" in families.get("se01", ()) and "se01" in by_code:
        body = (
            "Hej!\n\nSedan uppdateringen i måndags kommer varken jag eller min kollega "
            f"{_COLLEAGUE_NAME} ({colleague_phone}, personnummer {colleague_pnr}) åt "
            "lönemodulen. Johan Berg på Berg Bygg & Montage AB (johan.berg@example.com) sa på "
            "kundträffen att de har samma problem, så det verkar inte bara vara vi.\n\n"
            f"Ring mig gärna på {_national(astrid.phone)}.\n\nHälsningar\n{astrid.full_name}\n"
            f"{astrid.employer}"
        )
        ctx = _Context(data, rng, astrid, by_code["se01"], locales["se01"], "se01", None)
        _add_ticket(
            ctx,
            "Kommer inte åt lönemodulen",
            body,
            datetime(2026, 10, 14, 8, 12, tzinfo=UTC),
            "email",
            [
                f"Hej Astrid! Vi har återställt behörigheterna för dig och {_COLLEAGUE_NAME}. /Leila",
                "Tack, nu fungerar det!",
            ],
        )
    if "support" in families.get("gb01", ()) and "gb01" in by_code:
        body = (
            "Hello,\n\nOn the attendee list from the Nordic ERP Forum in Copenhagen, Emma Clarke "
            "(emma.clarke@example.org) is listed under my company, "
            f"{astrid.employer}, instead of her own. Could you correct this before the list is "
            "sent out again? Please also send the workshop slides to me and to Johan Berg "
            "(johan.berg@example.com), who missed the afternoon session.\n\n"
            f"My colleague {_COLLEAGUE_NAME} will attend the next event in my place; his mobile "
            f"is {_COLLEAGUE_PHONE}.\n\nKind regards,\n{astrid.full_name}"
        )
        ctx = _Context(data, rng, astrid, by_code["gb01"], locales["gb01"], "gb01", None)
        _add_ticket(
            ctx,
            "Wrong company on the attendee list",
            body,
            datetime(2026, 10, 21, 13, 40, tzinfo=UTC),
            "web",
            ["Hi Astrid, thanks - we have corrected the list and sent the slides. Fiona"],
        )


def _build_dataset(registry: GroupRegistry, people: int, seed: int) -> _Dataset:
    """All rows of all companies; built whole so each company's rows never depend on which
    other companies happened to be empty."""
    data = _Dataset()
    companies = {c.code: c for c in registry.companies}
    families = {
        code: tuple(f for f in _FAMILIES if any(_family(t) == f for t in _company_tables(company)))
        for code, company in companies.items()
    }
    locales = {code: _locale(company) for code, company in companies.items()}

    # The well-known people first, each from their own generator: their rows and numbers
    # stay put whatever the crowd's size or seed.
    known = _well_known()
    for person in known:
        rng = random.Random(f"demo-person:{person.email}")
        for membership in person.memberships:
            if membership.company not in companies:
                continue
            for family in membership.families:
                if family in families[membership.company]:
                    ctx = _Context(
                        data, rng, person, membership, locales[membership.company], membership.company, None
                    )
                    _GENERATORS[family](ctx)
    _astrid_tickets(data, locales, known[0], families)

    rng = random.Random(seed)
    reserved_phones = {p.phone for p in DEMO_PEOPLE} | {_COLLEAGUE_PHONE}
    reserved_phones |= {loc.service_phone for loc in locales.values()}
    phonebook = _PhoneBook(rng, reserved_phones)
    used_emails = {p.email for p in DEMO_PEOPLE}
    reserved_names = {p.full_name for p in DEMO_PEOPLE} | {_COLLEAGUE_NAME}
    crowd = [_random_person(rng, phonebook, used_emails, reserved_names) for _ in range(people)]
    next_customer = [200000]
    for person in crowd:
        _assign(rng, person, registry, families, next_customer)
    mentions = _Mentions(crowd)
    for person in crowd:
        for membership in person.memberships:
            for family in membership.families:
                ctx = _Context(
                    data, rng, person, membership, locales[membership.company], membership.company, mentions
                )
                _GENERATORS[family](ctx)
    for code, company in companies.items():
        if "web" in families[code]:
            _anonymous_web(data, rng, code, locales[code], company.country)
    return data


# ---------------------------------------------------------------------------
# Databases
# ---------------------------------------------------------------------------


def company_database(code: str) -> str:
    """Each company gets its own database, as separate legal entities would."""
    return f"demo_{code}"


def company_dsn(admin_dsn: str, database: str) -> str:
    """The admin DSN with another database; host, user and socket options stay the same."""
    parts = urlsplit(admin_dsn)
    return urlunsplit(parts._replace(path=f"/{database}"))


async def _create_database(admin_dsn: str, database: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            try:
                await conn.execute(f"CREATE DATABASE {quote_ident(database)}")
            except asyncpg.DuplicateDatabaseError:
                pass  # another seeder won the race; the database is there either way
    finally:
        await conn.close()


async def _is_empty(conn: asyncpg.Connection, tables: Iterable[str]) -> bool:
    for table in tables:
        if await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {quote_ident(table)})"):  # noqa: S608
            return False
    return True


async def _prepare(
    dsn: str, tables: Mapping[str, Mapping[IdentityKey, str]], extras: _Extras | None = None
) -> bool:
    """Create the tables, the indexes searches need, the suppression lists and the export
    views; say whether the company is empty."""
    extras = extras or _Extras()
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_ID)
            for table, match in tables.items():
                await conn.execute(_create_table_sql(table))
                for column in sorted(extras.flags.get(table, frozenset()) | {RESTRICTION_COLUMN}):
                    await conn.execute(_add_flag_sql(table, column))
                for key, column in match.items():
                    # Collection compares lower(email); the index has to be on the same thing.
                    expression = (
                        f"lower({quote_ident(column)})" if key is IdentityKey.EMAIL else (quote_ident(column))
                    )
                    suffix = "lower_idx" if key is IdentityKey.EMAIL else "idx"
                    await conn.execute(
                        f"CREATE INDEX IF NOT EXISTS {quote_ident(f'{table}_{column}_{suffix}')} "
                        f"ON {quote_ident(table)} ({expression})"
                    )
            for suppression in extras.suppression_tables:
                await conn.execute(_suppression_table_sql(suppression))
            for view in _export_views_sql(tables, extras.suppression_tables):
                await conn.execute(view)
            return await _is_empty(conn, tables)
    finally:
        await conn.close()


async def _load(dsn: str, company: str, tables: Iterable[str], rows: Mapping[str, list[Row]]) -> int:
    """Load one company in one transaction, so a crash leaves it empty and seedable again."""
    names = list(tables)
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_ID)
            if not await _is_empty(conn, names):
                return 0  # a concurrent seeder got here first
            total = 0
            for table in names:
                records = rows.get(table, [])
                if records:
                    await conn.copy_records_to_table(table, records=records, columns=list(_COLUMNS[table]))
                    total += len(records)
            log.info("demo.seeded", company=company, rows=total)
            return total
    finally:
        await conn.close()


async def seed_demo_group(
    admin_dsn: str,
    registry: GroupRegistry,
    *,
    people: int = 300,
    seed: int = 20261125,
) -> dict[str, str]:
    """Make every company's database exist with its tables and, if still empty, its data.

    A company that already holds any row is left alone: the seeder must never add a second
    crowd on top of a database someone has been trying requests against. Returns the DSN
    for each connection setting of the registry (`DSAR_CONN_<name>`).
    """
    if people < 0:
        raise ValueError("people must not be negative")
    tables = {
        company.code: _company_tables(company)
        for company in registry.companies
        if any(s.kind is SystemKind.POSTGRES for s in company.systems)
    }
    dsns = {code: company_dsn(admin_dsn, company_database(code)) for code in tables}
    for code in tables:
        await _create_database(admin_dsn, company_database(code))
    codes = list(tables)
    extras = {company.code: _company_extras(company) for company in registry.companies}
    empty = await asyncio.gather(*(_prepare(dsns[code], tables[code], extras[code]) for code in codes))
    todo = [code for code, is_empty in zip(codes, empty, strict=True) if is_empty]
    if todo:
        data = await asyncio.to_thread(_build_dataset, registry, people, seed)
        await asyncio.gather(
            *(_load(dsns[code], code, tables[code], data.rows.get(code, {})) for code in todo)
        )
    return {
        system.connection: dsns[company.code]
        for company in registry.companies
        for system in company.systems
        if system.connection and company.code in dsns
    }

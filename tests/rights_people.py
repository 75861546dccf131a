"""Brand-new people planted in the shared demo databases, for tests that change data.

The demo databases are shared by the whole test session, and the well-known people
(`devstack.demo_group.DEMO_PEOPLE`) are what collection and redaction tests are written
against: an erasure or rectification test must never touch them. `plant_person` inserts
a fresh person, with a unique e-mail address, phone number and customer number, into
several tables of several companies; `register_person` gives them a request in the case
store, which is where the connectors read the person's identity from.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import asyncpg
import phonenumbers

from activities.case_store import seal_subject
from casestore.db import Conn
from dsar.codec import KeyRing
from dsar.domain import Channel, Language, Right, SubjectIdentity, format_reference
from dsar.group import GroupRegistry

# Tables `plant_person` fills, by company.
PLANTED_TABLES: dict[str, tuple[str, ...]] = {
    "gb01": (
        "crm_customers",
        "support_tickets",
        "marketing_preferences",
        "web_page_views",
        "events_attendee_lists",
    ),
    "se01": (
        "crm_customers",
        "billing_invoices",
        "billing_payments",
        "app_location_pings",
        "app_usage_events",
    ),
    "nl01": ("crm_customers",),
}
# A payment provider the registry does not know (its name must never reach a log or note).
UNKNOWN_PROVIDER = "Klarna"


@dataclass(frozen=True)
class PlantedPerson:
    full_name: str
    email: str
    phone: str
    customer_number: str
    # se01 invoices: "recent" (issued two years ago) and "old" (nine years ago).
    invoices: dict[str, str] = field(default_factory=dict)
    invoice_dates: dict[str, date] = field(default_factory=dict)
    # Connection setting name per company (keys of `source_pools`).
    connections: dict[str, str] = field(default_factory=dict)

    def subject(self) -> SubjectIdentity:
        return SubjectIdentity(
            full_name=self.full_name,
            email=self.email,
            phone=self.phone,
            customer_number=self.customer_number,
        )

    def pool(self, source_pools: Mapping[str, asyncpg.Pool], company: str) -> asyncpg.Pool:
        return source_pools[self.connections[company]]


def _unique_phone(rng: random.Random) -> str:
    """A valid Finnish mobile number: the demo crowd has none, so nobody else matches it."""
    while True:
        number = f"+35850{rng.randrange(10**7):07d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(number)):
            return number


def _connection(registry: GroupRegistry, company: str) -> str:
    for system in registry.company(company).systems:
        if system.kind.value == "postgres" and system.connection:
            return system.connection
    raise KeyError(company)


def _years_ago(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


async def plant_person(
    source_pools: Mapping[str, asyncpg.Pool],
    registry: GroupRegistry,
    *,
    full_name: str = "Test Person",
) -> PlantedPerson:
    """Insert a new person into gb01, se01 and nl01 tables (see `PLANTED_TABLES`)."""
    token = uuid.uuid4().hex
    rng = random.Random(token)
    email = f"planted.{token[:16]}@example.com"
    phone = _unique_phone(rng)
    customer_number = f"T-{token[:12].upper()}"
    now = datetime.now(UTC)
    today = now.date()
    connections = {code: _connection(registry, code) for code in PLANTED_TABLES}
    recent_on = _years_ago(today, 2)
    old_on = _years_ago(today, 9)
    invoices = {"recent": f"INV-{token[:10]}-R", "old": f"INV-{token[:10]}-O"}

    async with source_pools[connections["gb01"]].acquire() as gb, gb.transaction():
        await _customer(gb, customer_number, full_name, email, phone, "GB", now)
        await gb.execute(
            "INSERT INTO support_tickets (ticket_number, customer_number, requester_name, requester_email,"
            " requester_phone, channel, product, subject, body, status, priority, opened_at)"
            " VALUES ($1, $2, $3, $4, $5, 'email', 'Payroll', 'Cannot log in', 'Please help.', 'closed',"
            " 'normal', $6)",
            f"TK-{token[:12]}",
            customer_number,
            full_name,
            email,
            phone,
            now - timedelta(days=30),
        )
        await gb.execute(
            "INSERT INTO marketing_preferences (email, phone, full_name, postal_address, email_opt_in,"
            " email_opt_in_at, sms_opt_in, sms_opt_in_at, post_opt_in, legal_basis, source, updated_at)"
            " VALUES ($1, $2, $3, '1 Test Street, London', true, $4, true, $4, false, 'consent',"
            " 'website form', $4)",
            email,
            phone,
            full_name,
            now - timedelta(days=100),
        )
        for minutes in (10, 20):
            await gb.execute(
                "INSERT INTO web_page_views (cookie_id, user_email, ip, user_agent, url, event_type,"
                " occurred_at) VALUES ($1, $2, '192.0.2.44', 'Mozilla/5.0', 'https://www.example.com/pricing',"
                " 'page_view', $3)",
                token,
                email,
                now - timedelta(minutes=minutes),
            )
        await gb.execute(
            "INSERT INTO events_attendee_lists (event_code, full_name, job_title, company_name, email,"
            " shared_with, shared_at) VALUES ('TEST-2026', $1, 'Controller', 'Test Ltd', $2,"
            " 'all attendees and exhibiting partners', $3)",
            full_name,
            email,
            now - timedelta(days=60),
        )

    async with source_pools[connections["se01"]].acquire() as se, se.transaction():
        await _customer(se, customer_number, full_name, email, phone, "SE", now)
        providers = {"recent": "Stripe", "old": UNKNOWN_PROVIDER}
        for which, issued in (("recent", recent_on), ("old", old_on)):
            await se.execute(
                "INSERT INTO billing_invoices (invoice_number, customer_number, billing_name, billing_email,"
                " billing_address, issued_on, due_on, currency, net_amount, vat_amount, total_amount, status,"
                " paid_on, lines) VALUES ($1, $2, $3, $4, 'Testgatan 1, 111 22 Stockholm', $5, $6, 'SEK',"
                " 1000.00, 250.00, 1250.00, 'paid', $6, $7)",
                invoices[which],
                customer_number,
                full_name,
                email,
                issued,
                issued + timedelta(days=30),
                json.dumps([{"item": "Licence", "amount": "1000.00"}]),
            )
            await se.execute(
                "INSERT INTO billing_payments (invoice_number, customer_number, payer_name, method, provider,"
                " provider_reference, amount, currency, paid_at) VALUES ($1, $2, $3, 'card', $4, $5,"
                " 1250.00, 'SEK', $6)",
                invoices[which],
                customer_number,
                full_name,
                providers[which],
                f"pay_{token[:16]}_{which}",
                datetime.combine(issued + timedelta(days=20), datetime.min.time(), UTC),
            )
        device = uuid.UUID(token)
        for minutes in (5, 15):
            await se.execute(
                "INSERT INTO app_location_pings (user_email, device_id, recorded_at, latitude, longitude,"
                " accuracy_m, service_call_ref, location_consent) VALUES ($1, $2, $3, 59.329300, 18.068600,"
                " 12, NULL, true)",
                email,
                device,
                now - timedelta(minutes=minutes),
            )
        await se.execute(
            "INSERT INTO app_usage_events (user_email, device_id, platform, app_version, event_type,"
            " occurred_at) VALUES ($1, $2, 'ios', '4.2.0', 'screen_view', $3)",
            email,
            device,
            now - timedelta(minutes=3),
        )

    async with source_pools[connections["nl01"]].acquire() as nl, nl.transaction():
        await _customer(nl, customer_number, full_name, email, phone, "NL", now)

    return PlantedPerson(
        full_name=full_name,
        email=email,
        phone=phone,
        customer_number=customer_number,
        invoices=invoices,
        invoice_dates={"recent": recent_on, "old": old_on},
        connections=connections,
    )


async def _customer(
    conn: Conn,
    customer_number: str,
    full_name: str,
    email: str,
    phone: str,
    country: str,
    now: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO crm_customers (customer_number, full_name, email, phone, company_name, job_title,"
        " street, postcode, city, country, preferred_language, customer_since, status, created_at,"
        " updated_at) VALUES ($1, $2, $3, $4, 'Test Ltd', 'Controller', '1 Test Street', '12345',"
        " 'Testville', $5, 'en', $6, 'active', $7, $7)",
        customer_number,
        full_name,
        email,
        phone,
        country,
        (now - timedelta(days=400)).date(),
        now,
    )


async def register_person(
    case_pool: asyncpg.Pool,
    ring: KeyRing,
    person: PlantedPerson,
    rights: list[Right],
    jurisdiction: str = "SE",
) -> str:
    """A request row for the person (sealed identity, as `register_request` stores it)."""
    subject = person.subject()
    async with case_pool.acquire() as conn:
        number = int(await conn.fetchval("SELECT nextval('request_number_seq')"))
        reference = format_reference(datetime.now(UTC).year, number)
        key_id, sealed = seal_subject(ring, reference, subject)
        await conn.execute(
            "INSERT INTO requests (reference, rights, jurisdiction, language, channel, received_on, status,"
            " subject_key_id, subject_ciphertext, email_lookup)"
            " VALUES ($1, $2, $3, $4, $5, $6, 'received', $7, $8, $9)",
            reference,
            [r.value for r in rights],
            jurisdiction,
            Language.EN.value,
            Channel.EMAIL.value,
            datetime.now(UTC).date(),
            key_id,
            sealed,
            ring.lookup_hash(subject.email),
        )
    return reference

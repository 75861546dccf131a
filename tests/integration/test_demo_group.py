"""The demo group seeds into a real PostgreSQL and holds what the README promises.

The well-known people are the fixtures later tests (collection, redaction, erasure) are
written against, so their placement is checked against the registry's own `match`
columns, the same way collection searches.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit

import asyncpg
import phonenumbers
import pytest
from stdnum import luhn
from stdnum.iso7064 import mod_97_10

from casestore.db import quote_ident
from devstack.demo_group import DEMO_PEOPLE, DemoPerson, demo_person, seed_demo_group
from devstack.local_servers import LocalPostgres, free_port
from dsar.domain import IdentityKey, normalise_email, normalise_phone
from dsar.group import GroupRegistry, SystemKind

pytestmark = pytest.mark.integration

SEED_PEOPLE = 300


@pytest.fixture(scope="module")
def pg_admin_dsn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh server of its own: the session's already holds the seeded demo group, and
    these tests time and repeat the seeding from empty."""
    root = tmp_path_factory.mktemp("demo-pg")
    server = LocalPostgres(root / "data", free_port(), root / "pg.log")
    server.start()
    try:
        yield server.admin_dsn
    finally:
        server.stop()


@pytest.fixture(scope="module")
async def seeded(pg_admin_dsn: str, registry: GroupRegistry) -> AsyncIterator[tuple[dict[str, str], float]]:
    started = time.perf_counter()
    dsns = await seed_demo_group(pg_admin_dsn, registry, people=SEED_PEOPLE)
    yield dsns, time.perf_counter() - started


def _company_dsns(registry: GroupRegistry, dsns: dict[str, str]) -> dict[str, str]:
    """Company code -> DSN, through the connection settings the seeder returned."""
    result: dict[str, str] = {}
    for company in registry.companies:
        for system in company.systems:
            if system.kind is SystemKind.POSTGRES and system.connection:
                result[company.code] = dsns[system.connection]
    return result


async def _row_counts(registry: GroupRegistry, dsns: dict[str, str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for code, dsn in _company_dsns(registry, dsns).items():
        conn = await asyncpg.connect(dsn)
        try:
            company = registry.company(code)
            for system in company.systems:
                for mapping in system.tables:
                    counts[f"{code}.{mapping.table}"] = await conn.fetchval(
                        f"SELECT count(*) FROM {quote_ident(mapping.table)}"  # noqa: S608
                    )
        finally:
            await conn.close()
    return counts


async def _where_found(
    registry: GroupRegistry, dsns: dict[str, str], person: DemoPerson
) -> set[tuple[str, str]]:
    """(company, system) pairs holding a row matched by the person's e-mail or phone."""
    found: set[tuple[str, str]] = set()
    for code, dsn in _company_dsns(registry, dsns).items():
        conn = await asyncpg.connect(dsn)
        try:
            for system in registry.company(code).systems:
                for mapping in system.tables:
                    clauses: list[str] = []
                    args: list[str] = []
                    for key, column in mapping.match.items():
                        if key is IdentityKey.EMAIL:
                            args.append(person.email)
                            clauses.append(f"lower({quote_ident(column)}) = ${len(args)}")
                        elif key is IdentityKey.PHONE:
                            args.append(person.phone)
                            clauses.append(f"{quote_ident(column)} = ${len(args)}")
                    if not clauses:
                        continue
                    hit = await conn.fetchval(
                        f"SELECT EXISTS (SELECT 1 FROM {quote_ident(mapping.table)} "  # noqa: S608
                        f"WHERE {' OR '.join(clauses)})",
                        *args,
                    )
                    if hit:
                        found.add((code, system.code))
        finally:
            await conn.close()
    return found


def test_registry_loads(registry: GroupRegistry) -> None:
    assert registry.name == "ECI group (demo)"
    controller = next(c for c in registry.companies if c.role == "controller")
    assert controller.code == "gb01"
    assert controller.registration_number == "05921693"
    assert len(registry.companies) >= 4
    systems = [s for c in registry.companies for s in c.systems]
    assert 16 <= len(systems) <= 24
    assert len(controller.systems) == max(len(c.systems) for c in registry.companies)
    # Every connector kind is tried somewhere in the demo group.
    assert {s.kind for s in systems} == set(SystemKind)
    for company in registry.companies:
        for system in company.systems:
            if system.kind is SystemKind.POSTGRES:
                assert system.connection == f"{company.code.upper()}_DB"
            elif system.kind is SystemKind.MANUAL:
                assert system.owner and system.connection is None
            else:
                assert system.connection and system.connection.startswith(company.code.upper())


def test_swedish_registration_number_has_a_valid_check_digit(registry: GroupRegistry) -> None:
    number = registry.company("se01").registration_number
    assert re.fullmatch(r"556\d{3}-\d{4}", number)
    assert luhn.is_valid(number.replace("-", ""))


def test_demo_people_are_valid_identities() -> None:
    emails = [p.email for p in DEMO_PEOPLE]
    phones = [p.phone for p in DEMO_PEOPLE]
    assert len(set(emails)) == len(emails)
    assert len(set(phones)) == len(phones)
    for person in DEMO_PEOPLE:
        assert normalise_email(person.email) == person.email
        assert normalise_phone(person.phone) == person.phone
        assert demo_person(person.email.upper()) is person
    assert any(not p.companies for p in DEMO_PEOPLE)
    with pytest.raises(KeyError):
        demo_person("nobody@example.com")


async def test_seeding_is_fast(seeded: tuple[dict[str, str], float]) -> None:
    _, elapsed = seeded
    assert elapsed < 10.0, f"seeding {SEED_PEOPLE} people took {elapsed:.1f}s"


async def test_every_database_and_table_exists(
    seeded: tuple[dict[str, str], float], registry: GroupRegistry
) -> None:
    dsns, _ = seeded
    assert set(dsns) == registry.connection_settings()
    for code, dsn in _company_dsns(registry, dsns).items():
        assert urlsplit(dsn).path == f"/demo_{code}"
        conn = await asyncpg.connect(dsn)
        try:
            present = {
                r["table_name"]
                for r in await conn.fetch(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                )
            }
            for system in registry.company(code).systems:
                for mapping in system.tables:
                    assert mapping.table in present, f"{code}: {mapping.table} missing"
                    rows = await conn.fetchval(
                        f"SELECT count(*) FROM {quote_ident(mapping.table)}"  # noqa: S608
                    )
                    assert rows > 0, f"{code}: {mapping.table} is empty"
        finally:
            await conn.close()


async def test_match_columns_exist(seeded: tuple[dict[str, str], float], registry: GroupRegistry) -> None:
    dsns, _ = seeded
    for code, dsn in _company_dsns(registry, dsns).items():
        conn = await asyncpg.connect(dsn)
        try:
            for system in registry.company(code).systems:
                for mapping in system.tables:
                    columns = {
                        r["column_name"]
                        for r in await conn.fetch(
                            "SELECT column_name FROM information_schema.columns "
                            "WHERE table_schema = 'public' AND table_name = $1",
                            mapping.table,
                        )
                    }
                    assert mapping.key_column in columns
                    for column in mapping.match.values():
                        assert column in columns, f"{code}.{mapping.table}.{column}"
        finally:
            await conn.close()


async def test_stored_identities_are_normalised(
    seeded: tuple[dict[str, str], float], registry: GroupRegistry
) -> None:
    """Collection matches lower-cased e-mails and E.164 phones exactly; the data must agree."""
    dsns, _ = seeded
    for code, dsn in _company_dsns(registry, dsns).items():
        conn = await asyncpg.connect(dsn)
        try:
            for system in registry.company(code).systems:
                for mapping in system.tables:
                    for key, column in mapping.match.items():
                        col = quote_ident(column)
                        table = quote_ident(mapping.table)
                        if key is IdentityKey.EMAIL:
                            bad = await conn.fetchval(
                                f"SELECT count(*) FROM {table} WHERE {col} <> lower({col})"  # noqa: S608
                                f" OR {col} !~ '@example\\.(com|org|net|se)$'"
                            )
                        elif key is IdentityKey.PHONE:
                            bad = await conn.fetchval(
                                f"SELECT count(*) FROM {table} WHERE {col} !~ '^\\+[1-9][0-9]{{6,14}}$'"  # noqa: S608
                            )
                        else:
                            continue
                        assert bad == 0, f"{code}.{mapping.table}.{column}"
        finally:
            await conn.close()


async def test_seeding_twice_changes_nothing(
    seeded: tuple[dict[str, str], float], registry: GroupRegistry, pg_admin_dsn: str
) -> None:
    dsns, _ = seeded
    before = await _row_counts(registry, dsns)
    again = await seed_demo_group(pg_admin_dsn, registry, people=SEED_PEOPLE)
    assert again == dsns
    assert await _row_counts(registry, dsns) == before


@pytest.mark.parametrize("person", DEMO_PEOPLE, ids=lambda p: p.email)
async def test_demo_people_are_found_exactly_where_listed(
    seeded: tuple[dict[str, str], float], registry: GroupRegistry, person: DemoPerson
) -> None:
    dsns, _ = seeded
    found = await _where_found(registry, dsns, person)
    assert {company for company, _ in found} == set(person.companies)


async def test_astrid_is_spread_over_companies_and_systems(
    seeded: tuple[dict[str, str], float], registry: GroupRegistry
) -> None:
    dsns, _ = seeded
    astrid = demo_person("astrid.lindqvist@example.se")
    assert {"gb01", "se01"} <= set(astrid.companies)
    found = await _where_found(registry, dsns, astrid)
    assert len(found) >= 5
    assert len({company for company, _ in found}) >= 3


async def test_astrids_tickets_quote_other_people(
    seeded: tuple[dict[str, str], float], registry: GroupRegistry
) -> None:
    dsns, _ = seeded
    bodies: list[str] = []
    for code in ("se01", "gb01"):
        conn = await asyncpg.connect(_company_dsns(registry, dsns)[code])
        try:
            rows = await conn.fetch(
                "SELECT body FROM support_tickets WHERE lower(requester_email) = $1",
                "astrid.lindqvist@example.se",
            )
        finally:
            await conn.close()
        bodies.extend(r["body"] for r in rows)
    text = "\n".join(bodies)
    assert "Johan Berg" in text and "johan.berg@example.com" in text
    assert "Emma Clarke" in text and "emma.clarke@example.org" in text
    assert "Lars Ek" in text
    for match in re.finditer(r"\b(\d{6})-(\d{4})\b", text):
        assert luhn.is_valid(match.group(1) + match.group(2))
    # The "no data found" person is never quoted anywhere either.
    assert "karin.odmark@example.net" not in text


async def test_free_text_mentions_other_people(
    seeded: tuple[dict[str, str], float], registry: GroupRegistry
) -> None:
    dsns, _ = seeded
    conn = await asyncpg.connect(_company_dsns(registry, dsns)["gb01"])
    try:
        tickets = await conn.fetch("SELECT requester_email, body FROM support_tickets")
        notes = await conn.fetch("SELECT body FROM crm_notes")
        attendee = await conn.fetch(
            "SELECT attendee_note FROM events_registrations WHERE attendee_note IS NOT NULL"
        )
    finally:
        await conn.close()
    email = re.compile(r"[a-z0-9._-]+@example\.(?:com|org|net|se)")
    quoting_others = [t for t in tickets if any(e != t["requester_email"] for e in email.findall(t["body"]))]
    assert len(quoting_others) >= 5
    assert any(email.search(n["body"]) for n in notes)
    assert any(email.search(a["attendee_note"]) for a in attendee)

    text = "\n".join(t["body"] for t in tickets) + "\n".join(n["body"] for n in notes)
    iban = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,4})?\b")
    ibans = iban.findall(text)
    # Card numbers are looked for outside IBANs, whose digit groups look alike.
    cards = re.findall(r"\b\d{4}(?: ?\d{4}){3}\b|\b\d{4} \d{6} \d{5}\b", iban.sub(" ", text))
    ninos = re.findall(r"\bQQ \d{2} \d{2} \d{2} [A-D]\b", text)
    assert ibans and cards and ninos
    for found in ibans:
        compact = found.replace(" ", "")
        assert mod_97_10.is_valid(compact[4:] + compact[:4]), found
    for card in cards:
        assert luhn.is_valid(card.replace(" ", "")), card


async def test_nobody_uses_the_unknown_persons_details(
    seeded: tuple[dict[str, str], float], registry: GroupRegistry
) -> None:
    """Not even in free text: "no data found" must be true of every column."""
    dsns, _ = seeded
    nowhere = next(p for p in DEMO_PEOPLE if not p.companies)
    national = phonenumbers.format_number(
        phonenumbers.parse(nowhere.phone), phonenumbers.PhoneNumberFormat.NATIONAL
    )
    for code, dsn in _company_dsns(registry, dsns).items():
        conn = await asyncpg.connect(dsn)
        try:
            for system in registry.company(code).systems:
                for mapping in system.tables:
                    table = quote_ident(mapping.table)
                    hit = await conn.fetchval(
                        f"SELECT EXISTS (SELECT 1 FROM {table} t "  # noqa: S608
                        "WHERE strpos(lower(t::text), $1) > 0 OR strpos(t::text, $2) > 0"
                        " OR strpos(t::text, $3) > 0)",
                        nowhere.email,
                        nowhere.phone,
                        national,
                    )
                    assert not hit, f"{code}.{mapping.table}"
        finally:
            await conn.close()

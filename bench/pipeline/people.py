"""Synthetic people for the requests: the demo generator's crowd, read back from the seeded
company databases (`crm_customers`), spread over the companies in turn."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import zip_longest

import asyncpg

from devstack.demo_group import DEMO_PEOPLE, company_database, company_dsn
from dsar.group import GroupRegistry


@dataclass(frozen=True)
class Person:
    full_name: str
    email: str
    company: str


async def crowd(admin_dsn: str, registry: GroupRegistry) -> list[Person]:
    """Every customer the generator put in a CRM, once each, companies interleaved (so the
    first N people cover every company), the well-known demo people left out."""
    known = {p.email for p in DEMO_PEOPLE}
    per_company: list[list[Person]] = []
    for company in registry.companies:
        try:
            conn = await asyncpg.connect(company_dsn(admin_dsn, company_database(company.code)))
        except asyncpg.InvalidCatalogNameError:
            continue  # a company without a PostgreSQL system
        try:
            exists = await conn.fetchval("SELECT to_regclass('crm_customers') IS NOT NULL")
            rows = (
                await conn.fetch(
                    "SELECT full_name, lower(email) AS email FROM crm_customers"
                    " WHERE email IS NOT NULL ORDER BY id"
                )
                if exists
                else []
            )
        finally:
            await conn.close()
        per_company.append([Person(r["full_name"], r["email"], company.code) for r in rows])
    seen: set[str] = set(known)
    people = []
    for row in zip_longest(*per_company):
        for person in row:
            if person is not None and person.email not in seen:
                seen.add(person.email)
                people.append(person)
    return people

"""The PostgreSQL connector takes the other rights' actions on real demo databases.

Every test plants a brand-new person (`tests.rights_people`): the demo databases are
shared with the rest of the session, and the well-known people must stay as they are.
"""

from __future__ import annotations

import uuid
from collections.abc import MutableMapping
from typing import Any

import asyncpg
import pytest
from structlog.testing import capture_logs
from temporalio.testing import ActivityEnvironment

from activities.execute_postgres import PostgresExecutor
from dsar.codec import KeyRing
from dsar.domain import CorrectableField, Correction, Right
from dsar.group import GroupRegistry
from dsar.messages.actions import Action, ActionResult, ActionStatus, ExecuteSystemInput
from tests.rights_people import UNKNOWN_PROVIDER, PlantedPerson, plant_person, register_person

pytestmark = pytest.mark.integration

BOKFORINGSLAGEN = "Bokföringslagen (1999:1078) 7 kap. 2 §"


@pytest.fixture
def executor(
    case_pool: asyncpg.Pool, ring: KeyRing, registry: GroupRegistry, source_pools: dict[str, asyncpg.Pool]
) -> PostgresExecutor:
    return PostgresExecutor(case_pool, ring, registry, source_pools)


async def _planted(
    case_pool: asyncpg.Pool,
    ring: KeyRing,
    registry: GroupRegistry,
    source_pools: dict[str, asyncpg.Pool],
    rights: list[Right],
) -> tuple[PlantedPerson, str]:
    person = await plant_person(source_pools, registry)
    reference = await register_person(case_pool, ring, person, rights)
    return person, reference


async def _run(executor: PostgresExecutor, **fields: Any) -> ActionResult:
    inp = ExecuteSystemInput(**fields)
    result: ActionResult = await ActivityEnvironment().run(executor.execute_postgres, inp)
    return result


def _no_personal_data(logs: list[MutableMapping[str, Any]], person: PlantedPerson) -> None:
    text = repr(logs)
    for value in (person.email, person.phone, person.full_name, person.customer_number, UNKNOWN_PROVIDER):
        assert value not in text


async def test_rectify_changes_the_columns_and_records_before_and_after(
    executor: PostgresExecutor,
    case_pool: asyncpg.Pool,
    ring: KeyRing,
    registry: GroupRegistry,
    source_pools: dict[str, asyncpg.Pool],
) -> None:
    person, reference = await _planted(case_pool, ring, registry, source_pools, [Right.RECTIFICATION])
    new_email = f"corrected.{uuid.uuid4().hex[:12]}@example.com"
    corrections = [
        Correction(field=CorrectableField.FULL_NAME, value="Test Corrected"),
        Correction(field=CorrectableField.EMAIL, value=new_email),
        Correction(field=CorrectableField.CITY, value="Testville"),  # already right: not a change
    ]
    args = {"reference": reference, "company": "gb01", "system": "crm", "action": Action.RECTIFY}
    with capture_logs() as logs:
        result = await _run(executor, **args, corrections=corrections)
    assert result.status is ActionStatus.DONE
    assert result.changed == 1
    assert result.fields == ["email", "full_name"]
    _no_personal_data(logs, person)

    gb = person.pool(source_pools, "gb01")
    row = await gb.fetchrow(
        "SELECT full_name, email, city FROM crm_customers WHERE customer_number = $1", person.customer_number
    )
    assert row is not None
    assert (row["full_name"], row["email"], row["city"]) == ("Test Corrected", new_email, "Testville")
    # Other systems of the company are not this activity's business.
    assert (
        await gb.fetchval(
            "SELECT requester_email FROM support_tickets WHERE customer_number = $1", person.customer_number
        )
        == person.email
    )

    changes = await case_pool.fetch(
        "SELECT source_table, field, key_id, before_sealed, after_sealed FROM executed_changes"
        " WHERE reference = $1 ORDER BY field",
        reference,
    )
    assert [(c["source_table"], c["field"]) for c in changes] == [
        ("crm_customers", "email"),
        ("crm_customers", "full_name"),
    ]
    context = f"{reference}:change".encode()
    opened = [
        (
            ring.decrypt(c["key_id"], c["before_sealed"], context).decode(),
            ring.decrypt(c["key_id"], c["after_sealed"], context).decode(),
        )
        for c in changes
    ]
    assert opened == [(person.email, new_email), (person.full_name, "Test Corrected")]

    # A retry after the commit (the old e-mail finds nothing any more) still reports the truth.
    again = await _run(executor, **args, corrections=corrections)
    assert (again.changed, again.fields) == (1, ["email", "full_name"])
    assert (
        await case_pool.fetchval("SELECT count(*) FROM executed_changes WHERE reference = $1", reference) == 2
    )


async def test_erase_keeps_what_the_law_requires_and_names_the_recipients(
    executor: PostgresExecutor,
    case_pool: asyncpg.Pool,
    ring: KeyRing,
    registry: GroupRegistry,
    source_pools: dict[str, asyncpg.Pool],
) -> None:
    person, reference = await _planted(case_pool, ring, registry, source_pools, [Right.ERASURE])
    args = {"reference": reference, "company": "se01", "system": "billing", "action": Action.ERASE}
    with capture_logs() as logs:
        result = await _run(executor, **args, jurisdiction="GB")
    _no_personal_data(logs, person)
    assert result.status is ActionStatus.DONE
    assert result.changed == 2  # the old invoice and its payment
    # A Swedish company keeps its books under Swedish law, whoever asks.
    recent = person.invoice_dates["recent"]
    until = recent.replace(year=recent.year + 7)
    kept = {k.category: k for k in result.kept}
    assert set(kept) == {"billing", "payment"}
    assert kept["billing"].items == 1
    assert kept["billing"].legal_basis == BOKFORINGSLAGEN
    assert kept["billing"].until == until
    assert kept["payment"].items == 1
    assert kept["payment"].until is not None and kept["payment"].until > until  # paid 20 days after issue
    # Art. 19: Stripe from the kept payment's provider column, UC from the system's `disclosed_to`;
    # the unknown provider is counted, never named.
    assert result.recipients == ["stripe", "uc"]
    assert result.note is not None
    assert "1 recipient name(s) not in the group registry" in result.note
    assert UNKNOWN_PROVIDER not in result.note

    se = person.pool(source_pools, "se01")
    invoices = {
        r["invoice_number"]: r["processing_restricted"]
        for r in await se.fetch(
            "SELECT invoice_number, processing_restricted FROM billing_invoices WHERE customer_number = $1",
            person.customer_number,
        )
    }
    assert invoices == {person.invoices["recent"]: True}
    payments = await se.fetch(
        "SELECT provider, processing_restricted FROM billing_payments WHERE customer_number = $1",
        person.customer_number,
    )
    assert [(p["provider"], p["processing_restricted"]) for p in payments] == [("Stripe", True)]

    # A repeated run finds nothing to erase, and reports the first result, not "0 rows".
    again = await _run(executor, **args, jurisdiction="GB")
    assert again.changed == 2
    assert [k.model_dump() for k in again.kept] == [k.model_dump() for k in result.kept]
    assert again.recipients == ["stripe", "uc"]
    stored = await case_pool.fetchrow(
        "SELECT status, changed FROM action_results WHERE reference = $1 AND system = 'billing'", reference
    )
    assert stored is not None and (stored["status"], stored["changed"]) == ("done", 2)
    audit = await case_pool.fetchval(
        "SELECT count(*) FROM audit_log WHERE reference = $1 AND action = 'action.erase.done'", reference
    )
    assert audit == 1

    # Systems without a retention duty delete everything: the CRM row and the app's rows.
    crm = await _run(executor, reference=reference, company="se01", system="crm", action=Action.ERASE)
    assert (crm.changed, crm.kept) == (1, [])
    assert not await se.fetchval(
        "SELECT count(*) FROM crm_customers WHERE customer_number = $1", person.customer_number
    )
    app = await _run(executor, reference=reference, company="se01", system="app", action=Action.ERASE)
    assert app.changed == 3  # two location pings, one usage event
    assert not await se.fetchval(
        "SELECT count(*) FROM app_location_pings WHERE user_email = $1", person.email
    )
    # Nobody else's rows went: the other companies still hold the person.
    nl = person.pool(source_pools, "nl01")
    assert await nl.fetchval("SELECT count(*) FROM crm_customers WHERE email = $1", person.email) == 1


async def test_erase_under_a_legal_hold_keeps_everything(
    executor: PostgresExecutor,
    case_pool: asyncpg.Pool,
    ring: KeyRing,
    registry: GroupRegistry,
    source_pools: dict[str, asyncpg.Pool],
) -> None:
    person, reference = await _planted(case_pool, ring, registry, source_pools, [Right.ERASURE])
    result = await _run(
        executor,
        reference=reference,
        company="se01",
        system="billing",
        action=Action.ERASE,
        legal_hold="pending dispute",
    )
    assert result.changed == 0
    assert sorted((k.category, k.items, k.legal_basis, k.until) for k in result.kept) == [
        ("billing", 2, "legal hold: pending dispute", None),
        ("payment", 2, "legal hold: pending dispute", None),
    ]
    se = person.pool(source_pools, "se01")
    assert (
        await se.fetchval(
            "SELECT count(*) FROM billing_invoices WHERE customer_number = $1", person.customer_number
        )
        == 2
    )
    assert (
        await se.fetchval(
            "SELECT count(*) FROM billing_payments WHERE customer_number = $1", person.customer_number
        )
        == 2
    )


async def _in_export(pool: asyncpg.Pool, view: str, column: str, email: str) -> int:
    return int(await pool.fetchval(f"SELECT count(*) FROM {view} WHERE {column} = $1", email))  # noqa: S608


async def test_restrict_then_lift(
    executor: PostgresExecutor,
    case_pool: asyncpg.Pool,
    ring: KeyRing,
    registry: GroupRegistry,
    source_pools: dict[str, asyncpg.Pool],
) -> None:
    person, reference = await _planted(case_pool, ring, registry, source_pools, [Right.RESTRICTION])
    gb = person.pool(source_pools, "gb01")
    se = person.pool(source_pools, "se01")
    assert await _in_export(gb, "marketing_export", "email", person.email) == 1
    assert await _in_export(gb, "analytics_export", "user_email", person.email) == 2
    assert await _in_export(se, "analytics_export", "user_email", person.email) == 1

    targets = [("gb01", "marketing", 1), ("gb01", "web", 2), ("se01", "app", 3), ("gb01", "events", 1)]
    for company, system, rows in targets:
        result = await _run(
            executor, reference=reference, company=company, system=system, action=Action.RESTRICT
        )
        assert (system, result.changed) == (system, rows)
    assert await _in_export(gb, "marketing_export", "email", person.email) == 0
    assert await _in_export(gb, "analytics_export", "user_email", person.email) == 0
    assert await _in_export(se, "analytics_export", "user_email", person.email) == 0
    assert await gb.fetchval(
        "SELECT bool_and(processing_restricted) FROM web_page_views WHERE user_email = $1", person.email
    )
    # The attendee list was shared with the other attendees: they are to be told (Art. 19).
    events = await case_pool.fetchval(
        "SELECT recipients FROM action_results"
        " WHERE reference = $1 AND company = 'gb01' AND system = 'events' AND action = 'restrict'",
        reference,
    )
    assert events == ["eventpartners"]

    for company, system, rows in targets:
        result = await _run(
            executor, reference=reference, company=company, system=system, action=Action.LIFT_RESTRICTION
        )
        assert (system, result.changed, result.recipients) == (system, rows, [])
    assert await _in_export(gb, "marketing_export", "email", person.email) == 1
    assert await _in_export(gb, "analytics_export", "user_email", person.email) == 2
    assert await _in_export(se, "analytics_export", "user_email", person.email) == 1


async def test_withdraw_consent(
    executor: PostgresExecutor,
    case_pool: asyncpg.Pool,
    ring: KeyRing,
    registry: GroupRegistry,
    source_pools: dict[str, asyncpg.Pool],
) -> None:
    person, reference = await _planted(case_pool, ring, registry, source_pools, [Right.CONSENT_WITHDRAWAL])
    se = person.pool(source_pools, "se01")
    result = await _run(
        executor, reference=reference, company="se01", system="app", action=Action.WITHDRAW_CONSENT
    )
    assert result.changed == 2
    assert result.recipients == []
    consents = await se.fetch(
        "SELECT location_consent FROM app_location_pings WHERE user_email = $1", person.email
    )
    assert [c["location_consent"] for c in consents] == [False, False]
    # A system without consent flags changes nothing, and says so.
    crm = await _run(
        executor, reference=reference, company="gb01", system="crm", action=Action.WITHDRAW_CONSENT
    )
    assert (crm.status, crm.changed, crm.note) == (ActionStatus.DONE, 0, "no consent flags in this system")


async def test_suppress_marketing(
    executor: PostgresExecutor,
    case_pool: asyncpg.Pool,
    ring: KeyRing,
    registry: GroupRegistry,
    source_pools: dict[str, asyncpg.Pool],
) -> None:
    person, reference = await _planted(case_pool, ring, registry, source_pools, [Right.OBJECTION])
    gb = person.pool(source_pools, "gb01")
    assert await _in_export(gb, "marketing_export", "email", person.email) == 1
    with capture_logs() as logs:
        result = await _run(
            executor,
            reference=reference,
            company="gb01",
            system="marketing",
            action=Action.SUPPRESS_MARKETING,
        )
    _no_personal_data(logs, person)
    assert result.changed == 3  # e-mail and phone on the list, one preference row opted out
    entries = {
        r["value"]: (r["kind"], r["source"])
        for r in await gb.fetch(
            "SELECT value, kind, source FROM marketing_suppressions WHERE value = ANY($1)",
            [person.email, person.phone],
        )
    }
    assert entries == {
        person.email: ("email", f"dsar {reference}"),
        person.phone: ("phone", f"dsar {reference}"),
    }
    prefs = await gb.fetchrow(
        "SELECT email_opt_in, sms_opt_in, post_opt_in FROM marketing_preferences WHERE email = $1",
        person.email,
    )
    assert prefs is not None and tuple(prefs) == (False, False, False)
    assert await _in_export(gb, "marketing_export", "email", person.email) == 0
    again = await _run(
        executor, reference=reference, company="gb01", system="marketing", action=Action.SUPPRESS_MARKETING
    )
    assert again.changed == 3  # the first result stands
    # Even with the opt-in back on (a later form submission), the list keeps them out.
    await gb.execute("UPDATE marketing_preferences SET email_opt_in = true WHERE email = $1", person.email)
    assert await _in_export(gb, "marketing_export", "email", person.email) == 0

"""Whatever a submission may contain and still be accepted is stored and read back verbatim."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from temporalio.testing import ActivityEnvironment

from activities.case_store import CaseStoreActivities, load_subject
from cli import UsageError
from dsar.codec import KeyRing
from dsar.domain import format_reference
from dsar.group import GroupRegistry
from dsar.messages.intake import RightsRequestInput
from tests.unit.test_malformed_input import hostile_text, submit


def test_accepted_submissions_round_trip_through_the_case_store(
    servers: Any, ring: KeyRing, registry: GroupRegistry
) -> None:
    async def make_pool() -> asyncpg.Pool:
        from casestore.db import create_pool

        return await create_pool(servers.case_dsn, max_size=2)

    loop = asyncio.new_event_loop()
    pool = loop.run_until_complete(make_pool())
    activities = CaseStoreActivities(pool, ring, registry)
    stored = 0

    @settings(max_examples=250, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(name=hostile_text, email=st.emails(), customer=st.none() | hostile_text)
    def check(name: str, email: str, customer: str | None) -> None:
        nonlocal stored
        try:
            sub = submit(name=name, email=email, customer_number=customer)
        except UsageError:
            return

        async def round_trip() -> None:
            number = await pool.fetchval("SELECT nextval('request_number_seq')")
            reference = format_reference(2026, int(number))
            req = RightsRequestInput(reference=reference, submission=sub, submitted_by="tester")
            await ActivityEnvironment().run(activities.register_request, req)
            await ActivityEnvironment().run(activities.register_request, req)  # idempotent
            async with pool.acquire() as conn:
                assert await load_subject(conn, ring, reference) == sub.subject
                count = await conn.fetchval("SELECT count(*) FROM requests WHERE reference = $1", reference)
                assert count == 1

        loop.run_until_complete(round_trip())
        stored += 1

    try:
        check()
    finally:
        loop.run_until_complete(pool.close())
        loop.close()
    assert stored > 20, "the strategy should produce accepted submissions too"

"""A second request for the same person and rights, while one is open, is linked to it."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from dsar.cli import find_open_duplicate, link_duplicate
from dsar.config import Settings
from dsar.domain import Channel, Language, RequestSubmission, Right, Status, SubjectIdentity
from tests.workflow.conftest import astrid, running_workers, start_request_for, wait_for_status


def submission(rights: list[Right], email: str) -> RequestSubmission:
    return RequestSubmission(
        rights=rights,
        subject=SubjectIdentity(full_name="Astrid Lindqvist", email=email),
        language=Language.SV,
        jurisdiction="SE",
        channel=Channel.LETTER,
        received_on=date(2026, 11, 23),
    )


async def test_a_second_request_for_the_same_person_and_rights_is_linked(
    time_skipping_env: Any, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool, settings: Settings
) -> None:
    client = time_skipping_env.client
    person = astrid()
    async with running_workers(client, **workers_kwargs) as queue:
        handle = await start_request_for(client, queue, case_pool, date(2026, 11, 20))
        reference = handle.id.removeprefix("dsar-")
        await wait_for_status(handle, Status.IDENTITY)

        # Same person (the e-mail in another case), same right: linked, not started again.
        again = submission([Right.ACCESS], person.email.upper())
        assert await find_open_duplicate(settings, again) == reference
        await link_duplicate(settings, reference, again)
        # Other rights, or another person: a request of its own.
        assert await find_open_duplicate(settings, submission([Right.ERASURE], person.email)) is None
        assert await find_open_duplicate(settings, submission([Right.ACCESS], "someone@example.org")) is None

        await handle.terminate("test done")
    linked = await case_pool.fetchrow(
        "SELECT actor, details FROM audit_log WHERE reference = $1 AND action = 'request.duplicate_linked'",
        reference,
    )
    assert linked is not None and linked["details"]["channel"] == "letter"
    assert person.email not in str(linked["details"])
    # Once the first is closed, the same request starts afresh.
    await case_pool.execute("UPDATE requests SET status = 'closed' WHERE reference = $1", reference)
    assert await find_open_duplicate(settings, submission([Right.ACCESS], person.email)) is None

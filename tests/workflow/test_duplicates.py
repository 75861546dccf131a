"""A second request for the same person and rights, while one is open, is linked to it."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import asyncpg

from cli import find_open_duplicate, link_duplicate, start_request
from dsar.config import Settings
from dsar.domain import Channel, Language, RequestSubmission, Right, Status, SubjectIdentity
from tests.workflow.conftest import new_reference, running_workers, wait_for_status
from workflows.rights_request import RightsRequestWorkflow


def submission(rights: list[Right], email: str) -> RequestSubmission:
    return RequestSubmission(
        rights=rights,
        subject=SubjectIdentity(full_name="Dana Duplicate", email=email),
        language=Language.SV,
        jurisdiction="SE",
        channel=Channel.LETTER,
        received_on=date(2026, 11, 23),
    )


async def test_a_second_request_for_the_same_person_and_rights_is_linked(
    time_skipping_env: Any, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool, settings: Settings
) -> None:
    client = time_skipping_env.client
    # A person of this test alone: other tests leave requests of the demo people open.
    email = f"dup-{uuid.uuid4().hex[:8]}@example.org"
    async with running_workers(client, **workers_kwargs) as queue:
        reference = await new_reference(case_pool)
        await start_request(client, reference, submission([Right.ACCESS], email), "tester", task_queue=queue)
        handle = client.get_workflow_handle_for(RightsRequestWorkflow.run, f"dsar-{reference}")
        await wait_for_status(handle, Status.IDENTITY)

        # Same person (the e-mail in another case), same right: linked, not started again.
        again = submission([Right.ACCESS], email.upper())
        assert await find_open_duplicate(settings, again) == reference
        await link_duplicate(settings, reference, again)
        # Other rights, or another person: a request of its own.
        assert await find_open_duplicate(settings, submission([Right.ERASURE], email)) is None
        assert await find_open_duplicate(settings, submission([Right.ACCESS], "someone@example.org")) is None

        await handle.terminate("test done")
    linked = await case_pool.fetchrow(
        "SELECT actor, details FROM audit_log WHERE reference = $1 AND action = 'request.duplicate_linked'",
        reference,
    )
    assert linked is not None and linked["details"]["channel"] == "letter"
    assert email not in str(linked["details"])
    # Once the first is closed, the same request starts afresh.
    await case_pool.execute("UPDATE requests SET status = 'closed' WHERE reference = $1", reference)
    assert await find_open_duplicate(settings, submission([Right.ACCESS], email)) is None

"""A restriction in force for two simulated years, with the team's key reloads meanwhile.

The wait adds nothing to the history by itself; each `dsar keys reload` does (a signal
and a `load_roles` step). The request continues as new before its history grows long
(`workflows/rights_request/long_wait.py`), keeps answering Queries and Updates, keeps its
search attributes, and lifting still tells the person first (Art. 18(3)), once.

The figures printed (`-s`) are the ones in docs/benchmarks.md, "Long waits".
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from temporalio.client import Client, WorkflowHandle

from dsar.domain import Right, Status
from dsar.group import GroupRegistry
from dsar.messages.actions import Action, LiftRestriction
from dsar.messages.review import ReviewDecision
from dsar.messages.state import RequestState
from tests.conftest import record_history
from tests.polling import eventually
from tests.rights_people import PlantedPerson, plant_person
from tests.workflow.conftest import reach_review, request_on_workers, wait_for_status
from tests.workflow.test_replay import replayer
from tests.workflow.test_rights import confirm_manual, mails, sent_at, start_rights, verify
from workflows.rights_request import RightsRequestWorkflow
from workflows.rights_request.long_wait import MAX_WAIT_HISTORY_EVENTS

YEARS = 2
RELOAD_EVERY = timedelta(days=3)


async def settled(handle: WorkflowHandle[Any, Any]) -> bool | None:
    """The latest run has nothing scheduled: the reload's step is done and it only waits."""
    raw = (await handle.describe()).raw_description
    return True if not raw.pending_activities and not raw.HasField("pending_workflow_task") else None


async def size(handle: WorkflowHandle[Any, Any]) -> tuple[int, int]:
    """The latest run's history: events and bytes (as stored, payloads encrypted)."""
    history = await handle.fetch_history()
    return len(history.events), sum(e.ByteSize() for e in history.events)


async def reload(env: Any, handle: WorkflowHandle[Any, Any]) -> None:
    """A few days on, then what `dsar keys reload` sends; returns once the request took it."""

    async def taken() -> bool | None:
        return await settled(handle)

    await env.sleep(RELOAD_EVERY)
    await handle.signal(RightsRequestWorkflow.reload_roles)
    done: bool = await eventually(taken, timeout=30, what="the reload to be taken")
    assert done


@pytest.fixture
def answered(
    own_time_skipping_env: Any,
    workers_kwargs: dict[str, Any],
    case_pool: asyncpg.Pool,
    source_pools: dict[str, asyncpg.Pool],
    registry: GroupRegistry,
) -> Any:
    """`async with answered(rights) as handle`: a request of a person of the test's own,
    verified, approved and delivered, on the test's own time-skipping server."""
    client: Client = own_time_skipping_env.client

    @asynccontextmanager
    async def request(rights: list[Right]) -> AsyncIterator[WorkflowHandle[Any, Any]]:
        person: PlantedPerson = await plant_person(source_pools, registry)

        async def start(queue: str) -> WorkflowHandle[Any, Any]:
            return await start_rights(client, queue, case_pool, person, rights)

        async with request_on_workers(client, workers_kwargs, start) as handle:
            await verify(handle)
            await reach_review(client, handle)
            await handle.execute_update(RightsRequestWorkflow.approve, ReviewDecision(actor="reviewer"))
            if Right.RESTRICTION in rights:
                await confirm_manual(client, handle, Action.RESTRICT)
            await wait_for_status(handle, Status.DELIVERED)
            yield handle

    return request


async def test_a_restriction_kept_for_two_years_continues_as_new_and_is_still_lifted(
    own_time_skipping_env: Any, answered: Any, case_pool: asyncpg.Pool, servers: Any
) -> None:
    env = own_time_skipping_env
    client: Client = env.client
    async with answered([Right.RESTRICTION]) as handle:
        reference = handle.id.removeprefix("dsar-")
        first_run = (await handle.describe()).run_id
        print(f"\ndelivered: {await size(handle)} (events, bytes)")

        runs = {first_run}
        reloads = 0
        waited = timedelta(0)
        while waited < timedelta(days=365 * YEARS):
            await reload(env, handle)
            waited += RELOAD_EVERY
            reloads += 1
            runs.add(str((await handle.describe()).run_id))
            if reloads % 40 == 0:
                events, stored = await size(handle)
                print(
                    f"day {waited.days}: {reloads} reloads, run {len(runs)}: {events} events, {stored} bytes"
                )

        events, stored = await size(handle)
        print(f"after {YEARS} years: {reloads} reloads, {len(runs)} runs, last: {events} events, {stored} B")
        assert len(runs) >= 2, "the request never continued as new"
        assert events < MAX_WAIT_HISTORY_EVENTS
        # The new run answers as the old one did: state, search attributes, Updates.
        state: RequestState = await handle.query(RightsRequestWorkflow.state)
        assert state.status is Status.DELIVERED and state.restriction_active and state.reference == reference
        attributes = (await handle.describe()).raw_description.workflow_execution_info.search_attributes
        assert all(name in str(attributes) for name in ("delivered", "DsarRights", "DsarReceivedAt"))

        # The run that continued as new (its patch marker, its continue-as-new command) replays.
        first = await client.get_workflow_handle(handle.id, run_id=first_run).fetch_history()
        assert first.events[-1].HasField("workflow_execution_continued_as_new_event_attributes")
        print(f"first run: {len(first.events)} events, {sum(e.ByteSize() for e in first.events)} B")
        replayed = await replayer(RightsRequestWorkflow).replay_workflow(first, raise_on_replay_failure=False)
        assert replayed.replay_failure is None, replayed.replay_failure

        await handle.execute_update(
            RightsRequestWorkflow.lift_restriction,
            LiftRestriction(actor="reviewer", reason="The accuracy of your address has been verified."),
        )
        await confirm_manual(client, handle, Action.LIFT_RESTRICTION)
        final: RequestState = await handle.result()
        await record_history(handle, "rights_request_restriction_continued")

    assert not final.restriction_active and final.restriction_lifted_at is not None
    (told,) = mails(servers, reference, "restriction_lift")
    assert "The accuracy of your address has been verified." in str(told.get_content())
    lifted_from = await case_pool.fetchval(
        "SELECT min(updated_at) FROM action_results WHERE reference = $1 AND action = 'lift_restriction'",
        reference,
    )
    assert await sent_at(case_pool, reference, "restriction_lift") < lifted_from
    (outcome,) = mails(servers, reference, "outcome")  # the answer was not sent again by a new run
    assert outcome is not None


async def test_the_package_retention_wait_grows_only_with_reloads_and_ends(
    own_time_skipping_env: Any, answered: Any, settings: Any
) -> None:
    """The retention wait is one timer; reloads add to it, bounded by the retention period
    (not continued as new: it ends by itself, after `package_retention_days`)."""
    env = own_time_skipping_env
    async with answered([Right.ACCESS]) as handle:
        delivered = await size(handle)
        retention = timedelta(days=settings.package_retention_days)
        reloads = int(retention / RELOAD_EVERY) - 1
        for _ in range(reloads):
            await reload(env, handle)
        waiting = await size(handle)
        await env.sleep(RELOAD_EVERY * 2)  # past the end of the retention period
        final: RequestState = await handle.result()
        ended = await size(handle)
        print(
            f"\nretention {retention.days} d: delivered {delivered}, {reloads} reloads {waiting}, end {ended}"
        )
    assert final.package_deleted_at is not None
    per_reload = (waiting[0] - delivered[0]) / reloads
    assert 0 < per_reload <= 15, per_reload

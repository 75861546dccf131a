"""Collection at scale: one person with 10 thousand, 100 thousand and 1 million analytics rows.

Brings up the local stack (`devstack.stack.Stack`) on free ports, then for each size:
seeds the rows inside PostgreSQL, starts se01's worker as its own process, runs a whole
access request through identity and collection to review, and prints

- collection time of the system holding the rows (the activity's started-to-completed
  time from history, after a warm-up request on the same worker), and rows per second;
- the same rows fetched by a plain `COPY (SELECT ...) TO STDOUT`, timed in the same run,
  and the ratio of the two. Both are the best of ROUNDS runs, taken alternately (request,
  COPY, request, COPY, ...), so a noisy moment on a shared machine hits both sides alike;
- the se01 worker's peak resident memory (from the kernel's accounting of the exited
  process, `wait4`);
- the request's workflow history (parent and every child): bytes and events.

It exits non-zero when a target is missed: history the same size (within 5%) at every size,
peak memory growing less than 50 MB from the smallest to the largest size, and collection
throughput at least half of the plain COPY's at the largest size.

    python -m bench.collection_benchmark [--sizes 10000,100000,1000000]

Its throw-away stack goes with it however it ends: Ctrl-C or SIGTERM (a time limit) stop
the stack on the way out; SIGKILL leaves that to the stack's reaper (`devstack.reaper`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import asyncpg
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import History
from temporalio.client import Client
from temporalio.service import RPCError

from cli import start_request
from devstack.demo_bulk import HEAVY_USER_EMAIL, HEAVY_USER_NAME, TABLE, seed_events
from devstack.local_servers import wait_until
from devstack.stack import Ports, Stack
from dsar.client import connect
from dsar.config import Settings
from dsar.domain import (
    Channel,
    Language,
    RequestSubmission,
    Right,
    Status,
    SubjectIdentity,
    company_workflow_id,
    format_reference,
    workflow_id_for,
)
from dsar.group import load_group
from dsar.logs import configure_logging
from dsar.messages.collection import SystemDecision, SystemStatus
from dsar.messages.identity import IdentityDecision
from dsar.messages.state import RequestState
from dsar.signing import default_key_path, load_private_key
from dsar.signing_client import one_key, signing_client
from workflows.company_collection import CompanyCollectionWorkflow
from workflows.rights_request import RightsRequestWorkflow

COMPANY = "se01"
SYSTEM = "app"
ACTOR = "privacy-officer"
# Collections and plain COPYs per size; each figure is the best of its runs.
ROUNDS = 3


@dataclass
class Figures:
    rows: int
    collect_seconds: float
    copy_seconds: float
    peak_rss_mb: float
    history_bytes: int
    history_events: int

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.collect_seconds

    @property
    def copy_rows_per_second(self) -> float:
        return self.rows / self.copy_seconds

    @property
    def ratio(self) -> float:
        return self.rows_per_second / self.copy_rows_per_second


async def plain_copy_seconds(dsn: str) -> float:
    """The baseline: the same rows, straight out of PostgreSQL, thrown away as they arrive."""
    conn = await asyncpg.connect(dsn)
    try:
        sink_bytes = 0

        async def sink(chunk: bytes) -> None:
            nonlocal sink_bytes
            sink_bytes += len(chunk)

        started = time.perf_counter()
        await conn.copy_from_query(
            f"SELECT * FROM {TABLE} WHERE lower(user_email) = $1 ORDER BY id",  # noqa: S608
            HEAVY_USER_EMAIL,
            output=sink,
        )
        return time.perf_counter() - started
    finally:
        await conn.close()


async def history_size(client: Client, workflow_ids: list[str]) -> tuple[int, int]:
    size = events = 0
    for workflow_id in workflow_ids:
        history = await client.get_workflow_handle(workflow_id).fetch_history()
        size += History(events=history.events).ByteSize()
        events += len(history.events)
    return size, events


async def activity_seconds(client: Client, workflow_id: str, activity_id: str) -> float:
    """Started-to-completed time of one activity (the worker's own work), from the server's event times.

    Inputs and summaries are encrypted in history, so the activity is found by its id: the
    company workflow lists the systems first (id 1) and then schedules one activity per
    system in registry order (ids 2, 3, ...).
    """
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    scheduled: set[int] = set()
    started: dict[int, float] = {}
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            if event.activity_task_scheduled_event_attributes.activity_id == activity_id:
                scheduled.add(event.event_id)
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            attrs_started = event.activity_task_started_event_attributes
            if attrs_started.scheduled_event_id in scheduled:
                started[attrs_started.scheduled_event_id] = event.event_time.ToDatetime().timestamp()
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            attrs = event.activity_task_completed_event_attributes
            if attrs.scheduled_event_id in started:
                return event.event_time.ToDatetime().timestamp() - started[attrs.scheduled_event_id]
    raise RuntimeError(f"no completed activity {activity_id} in {workflow_id}")


async def one_request(
    stack: Stack,
    client: Client,
    settings: Settings,
    email: str = HEAVY_USER_EMAIL,
    name: str = HEAVY_USER_NAME,
) -> tuple[str, RequestState]:
    conn = await asyncpg.connect(settings.migration_database_url or settings.database_url)
    try:
        reference = format_reference(
            date.today().year, int(await conn.fetchval("SELECT nextval('request_number_seq')"))
        )
    finally:
        await conn.close()
    submission = RequestSubmission(
        rights=[Right.ACCESS],
        subject=SubjectIdentity(full_name=name, email=email),
        language=Language.SV,
        jurisdiction="SE",
        channel=Channel.EMAIL,
        received_on=date.today(),
    )
    await start_request(client, reference, submission, ACTOR)
    handle = client.get_workflow_handle_for(RightsRequestWorkflow.run, workflow_id_for(reference))

    async def status_is(status: Status) -> RequestState | None:
        try:
            state = await handle.query(RightsRequestWorkflow.state)
        except RPCError:
            return None  # a query can time out while both cores are busy collecting: ask again
        return state if state.status is status else None

    # Identity waits for every company's worker to answer the held-records search; a worker
    # just started (the warm-up request) may take a while on two busy cores.
    await wait_until(lambda: status_is(Status.IDENTITY), timeout=300)
    # Nobody holds a customer record for these people, so only a document check will do.
    decision = IdentityDecision(actor=ACTOR, method="document_check", note="benchmark: passport seen")
    await handle.execute_update(RightsRequestWorkflow.verify_identity, decision)

    async def manual_waiting() -> bool:
        child = client.get_workflow_handle_for(
            CompanyCollectionWorkflow.run, company_workflow_id(reference, "gb01")
        )
        try:
            progress = await child.query(CompanyCollectionWorkflow.progress)
        except Exception:
            return False
        return any(s.status is SystemStatus.AWAITING_UPLOAD for s in progress.systems)

    await wait_until(manual_waiting, timeout=120)
    await handle.execute_update(
        RightsRequestWorkflow.mark_not_applicable,
        SystemDecision(actor=ACTOR, company="gb01", system="signups", reason="benchmark: not searched"),
    )
    state: RequestState = await wait_until(lambda: status_is(Status.REVIEW), timeout=3600)
    return reference, state


def stop_and_measure(pid: int) -> float:
    """Peak resident memory of the exited worker, in MB (the kernel keeps it per child)."""
    os.kill(pid, signal.SIGTERM)
    _, _, usage = os.wait4(pid, 0)
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, kilobytes on Linux
    return usage.ru_maxrss * scale / (1024 * 1024)


async def measure(stack: Stack, size: int) -> Figures:
    settings = Settings.from_env(stack.env)
    source_dsn = settings.connection("SE01_DB")
    await seed_events(source_dsn, size)
    worker = stack.start_worker("company", COMPANY)
    # Decisions are signed with the local stack's key of the privacy officer (devstack.team).
    key = load_private_key(default_key_path(ACTOR, settings.keys_dir))
    client = signing_client(await connect(settings), one_key(ACTOR, lambda: key))
    codes = [s.code for s in load_group().company(COMPANY).systems]
    collect_runs: list[float] = []
    copy_runs: list[float] = []
    try:
        # Warm-up: the new worker's first activity pays for connecting and loading clients
        # (boto3 reads its service models); that is start-up, not collection.
        await one_request(stack, client, settings, "karin.odmark@example.net", "Karin Ödmark")
        for _ in range(ROUNDS):
            reference, state = await one_request(stack, client, settings)
            se01 = next(c for c in state.companies if c.company == COMPANY)
            collected = next(s for s in se01.systems if s.system == SYSTEM)
            if collected.records != size:
                raise RuntimeError(f"{COMPANY}/{SYSTEM} collected {collected.records} rows, expected {size}")
            collect_runs.append(
                await activity_seconds(
                    client, company_workflow_id(reference, COMPANY), str(codes.index(SYSTEM) + 2)
                )
            )
            copy_runs.append(await plain_copy_seconds(source_dsn))
    finally:
        peak = stop_and_measure(worker.pid)
        stack.workers.pop(f"company-{COMPANY}", None)
    # Every request's history is the same shape; the last one stands for all.
    ids = [workflow_id_for(reference)] + [company_workflow_id(reference, c.company) for c in state.companies]
    history_bytes, history_events = await history_size(client, ids)
    seconds, copy_seconds = min(collect_runs), min(copy_runs)
    print(
        f"  collect s {' '.join(f'{x:.2f}' for x in collect_runs)};"
        f" plain COPY s {' '.join(f'{x:.2f}' for x in copy_runs)}",
        flush=True,
    )
    return Figures(size, seconds, copy_seconds, peak, history_bytes, history_events)


def report(figures: list[Figures]) -> list[str]:
    print()
    header = (
        f"{'rows':>10} {'collect s':>10} {'rows/s':>12} {'COPY rows/s':>12} {'ratio':>6}"
        f" {'peak MB':>8} {'history B':>10} {'events':>7}"
    )
    print(header)
    print("-" * len(header))
    for f in figures:
        print(
            f"{f.rows:>10} {f.collect_seconds:>10.2f} {f.rows_per_second:>12,.0f}"
            f" {f.copy_rows_per_second:>12,.0f} {f.ratio:>6.2f} {f.peak_rss_mb:>8.1f}"
            f" {f.history_bytes:>10} {f.history_events:>7}"
        )
    misses = []
    smallest, largest = figures[0], figures[-1]
    for f in figures:
        drift = abs(f.history_bytes - smallest.history_bytes) / smallest.history_bytes
        if drift > 0.05:
            misses.append(f"history at {f.rows} rows differs by {drift:.1%} (target: within 5%)")
        # Throughput is a steady-state figure: at the largest size the per-request fixed costs
        # (connections, catalog look-ups, the other systems' activities) no longer dominate.
        if f is largest and f.ratio < 0.5:
            misses.append(
                f"throughput at {f.rows} rows is {f.ratio:.2f} of plain COPY (target: at least 0.5)"
            )
    growth = largest.peak_rss_mb - smallest.peak_rss_mb
    if growth >= 50:
        misses.append(
            f"peak memory grew {growth:.1f} MB from {smallest.rows} to {largest.rows} rows (target: < 50)"
        )
    print()
    sizes = [f.history_bytes for f in figures]
    print(
        f"history size spread: {max(sizes) - min(sizes)} bytes ({(max(sizes) - min(sizes)) / min(sizes):.1%})"
    )
    print(f"peak memory growth {smallest.rows} -> {largest.rows} rows: {growth:+.1f} MB")
    return misses


def stop_on_sigterm() -> None:
    """SIGTERM (as from `timeout`) unwinds like Ctrl-C, so the stack is stopped in `finally`."""

    def leave(signum: int, _frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one unwinding; a second TERM changes nothing
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, leave)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated row counts")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    configure_logging("console", "WARNING")
    stop_on_sigterm()
    registry = load_group()
    with tempfile.TemporaryDirectory(prefix="dsar-bench-") as tmp:
        stack = Stack(Path(tmp), Ports.free(len(registry.companies)), registry)
        try:
            print("bringing up the local stack ...", flush=True)
            stack.bring_up()
            for company in registry.companies:
                if company.code != COMPANY:
                    stack.start_worker("company", company.code)
            stack.start_worker("control")
            figures = []
            for size in sizes:
                print(f"measuring {size} rows ...", flush=True)
                figures.append(asyncio.run(measure(stack, size)))
        finally:
            stack.stop()
    misses = report(figures)
    for miss in misses:
        print(f"TARGET MISSED: {miss}")
    if not misses:
        print("all targets met")
    return 1 if misses else 0


if __name__ == "__main__":
    raise SystemExit(main())

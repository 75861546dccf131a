"""The whole pipeline at volume, against the same Temporal server's own ceiling (issue #16).

Brings up the stack `make dev` runs (`devstack.stack.Stack`: Temporal dev server, PostgreSQL,
S3, the SMTP catcher, the control worker and one worker per company as separate processes)
on free ports in a temporary folder, with a demo crowd from the demo generator big enough for
every request to have its own person. Then, in one run:

1. `--requests` access requests at once, each driven through the CLI's client calls (submit,
   verify, manual systems marked not applicable, approve; decisions signed with the local
   team's keys): delivered per minute, approval -> link e-mail (mail catcher) p50/p95/max,
   the control worker's memory at the start, at the first delivery and after the last;
2. the ceiling: as many no-I/O workflows of the same shape (activities and children counted
   from tests/histories) on the same server, per minute, and the ratio;
3. `--open` requests submitted and left waiting for identity (received over the last 45
   days, so some are overdue): the control worker's memory per open request, Temporal's
   database size, and `dsar list --overdue`, `dsar list --due-within 7d`, `dsar report`,
   one `dsar status` and `dsar --help` timed as real subprocesses;
4. history size per request shape (a driven access request with its children; the
   recorded access, access + erasure and restriction-lifted histories).

It prints the table and PASS/MISS per goal of the issue, and exits 1 when a goal is missed.

    python -m bench.pipeline_benchmark [--requests 100] [--open 1000]

The issue asks for 100 and 1,000 requests with 10,000 open; on a shared machine run it small
(`--requests 20 --open 200`). The stack goes with it however it ends (see
`bench.collection_benchmark.stop_on_sigterm`; SIGKILL leaves it to the stack's reaper).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench.collection_benchmark import stop_on_sigterm
from bench.pipeline.ceiling import run_ceiling
from bench.pipeline.cli_timing import listing_commands, time_cli
from bench.pipeline.drive import Driven, drive, link_mail_times, open_requests
from bench.pipeline.figures import Figures, busiest, goals, table
from bench.pipeline.histories import measured_size, recorded_sizes, request_histories, task_waits
from bench.pipeline.people import crowd
from bench.pipeline.shape import recorded_shape
from bench.pipeline.stack import BenchStack
from cli._base import connect_client
from dsar.domain import workflow_id_for
from dsar.group import load_group
from dsar.logs import configure_logging


async def wait_open(client: object, count: int, timeout: float = 1800) -> None:
    """Until `count` requests wait for identity (the identity search done for every one)."""
    from temporalio.client import Client

    assert isinstance(client, Client)
    deadline = time.monotonic() + timeout
    while (await client.count_workflows('DsarStatus="identity"')).count < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"fewer than {count} requests reached identity in {timeout:.0f} s")
        await asyncio.sleep(2)


async def measure(stack: BenchStack, requests: int, open_count: int) -> Figures:
    settings = stack.settings()
    client = await connect_client(settings)
    people = await crowd(stack.postgres.admin_dsn, stack.registry)
    if len(people) < requests + open_count:
        raise RuntimeError(f"the demo crowd has {len(people)} customers; {requests + open_count} needed")
    env = stack.cli_env()
    startup = time_cli(env, ["--help"], runs=5)

    print(f"driving {requests} access requests ...", flush=True)
    rss_start = stack.control_rss_mb()
    first: list[float] = []

    def delivered(_: Driven) -> None:
        if not first:
            first.append(stack.control_rss_mb())

    cpu_before = stack.cpu_seconds()
    samples: list[tuple[float, float]] = []

    async def sample() -> None:
        while True:
            samples.append((time.monotonic(), stack.control_cpu()))
            await asyncio.sleep(1)

    sampler = asyncio.create_task(sample())
    started = time.time()
    driven = await asyncio.gather(*(drive(client, settings, p, delivered) for p in people[:requests]))
    cpu_after = stack.cpu_seconds()
    sampler.cancel()
    mails = link_mail_times(stack.mail.folder)
    missing = [d.reference for d in driven if d.reference not in mails]
    if missing:
        raise RuntimeError(f"no link e-mail for {len(missing)} delivered requests, e.g. {missing[0]}")
    pipeline_s = max(mails[d.reference] for d in driven) - started
    latencies = [mails[d.reference] - d.approved for d in driven]
    await asyncio.sleep(5)  # idle: what stays resident after the deliveries
    rss_end = stack.control_rss_mb()

    shape = recorded_shape()
    print(f"ceiling: {requests} no-I/O workflows of {shape.activities} activities ...", flush=True)
    ceiling_s = await run_ceiling(stack.temporal.address, settings.temporal_namespace, requests, shape)
    figures = Figures(requests, pipeline_s, ceiling_s, shape, latencies, rss_start, first[0], rss_end)
    figures.cpu_s = {part: cpu_after[part] - cpu_before.get(part, 0.0) for part in cpu_after}
    figures.control_peak_cpu = busiest(samples)
    figures.stages_s = {
        "submit -> identity search done": [d.identity - d.submitted for d in driven],
        "verify -> collection done (review)": [d.review - d.verified for d in driven],
        "approve -> link e-mail": latencies,
    }

    print(f"opening {open_count} requests left waiting for identity ...", flush=True)
    figures.open_requests = open_count
    figures.rss_before_open_mb = stack.control_rss_mb()
    figures.temporal_db_before_open_mb = stack.temporal_db_mb()
    today = date.today()
    received = [today - timedelta(days=n % 45) for n in range(open_count)]
    opened = await open_requests(client, settings, people[requests : requests + open_count], received)
    await wait_open(client, open_count)
    await asyncio.sleep(5)
    figures.rss_open_mb = stack.control_rss_mb()
    figures.temporal_db_open_mb = stack.temporal_db_mb()
    for name, args in listing_commands(opened[0], today).items():
        figures.cli_s[name] = time_cli(env, args)
    figures.startup_s = startup
    histories = [await request_histories(client, workflow_id_for(d.reference)) for d in driven]
    for request in histories:
        for wait, seconds in task_waits(request).items():
            figures.waits_s.setdefault(wait, []).extend(seconds)
    figures.histories = [measured_size(histories[0], "access (driven)"), *recorded_sizes()]
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=100, help="access requests driven to delivery")
    parser.add_argument("--open", type=int, default=1000, help="requests left open waiting for identity")
    args = parser.parse_args()
    if args.requests < 1 or args.open < 1:
        parser.error("--requests and --open must be at least 1")
    configure_logging("console", "WARNING")
    stop_on_sigterm()
    registry = load_group()
    # About half of the generated people are someone's customer (a CRM row, hence a request).
    people = 2 * (args.requests + args.open) + 200
    with tempfile.TemporaryDirectory(prefix="dsar-bench-pipeline-") as tmp:
        stack = BenchStack(Path(tmp), registry, people)
        try:
            print(f"bringing up the local stack ({people} generated people) ...", flush=True)
            stack.bring_up()
            stack.start_workers()
            figures = asyncio.run(measure(stack, args.requests, args.open))
        finally:
            stack.stop()
    print()
    for line in table(figures):
        print(line)
    missed = [g for g in goals(figures) if not g.met]
    print(f"\n{len(missed)} goal(s) missed" if missed else "\nall goals met")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())

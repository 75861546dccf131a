"""What one feature of a request costs the Temporal server, on a bare dev server (issue #16).

The pipeline benchmark's Temporal server spends more CPU per delivered request than per
ceiling workflow (1.93 against 1.39 s in run 16) although a driven request takes no more
workflow tasks than the ceiling's (40 each, `python -m bench.workflow_tasks`). This
script runs the ceiling's shape (`bench.pipeline.shape.recorded_shape`: the request's
activities before its children, the children's, the activities after) on a fresh dev
server started as the local stack starts it (`TemporalDevServer`, with its SQLite file),
once per variant, one variant at a time, and prints each variant's rate and the server's
CPU per workflow beside the plain one:

- `plain`: the ceiling as the pipeline benchmark runs it;
- `payload`: every activity input and result about 1.3 kB, as the request's encrypted ones;
- `upserts`: a search-attribute upsert after every other activity of the request workflow
  (17 with the recorded shape; the request makes 18);
- `heartbeat`: every child activity heartbeats once at its start, as the collectors do;
- `listing`: a visibility listing of every running workflow beside it, repeated after
  twice the time the last took, as the benchmark's driver lists its batch;
- `wal`: the server's SQLite store in WAL mode with `synchronous=NORMAL`.

Each variant runs on its own server, so the machine's drift shows as well: run `plain`
first and last (`plain payload plain`) and read a variant against the plain runs around
it. Usage: `python -m bench.server_cost --workflows 150 plain payload upserts plain`.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import psutil
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from bench.pipeline.shape import Shape, recorded_shape
from devstack.local_servers import TemporalDevServer, free_port

VARIANTS = ("plain", "payload", "upserts", "heartbeat", "listing", "wal")
STEP = timedelta(seconds=30)
STATUS = SearchAttributeKey.for_keyword("BenchStatus")
PAD = "x" * 1300


@dataclass(frozen=True)
class CostInput:
    variant: str
    shape: Shape

    @property
    def value(self) -> str:
        """What each activity takes and returns."""
        return PAD if self.variant == "payload" else "1"


@activity.defn
async def step(value: str) -> str:
    """No I/O: what it costs is the server's (and the SDK's)."""
    return value


@activity.defn
async def beating_step(value: str) -> str:
    activity.heartbeat(value)
    return value


@workflow.defn
class CostChild:
    @workflow.run
    async def run(self, inp: CostInput) -> int:
        for _ in range(inp.shape.child_activities):
            if inp.variant == "heartbeat":
                await workflow.execute_activity(
                    beating_step, inp.value, start_to_close_timeout=STEP, heartbeat_timeout=STEP
                )
            else:
                await workflow.execute_activity(step, inp.value, start_to_close_timeout=STEP)
        return inp.shape.child_activities


@workflow.defn
class CostRequest:
    @workflow.run
    async def run(self, inp: CostInput) -> int:
        upserts = 0
        for stretch, count in (("before", inp.shape.before), ("after", inp.shape.after)):
            if stretch == "after":
                own = workflow.info().workflow_id
                await asyncio.gather(
                    *(
                        workflow.execute_child_workflow(CostChild.run, inp, id=f"{own}-c{i}")
                        for i in range(inp.shape.children)
                    )
                )
            for n in range(count):
                await workflow.execute_activity(step, inp.value, start_to_close_timeout=STEP)
                if inp.variant == "upserts" and n % 2 == 0:
                    workflow.upsert_search_attributes([STATUS.value_set(f"{stretch}-{n}")])
                    upserts += 1
        return upserts


async def _list_beside(client: Client, stop: asyncio.Event) -> int:
    listings = 0
    while not stop.is_set():
        started = time.monotonic()
        async for _ in client.list_workflows('ExecutionStatus = "Running"', page_size=1000):
            pass
        listings += 1
        await asyncio.sleep(max(0.5, 2 * (time.monotonic() - started)))
    return listings


async def run_variant(variant: str, workflows: int, state: Path) -> str:
    """One variant on a server of its own; its line of the table."""
    extra = ["--search-attribute", f"{STATUS.name}=Keyword"]
    if variant == "wal":
        extra += ["--sqlite-pragma", "journal_mode=WAL", "--sqlite-pragma", "synchronous=NORMAL"]
    server = TemporalDevServer(
        state / f"{variant}.db", free_port(), free_port(), state / f"{variant}.log", extra_args=extra
    )
    server.start()
    try:
        client = await _connected(server.address)
        queue = f"cost-{uuid.uuid4().hex[:8]}"
        assert server.process is not None
        process = psutil.Process(server.process.pid)
        inp = CostInput(variant, recorded_shape())
        before = sum(process.cpu_times()[:2])
        stop = asyncio.Event()
        lister = asyncio.create_task(_list_beside(client, stop)) if variant == "listing" else None
        async with Worker(
            client,
            task_queue=queue,
            workflows=[CostRequest, CostChild],
            activities=[step, beating_step],
            workflow_runner=UnsandboxedWorkflowRunner(),  # only this file's two workflows
        ):
            started = time.monotonic()
            handles = await asyncio.gather(
                *(
                    client.start_workflow(CostRequest.run, inp, id=f"{queue}-{i}", task_queue=queue)
                    for i in range(workflows)
                )
            )
            await asyncio.gather(*(h.result() for h in handles))
            seconds = time.monotonic() - started
        stop.set()
        listings = await lister if lister is not None else 0
        cpu = sum(process.cpu_times()[:2]) - before
    finally:
        server.stop()
    beside = f", {listings} listings beside it" if variant == "listing" else ""
    return (
        f"{variant:<10} {workflows} in {seconds:6.1f} s = {workflows / seconds * 60:5.1f}/min,"
        f" server CPU {cpu / workflows:.2f} s per workflow{beside}"
    )


async def _connected(address: str, patience: float = 60.0) -> Client:
    """The dev server opens its port before its shards are ready: its first calls can fail."""
    deadline = time.monotonic() + patience
    while True:
        try:
            client = await Client.connect(address)
            await client.count_workflows()
            return client
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(1)


async def main(workflows: int, variants: list[str]) -> None:
    state = Path(tempfile.mkdtemp(prefix="dsar-server-cost-"))
    try:
        for variant in variants:
            print(await run_variant(variant, workflows, state), flush=True)
    finally:
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workflows", type=int, default=150, help="ceiling workflows per variant")
    parser.add_argument("variants", nargs="+", choices=VARIANTS, help="run in this order")
    args = parser.parse_args()
    asyncio.run(main(args.workflows, args.variants))

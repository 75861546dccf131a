"""The same server's ceiling: a workflow of the request's shape (activities before its
children, the children with their activities in parallel, activities after) that does no
I/O at all. Its shape (`bench.pipeline.shape`, which reads files) is passed through the
workflow sandbox."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

with workflow.unsafe.imports_passed_through():
    from bench.pipeline.shape import Shape

_STEP = timedelta(seconds=30)


@activity.defn
async def ceiling_step(n: int) -> int:
    """No I/O: the cost is Temporal's (schedule, poll, complete) and the SDK's."""
    return n


@workflow.defn
class CeilingCompanyWorkflow:
    @workflow.run
    async def run(self, steps: int) -> int:
        for n in range(steps):
            await workflow.execute_activity(ceiling_step, n, start_to_close_timeout=_STEP)
        return steps


@workflow.defn
class CeilingRequestWorkflow:
    @workflow.run
    async def run(self, shape: Shape) -> int:
        for n in range(shape.before):
            await workflow.execute_activity(ceiling_step, n, start_to_close_timeout=_STEP)
        own = workflow.info().workflow_id
        await asyncio.gather(
            *(
                workflow.execute_child_workflow(
                    CeilingCompanyWorkflow.run, shape.child_activities, id=f"{own}-c{i}"
                )
                for i in range(shape.children)
            )
        )
        for n in range(shape.after):
            await workflow.execute_activity(ceiling_step, n, start_to_close_timeout=_STEP)
        return shape.activities


async def run_ceiling(address: str, namespace: str, count: int, shape: Shape) -> float:
    """Seconds for `count` ceiling workflows started at once to finish, on a fresh task queue
    served by one worker in this process with the SDK's default tuning."""
    client = await Client.connect(address, namespace=namespace)
    queue = f"bench-ceiling-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client,
        task_queue=queue,
        workflows=[CeilingRequestWorkflow, CeilingCompanyWorkflow],
        activities=[ceiling_step],
    ):
        started = time.monotonic()
        handles = await asyncio.gather(
            *(
                client.start_workflow(CeilingRequestWorkflow.run, shape, id=f"{queue}-{i}", task_queue=queue)
                for i in range(count)
            )
        )
        await asyncio.gather(*(h.result() for h in handles))
        return time.monotonic() - started

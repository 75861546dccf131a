"""Where a running server's workflow tasks come from, read from the workflows' histories.

For the pipeline benchmark's server while it runs (its port is in `ps`): how many workflow
tasks each workflow of a kind took, how many were timed out and on which queue (a sticky
queue's schedule-to-start timeout sends the task to the shared queue, where it is replayed
from the whole history), and what came just before each task was scheduled. Reading
histories loads the server, so run it after the batch, not during it.

    python -m bench.workflow_tasks 127.0.0.1:PORT \\
        'WorkflowType="RightsRequestWorkflow" AND DsarStatus="delivered"' --limit 100
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
from collections import Counter

from temporalio.api.enums.v1 import EventType, TaskQueueKind, TimeoutType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client

SCHEDULED = EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED
TIMED_OUT = EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT
FAILED = EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED


def _name(event: HistoryEvent) -> str:
    return EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")


def count(events: list[HistoryEvent], found: Counter[str], before: Counter[str]) -> int:
    """Add one history's timeouts and failures to `found`, the event before each task to
    `before`; returns its workflow tasks."""
    by_id = {e.event_id: e for e in events}
    tasks = 0
    for i, event in enumerate(events):
        if event.event_type == TIMED_OUT:
            timed_out = event.workflow_task_timed_out_event_attributes
            scheduled = by_id[timed_out.scheduled_event_id].workflow_task_scheduled_event_attributes
            kind = TaskQueueKind.Name(scheduled.task_queue.kind).removeprefix("TASK_QUEUE_KIND_").lower()
            why = TimeoutType.Name(timed_out.timeout_type).removeprefix("TIMEOUT_TYPE_").lower()
            found[f"timed out ({why}, {kind} queue)"] += 1
        elif event.event_type == FAILED:
            found[f"failed ({event.workflow_task_failed_event_attributes.cause})"] += 1
        elif event.event_type == SCHEDULED:
            tasks += 1
            if event.workflow_task_scheduled_event_attributes.attempt > 1:
                found["attempt > 1"] += 1
            before[_name(events[i - 1]) if i else "start"] += 1
    return tasks


async def main(address: str, query: str, limit: int) -> None:
    client = await Client.connect(address)
    found: Counter[str] = Counter()
    before: Counter[str] = Counter()
    tasks: list[int] = []
    events: list[int] = []
    async for listed in client.list_workflows(query, page_size=min(limit, 1000), limit=limit):
        history = await client.get_workflow_handle(listed.id, run_id=listed.run_id).fetch_history()
        tasks.append(count(list(history.events), found, before))
        events.append(len(history.events))
    if not tasks:
        raise SystemExit(f"no workflow matches {query!r}")
    n = len(tasks)
    print(
        f"{n} workflows: events p50 {statistics.median(events):.0f}, workflow tasks mean"
        f" {sum(tasks) / n:.1f}, p50 {statistics.median(tasks):.0f}, max {max(tasks)}"
    )
    for what, times in sorted(found.items()):
        print(f"  {what:<40} {times / n:6.2f} per workflow")
    print("  scheduled after:")
    for what, times in before.most_common():
        print(f"    {what:<38} {times / n:6.2f} per workflow")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("address", help="host:port of the Temporal frontend")
    parser.add_argument("query", help="a visibility query choosing the workflows")
    parser.add_argument("--limit", type=int, default=100, help="workflows read (default 100)")
    args = parser.parse_args()
    asyncio.run(main(args.address, args.query, args.limit))

"""History size per request shape: bytes (protobuf, as Temporal stores the events) and events,
for the request workflow and its children."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory

from bench.pipeline.shape import HISTORIES
from dsar.task_queues import CONTROL_TASK_QUEUE, PACKAGING_TASK_QUEUE

RECORDED_SHAPES = {
    "access (recorded)": "rights_request_access",
    "access + erasure (recorded)": "rights_request_access_erasure",
    "restriction lifted (recorded)": "rights_request_restriction_lifted",
}


@dataclass(frozen=True)
class HistorySize:
    shape: str
    bytes: int
    events: int
    children_included: bool


def _size(history: WorkflowHistory) -> tuple[int, int]:
    return sum(e.ByteSize() for e in history.events), len(history.events)


def recorded_sizes(folder: Path = HISTORIES) -> list[HistorySize]:
    """The request workflow's own history in each recorded shape (children not recorded)."""
    sizes = []
    for shape, name in RECORDED_SHAPES.items():
        text = (folder / f"{name}.json").read_text(encoding="utf-8")
        size, events = _size(WorkflowHistory.from_json(name, json.loads(text)))
        sizes.append(HistorySize(shape, size, events, children_included=False))
    return sizes


async def request_histories(client: Client, workflow_id: str) -> list[WorkflowHistory]:
    """A driven request's history, then those of every child it started, from the server."""
    parent = await client.get_workflow_handle(workflow_id).fetch_history()
    found = [parent]
    for event in parent.events:
        if event.event_type == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
            child_id = event.child_workflow_execution_started_event_attributes.workflow_execution.workflow_id
            found.append(await client.get_workflow_handle(child_id).fetch_history())
    return found


def measured_size(histories: list[WorkflowHistory], shape: str) -> HistorySize:
    sizes = [_size(h) for h in histories]
    return HistorySize(shape, sum(b for b, _ in sizes), sum(n for _, n in sizes), children_included=True)


def queue_kind(queue: str) -> str:
    """control, packaging or company, from a task queue's name (tests' suffixes included)."""
    if queue.startswith(PACKAGING_TASK_QUEUE):
        return "packaging"
    return "control" if queue.startswith(CONTROL_TASK_QUEUE) else "company"


def task_waits(histories: list[WorkflowHistory]) -> dict[str, list[float]]:
    """Seconds each task waited for a worker slot (scheduled -> started): activities by task
    queue (control, packaging or company), workflow tasks by workflow (the request or a company's).
    The request's tasks after its approval are counted again on their own ("... after
    approval"), and how long its activities then ran, since that is what approval -> e-mail
    is made of."""
    waits: dict[str, list[float]] = {}
    for n, history in enumerate(histories):
        scheduled: dict[int, tuple[float, str]] = {}
        started: dict[int, float] = {}
        approved = False
        for event in history.events:
            at = event.event_time.ToMicroseconds() / 1e6
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
                update = event.workflow_execution_update_accepted_event_attributes.accepted_request
                approved = approved or (n == 0 and update.input.name == "approve")
            elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                queue = event.activity_task_scheduled_event_attributes.task_queue.name
                scheduled[event.event_id] = (at, queue_kind(queue))
            elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
                scheduled[event.event_id] = (at, "request" if n == 0 else "company")
            elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
                since, queue = scheduled[event.activity_task_started_event_attributes.scheduled_event_id]
                started[event.activity_task_started_event_attributes.scheduled_event_id] = at
                _add(waits, f"activity wait, {queue} queue", at - since, approved)
            elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
                attributes = event.activity_task_completed_event_attributes
                if approved and attributes.scheduled_event_id in started:
                    queue = scheduled[attributes.scheduled_event_id][1]
                    ran = at - started[attributes.scheduled_event_id]
                    waits.setdefault(f"activity run, {queue} queue after approval", []).append(ran)
            elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
                since, kind = scheduled[event.workflow_task_started_event_attributes.scheduled_event_id]
                _add(waits, f"workflow task wait, {kind} workflow", at - since, approved)
    return waits


def _add(waits: dict[str, list[float]], key: str, seconds: float, approved: bool) -> None:
    """Under `key`, and again under "`key` after approval" once the request is approved."""
    waits.setdefault(key, []).append(seconds)
    if approved:
        waits.setdefault(f"{key} after approval", []).append(seconds)

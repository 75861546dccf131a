"""History size per request shape: bytes (protobuf, as Temporal stores the events) and events,
for the request workflow and its children."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory

from bench.pipeline.shape import HISTORIES

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


async def measured_size(client: Client, workflow_id: str, shape: str) -> HistorySize:
    """A driven request's history with every child it started, fetched from the server."""
    parent = await client.get_workflow_handle(workflow_id).fetch_history()
    total, events = _size(parent)
    for event in parent.events:
        if event.event_type == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
            child_id = event.child_workflow_execution_started_event_attributes.workflow_execution.workflow_id
            size, count = _size(await client.get_workflow_handle(child_id).fetch_history())
            total, events = total + size, events + count
    return HistorySize(shape, total, events, children_included=True)

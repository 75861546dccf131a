"""The request workflow's shape, counted from the recorded histories in tests/histories: the
activities before its children, the children and theirs, the activities after."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

HISTORIES = Path(__file__).resolve().parents[2] / "tests" / "histories"


@dataclass(frozen=True)
class Shape:
    """Activities of the request workflow before and after its children, and the children's."""

    before: int
    children: int
    child_activities: int
    after: int

    @property
    def activities(self) -> int:
        return self.before + self.after + self.children * self.child_activities


def _event_types(name: str) -> list[str]:
    events = json.loads((HISTORIES / f"{name}.json").read_text(encoding="utf-8"))["events"]
    return [str(e["eventType"]) for e in events]


def recorded_shape(parent: str = "rights_request_access", child: str = "company_collection") -> Shape:
    """Counted from a recorded access request and a recorded company collection."""
    types = _event_types(parent)
    first_child = types.index("EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED")
    scheduled = "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED"
    return Shape(
        before=types[:first_child].count(scheduled),
        children=types.count("EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED"),
        child_activities=_event_types(child).count(scheduled),
        after=types[first_child:].count(scheduled),
    )

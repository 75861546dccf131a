"""`bench.workflow_tasks` counts a history's workflow tasks and what preceded each, on a
recorded access request whose tasks were counted by hand (docs/benchmarks.md, run 14)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from temporalio.client import WorkflowHistory

from bench.workflow_tasks import count

HISTORY = Path(__file__).parents[1] / "histories" / "rights_request_access_one_step_watch.json"


def test_a_recorded_access_request_has_its_52_tasks() -> None:
    history = WorkflowHistory.from_json("recorded", json.loads(HISTORY.read_text()))
    found: Counter[str] = Counter()
    before: Counter[str] = Counter()
    assert count(list(history.events), found, before) == 52
    assert before["ACTIVITY_TASK_COMPLETED"] == 35 and before["WORKFLOW_EXECUTION_STARTED"] == 1
    assert before["WORKFLOW_TASK_COMPLETED"] == 5  # a task straight after a task, nothing between
    assert found == Counter({"attempt > 1": 8})  # and not one timeout or failure recorded

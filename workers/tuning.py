"""The Worker arguments the tuning settings decide, one place for every role.

Figures and reasons for the defaults are with the settings (`dsar.config.Settings`) and in
docs/settings.md#worker-tuning; this turns them into the SDK's arguments, so each worker
passes `**worker_tuning(settings, slots)` and no role forgets one.
"""

from __future__ import annotations

from typing import TypedDict

from temporalio.worker import PollerBehaviorSimpleMaximum

from dsar.config import Settings


class WorkerTuning(TypedDict):
    max_cached_workflows: int
    max_concurrent_workflow_tasks: int
    max_concurrent_activities: int
    workflow_task_poller_behavior: PollerBehaviorSimpleMaximum
    activity_task_poller_behavior: PollerBehaviorSimpleMaximum


def worker_tuning(settings: Settings, activity_slots: int) -> WorkerTuning:
    """`activity_slots`: the role's own setting (DSAR_CONTROL_/DSAR_COMPANY_ACTIVITY_SLOTS)."""
    return WorkerTuning(
        max_cached_workflows=settings.workflow_cache,
        max_concurrent_workflow_tasks=settings.workflow_tasks,
        max_concurrent_activities=activity_slots,
        workflow_task_poller_behavior=PollerBehaviorSimpleMaximum(settings.workflow_pollers),
        activity_task_poller_behavior=PollerBehaviorSimpleMaximum(settings.activity_pollers),
    )

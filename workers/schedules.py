"""The retention purge's Temporal Schedule, created or brought up to date at start.

The control worker calls `ensure_purge_schedule` each time it starts (`python -m workers
control`, which `dsar dev` and the containers run), so a fresh installation gets the
Schedule without a separate step and a changed cron (`DSAR_RETENTION_SCHEDULE`) or batch
size is applied. An existing Schedule keeps its paused state and notes: pausing it in the
Temporal UI (or `temporal schedule toggle --pause`) survives every restart.
"""

from __future__ import annotations

import structlog
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from dsar.config import Settings
from dsar.task_queues import CONTROL_TASK_QUEUE
from workflows.purge import PURGE_SCHEDULE_ID, PURGE_WORKFLOW_ID, PurgeWorkflow

log = structlog.get_logger(__name__)


def purge_schedule(settings: Settings, task_queue: str = CONTROL_TASK_QUEUE) -> Schedule:
    """Nightly on the cron in UTC; a run still going when the next is due makes it skip."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            PurgeWorkflow.run,
            # No input: a payload sealed now would be bound to the Schedule's workflow id, and a
            # run's id carries the start time, so the strict codec would refuse it.
            args=[],
            id=PURGE_WORKFLOW_ID,
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(cron_expressions=[settings.retention_schedule]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_purge_schedule(
    client: Client,
    settings: Settings,
    task_queue: str = CONTROL_TASK_QUEUE,
    schedule_id: str = PURGE_SCHEDULE_ID,
) -> None:
    """Create the Schedule, or update its action and timing; safe to call at every start."""
    wanted = purge_schedule(settings, task_queue)
    try:
        await client.create_schedule(schedule_id, wanted)
        log.info("schedule.created", schedule=schedule_id)
        return
    except ScheduleAlreadyRunningError:
        pass

    def keep_state(current: ScheduleUpdateInput) -> ScheduleUpdate:
        schedule = current.description.schedule
        schedule.action = wanted.action
        schedule.spec = wanted.spec
        schedule.policy = wanted.policy
        return ScheduleUpdate(schedule=schedule)

    await client.get_schedule_handle(schedule_id).update(keep_state)
    log.info("schedule.updated", schedule=schedule_id)

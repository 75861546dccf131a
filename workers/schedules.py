"""The product's Temporal Schedules, created or brought up to date at start: the retention
purge, and the morning's team reminders of each jurisdiction.

The control worker calls `ensure_schedules` each time it starts (`python -m workers
control`, which `dsar dev` and the containers run), so a fresh installation gets the
Schedules without a separate step and a changed cron (`DSAR_RETENTION_SCHEDULE`), batch
size or reminder time (`DSAR_REMINDER_TIME`) is applied. An existing Schedule keeps its
paused state and notes: pausing it in the Temporal UI (or `temporal schedule toggle
--pause`) survives every restart.
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError

from dsar import clock
from dsar.config import Settings
from dsar.task_queues import CONTROL_TASK_QUEUE
from workflows.purge import PURGE_SCHEDULE_ID, PURGE_WORKFLOW_ID, PurgeWorkflow
from workflows.team_reminders import TeamRemindersWorkflow, team_reminders_schedule_id

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


def team_reminders_schedule(
    settings: Settings,
    jurisdiction: clock.Jurisdiction,
    task_queue: str = CONTROL_TASK_QUEUE,
    suffix: str = "",
) -> Schedule:
    """Every day at the reminder time in the jurisdiction's zone (summer time included). A
    run missed while Temporal was down is still made within the catch-up window, for the
    day it was due, not for the day it finally ran."""
    at = settings.reminder_time
    return Schedule(
        action=ScheduleActionStartWorkflow(
            TeamRemindersWorkflow.run,
            args=[],  # the run reads its jurisdiction and moment from the Schedule's attributes
            id=team_reminders_schedule_id(jurisdiction.code, suffix),
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    hour=[ScheduleRange(at.hour)],
                    minute=[ScheduleRange(at.minute)],
                    second=[ScheduleRange(0)],
                )
            ],
            time_zone_name=jurisdiction.timezone,
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(hours=12)),
    )


async def ensure_schedules(
    client: Client, settings: Settings, task_queue: str = CONTROL_TASK_QUEUE, suffix: str = ""
) -> list[str]:
    """The purge's Schedule and one team-reminders Schedule per jurisdiction; one that cannot
    be made is logged and the others still are, so the worker serves requests either way.
    `suffix` gives a test Schedules of its own beside the real ones. Returns their ids."""
    wanted = {PURGE_SCHEDULE_ID + (f".{suffix}" if suffix else ""): purge_schedule(settings, task_queue)} | {
        team_reminders_schedule_id(code, suffix): team_reminders_schedule(settings, rules, task_queue, suffix)
        for code, rules in sorted(clock.load_jurisdictions().items())
    }
    for schedule_id, schedule in wanted.items():
        try:
            await ensure_schedule(client, schedule_id, schedule)
        except RPCError as exc:
            log.error("schedule.not_ensured", schedule=schedule_id, status=str(exc.status))
    return list(wanted)


async def ensure_purge_schedule(
    client: Client,
    settings: Settings,
    task_queue: str = CONTROL_TASK_QUEUE,
    schedule_id: str = PURGE_SCHEDULE_ID,
) -> None:
    await ensure_schedule(client, schedule_id, purge_schedule(settings, task_queue))


async def ensure_schedule(client: Client, schedule_id: str, wanted: Schedule) -> None:
    """Create the Schedule, or update its action and timing; safe to call at every start."""
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

"""The morning's team reminders: one run per jurisdiction and day, started by its Schedule.

The Schedules (`workers.schedules`) start this workflow at the reminder time
(`DSAR_REMINDER_TIME`) in each jurisdiction's own zone; the Temporal UI shows each run and
can pause them. A run is one activity that lists the open requests with a reminder that
day and sends them to the privacy team as one e-mail (activities/team_reminders.py). Only
the day and counts cross into history; the list stays in the case store.

A Schedule's run gets no input: a payload sealed when the Schedule was made would be bound
to the Schedule's workflow id, while a run's id carries its start time, so the strict codec
would refuse it. The run reads its jurisdiction and due moment from the attributes the
Schedule sets on it instead; a test or an operator starting one by hand passes them.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.common import SearchAttributeKey
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from dsar import activity_refs as refs
    from dsar.messages.team_reminders import TeamRemindersInput, TeamRemindersResult

from workflows.calls import run_activity

TEAM_REMINDERS_SCHEDULE_PREFIX = "dsar-team-reminders-"
# Set by Temporal on every run a Schedule starts.
SCHEDULED_BY = SearchAttributeKey.for_keyword("TemporalScheduledById")
SCHEDULED_AT = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")


def team_reminders_schedule_id(jurisdiction: str, suffix: str = "") -> str:
    """`dsar-team-reminders-se`: the Schedule, and its runs' workflow ids before their time.
    A test's Schedule beside the real one gets `.suffix`: no jurisdiction code has a dot."""
    return TEAM_REMINDERS_SCHEDULE_PREFIX + jurisdiction.lower() + (f".{suffix}" if suffix else "")


def scheduled_jurisdiction(schedule_id: str) -> str | None:
    """The jurisdiction a team-reminders Schedule is for; None for any other Schedule."""
    if not schedule_id.startswith(TEAM_REMINDERS_SCHEDULE_PREFIX):
        return None
    return schedule_id.removeprefix(TEAM_REMINDERS_SCHEDULE_PREFIX).split(".")[0].upper() or None


@workflow.defn
class TeamRemindersWorkflow:
    """One morning's list for one jurisdiction; the counts are its result, for the UI."""

    @workflow.run
    async def run(self, inp: TeamRemindersInput | None = None) -> TeamRemindersResult:
        if inp is None:
            attrs = workflow.info().typed_search_attributes
            jurisdiction = scheduled_jurisdiction(attrs.get(SCHEDULED_BY) or "")
            if jurisdiction is None:
                raise ApplicationError(
                    "input: a run not started by a team-reminders Schedule needs its jurisdiction and moment",
                    type="InvalidRequestError",
                    non_retryable=True,
                )
            inp = TeamRemindersInput(
                jurisdiction=jurisdiction,
                at=attrs.get(SCHEDULED_AT) or workflow.now(),
            )
        result = await run_activity(refs.SEND_TEAM_REMINDERS, inp, activity_id="team-reminders")
        workflow.logger.info("team reminders: %d due, %d listed", result.due, result.listed)
        return result

"""The statutory clock, turned into dates the workflow can set timers for.

An activity rather than workflow code: the holiday library reads configuration and can
change between releases, and a recorded result keeps replays of running requests exactly
as they were.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from dsar import clock
from dsar.messages.activity_names import Activity
from dsar.messages.clock import (
    ClockSettings,
    ClockStopInfo,
    DeadlineEvent,
    DeadlineInput,
    DeadlineResult,
    StopReason,
)
from dsar.messages.notifications import NotificationKind


def counted_stops(stops: list[ClockStopInfo], jurisdiction: clock.Jurisdiction) -> list[clock.ClockStop]:
    """Which stops the jurisdiction lets stop the clock, as local calendar dates.

    `always` (the ICO): waiting for identity evidence or for an answer stops it.
    `when_identity_in_doubt`: only when the team explicitly asked the person (a
    clarification, which is how the team asks for evidence when identity is in doubt).
    """
    policy = jurisdiction.stop_clock
    if policy is clock.StopClockPolicy.NEVER:
        return []
    zone = jurisdiction.zone
    kept = []
    for stop in stops:
        if policy is clock.StopClockPolicy.WHEN_IDENTITY_IN_DOUBT and stop.reason is StopReason.IDENTITY:
            continue
        kept.append(
            clock.ClockStop(
                stop.started_at.astimezone(zone).date(),
                stop.resumed_at.astimezone(zone).date() if stop.resumed_at else None,
            )
        )
    return kept


def _at(day: date, settings: ClockSettings, jurisdiction: clock.Jurisdiction) -> datetime:
    """The reminder time of `day` in the jurisdiction's zone, as UTC."""
    local = time(settings.notify_hour, settings.notify_minute)
    return datetime.combine(day, local, tzinfo=jurisdiction.zone).astimezone(UTC)


def _end_of(day: date, jurisdiction: clock.Jurisdiction) -> datetime:
    return datetime.combine(day, time.max, tzinfo=jurisdiction.zone).astimezone(UTC)


def plan_events(
    deadline: clock.Deadline, jurisdiction: clock.Jurisdiction, settings: ClockSettings
) -> list[DeadlineEvent]:
    """Reminders before the due date, then an escalation on it and each working day after."""
    if deadline.due_on is None:
        return []
    events = [
        DeadlineEvent(
            at=_at(day, settings, jurisdiction),
            kind=NotificationKind.TEAM_REMINDER,
            occasion=day.isoformat(),
        )
        for day in clock.reminder_dates(deadline, settings.team_reminder_days)
    ]
    horizon = deadline.due_on + timedelta(days=settings.escalation_horizon_days)
    events += [
        DeadlineEvent(
            at=_at(day, settings, jurisdiction),
            kind=NotificationKind.ESCALATION,
            occasion=day.isoformat(),
        )
        for day in clock.escalation_dates(deadline, jurisdiction, horizon)
    ]
    return sorted(events, key=lambda e: e.at)


class DeadlineActivities:
    def __init__(self, settings: ClockSettings) -> None:
        self._settings = settings

    @activity.defn(name=Activity.LOAD_CLOCK_SETTINGS)
    async def load_clock_settings(self, reference: str) -> ClockSettings:
        return self._settings

    @activity.defn(name=Activity.COMPUTE_DEADLINE)
    async def compute_deadline(self, inp: DeadlineInput) -> DeadlineResult:
        try:
            jurisdiction = clock.get_jurisdiction(inp.jurisdiction)
            deadline = clock.compute_deadline(
                inp.received_on,
                jurisdiction,
                stops=counted_stops(inp.stops, jurisdiction),
                extended=inp.extended,
            )
        except ValueError as exc:
            raise ApplicationError(str(exc), type="InvalidRequestError", non_retryable=True) from None
        notice_by = deadline.extension_notice_by
        return DeadlineResult(
            start_on=deadline.start_on,
            due_on=deadline.due_on,
            due_at=deadline.due_at,
            extension_notice_by=notice_by,
            extension_notice_by_at=_end_of(notice_by, jurisdiction) if notice_by else None,
            clock_stopped=deadline.clock_stopped,
            extended=deadline.extended,
            events=plan_events(deadline, jurisdiction, inp.settings),
        )

"""DSAR_REMINDER_TIME: team reminders and escalations fall due at that local time, in the
jurisdiction's zone, on every day the clock plans them (summer and winter time alike)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from activities.deadlines import DeadlineActivities
from dsar.config import Settings
from dsar.messages.clock import ClockSettings, DeadlineInput
from dsar.messages.notifications import NotificationKind


async def test_reminders_and_escalations_fall_due_at_the_reminder_time_local() -> None:
    settings = Settings.from_env({"DSAR_REMINDER_TIME": "14:37"})
    clock = ClockSettings(
        notify_hour=settings.reminder_time.hour, notify_minute=settings.reminder_time.minute
    )
    # Received in February: the reminders fall in winter time, the escalations run into
    # summer time (Stockholm changes on 29 March 2026), so the UTC offset changes under them.
    result = await DeadlineActivities(clock).compute_deadline(
        DeadlineInput(received_on=date(2026, 2, 20), jurisdiction="SE", settings=clock)
    )
    stockholm = ZoneInfo("Europe/Stockholm")
    kinds = {e.kind for e in result.events}
    assert kinds == {NotificationKind.TEAM_REMINDER, NotificationKind.ESCALATION}
    offsets = set()
    for event in result.events:
        local = event.at.astimezone(stockholm)
        assert (local.hour, local.minute) == (14, 37), event
        assert local.date().isoformat() == event.occasion
        offsets.add(local.utcoffset())
    assert len(offsets) == 2, "the plan spans the change to summer time"


async def test_a_request_started_before_the_setting_keeps_nine_o_clock() -> None:
    """A running request's settings were recorded without the minute: it reads as on the hour."""
    recorded = ClockSettings.model_validate({"notify_hour": 9, "team_reminder_days": [1]})
    result = await DeadlineActivities(recorded).compute_deadline(
        DeadlineInput(received_on=date(2026, 11, 2), jurisdiction="GB", settings=recorded)
    )
    london = ZoneInfo("Europe/London")
    assert result.events
    assert {(e.at.astimezone(london).hour, e.at.astimezone(london).minute) for e in result.events} == {(9, 0)}

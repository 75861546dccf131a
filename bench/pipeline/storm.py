"""The reminder storm: thousands of requests whose team reminders fall due in the same minute.

Team reminders fall due at the reminder time (`DSAR_REMINDER_TIME`, local time in the
jurisdiction's zone) on days counted back from the due date, in one list a morning made by
a Schedule the control worker sets to that time at its start (workers.schedules). So the
storm is made the way a real morning makes it: requests are submitted with a received date
whose deadline has a team reminder on the day (Sweden: the clock runs while identity is
awaited, so they wait for identity and still get reminders), spread over the deadlines
that have a reminder that day (due in 1, 3, 7 and 14 days), while the Schedule's time has
just passed; once they are all open, the control workers are restarted with a reminder
time 90 s ahead (`storm_minute`). Then the mail catcher is watched: the lag from the due
minute to the arrival of the e-mail that names each request (the morning's list, or the
request's own reminder from a request started before the list), and any request named in
none or in two.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from bench.pipeline.mail_folder import NewMails
from dsar import clock
from dsar.messages.notifications import NotificationKind

JURISDICTION = "SE"  # the benchmark's requests are Swedish (bench.pipeline.drive.submit)
# How long after the due minute the watch gives up on reminders still missing.
PATIENCE_S = 900.0
REFERENCE = re.compile(rb"DSAR-\d{4}-\d{6}")


@dataclass
class Storm:
    requests: int
    reminder_time: str  # HH:MM in the jurisdiction's zone
    due: float  # epoch seconds of the due minute
    opened_s: float  # submitting them all
    lags_s: list[float] = field(default_factory=list)  # due -> first reminder in the catcher
    missing: int = 0
    doubled: int = 0


def received_for_reminders_on(
    day: date, offsets: Sequence[int], jurisdiction: str = JURISDICTION
) -> list[date]:
    """Received dates whose deadlines have a team reminder on `day`: one per deadline (the
    latest received for it), the soonest due first. A morning's reminders are for requests
    due in a day, three, a week and two weeks, so the storm's requests are spread over them."""
    rules = clock.get_jurisdiction(jurisdiction)
    by_due: dict[date, date] = {}
    for back in range(1, 200):
        received = day - timedelta(days=back)
        deadline = clock.compute_deadline(received, rules)
        if deadline.due_on is not None and deadline.due_on not in by_due:
            if day in clock.reminder_dates(deadline, offsets):
                by_due[deadline.due_on] = received
    if not by_due:
        raise RuntimeError(f"no received date gives a team reminder on {day} with offsets {list(offsets)}")
    return [by_due[due] for due in sorted(by_due)]


def due_minute(seconds_ahead: float, jurisdiction: str = JURISDICTION) -> datetime:
    """The first whole minute at least `seconds_ahead` from now, in the jurisdiction's zone."""
    zone = clock.get_jurisdiction(jurisdiction).zone
    at = datetime.now(zone) + timedelta(seconds=seconds_ahead)
    return at.replace(second=0, microsecond=0) + timedelta(minutes=1)


def minute_passed(jurisdiction: str = JURISDICTION) -> datetime:
    """The whole minute before this one, in the jurisdiction's zone: as a daily reminder time,
    it next comes round tomorrow, so the morning's list stays out of the way meanwhile."""
    zone = clock.get_jurisdiction(jurisdiction).zone
    return datetime.now(zone).replace(second=0, microsecond=0) - timedelta(minutes=1)


def storm_minute(day: date, jurisdiction: str = JURISDICTION) -> datetime:
    """The storm's minute on `day`: the first whole minute at least 90 s from now (the control
    workers' restart), or the first of `day` if that is still to come."""
    due = due_minute(90, jurisdiction)
    if due.date() < day:
        due = datetime.combine(day, datetime.min.time(), due.tzinfo) + timedelta(minutes=1)
    if due.date() > day:
        raise RuntimeError(
            f"the requests were opened for reminders on {day}, which has passed in the"
            f" jurisdiction's zone; run the benchmark again away from midnight"
        )
    return due


class ReminderWatch:
    """Team reminders in the mail catcher's folder, read once per new file."""

    def __init__(self, folder: Path, references: set[str], occasion: str) -> None:
        self._mails = NewMails(folder)
        self._references = references
        self._occasion = occasion
        self.arrivals: dict[str, list[float]] = {}

    def scan(self) -> None:
        for headers, saved, path in self._mails.scan_files():
            if (
                headers["X-DSAR-Kind"] != NotificationKind.TEAM_REMINDER.value
                or str(headers["X-DSAR-Occasion"] or "") != self._occasion
            ):
                continue
            own = str(headers["X-DSAR-Reference"] or "")
            # A request's own reminder names it in a header; the morning's list in its lines.
            named = {own} if own else {m.decode() for m in REFERENCE.findall(path.read_bytes())}
            for reference in named & self._references:
                self.arrivals.setdefault(reference, []).append(saved)

    def complete(self) -> bool:
        return len(self.arrivals) == len(self._references)


async def watch_storm(storm: Storm, folder: Path, references: list[str], occasion: str) -> Storm:
    """Until every request has its reminder (and a further 30 s for doubles), or PATIENCE_S."""
    watch = ReminderWatch(folder, set(references), occasion)
    await asyncio.sleep(max(0.0, storm.due - time.time()))
    give_up = storm.due + PATIENCE_S
    while time.time() < give_up:
        watch.scan()
        if watch.complete():
            break
        await asyncio.sleep(2)
    await asyncio.sleep(30)  # a reminder sent twice arrives soon after the first
    watch.scan()
    storm.lags_s = [min(times) - storm.due for times in watch.arrivals.values()]
    storm.missing = len(references) - len(watch.arrivals)
    storm.doubled = sum(1 for times in watch.arrivals.values() if len(times) > 1)
    return storm

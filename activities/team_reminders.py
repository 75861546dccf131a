"""The morning's team reminders: one e-mail per jurisdiction and day, listing every open
request with a team reminder that day.

Each request used to send its own reminder from its own timer. On a morning when
thousands fall due together that is thousands of e-mails to one mailbox, sent one
workflow task and one activity at a time: 10,000 took over six minutes on 2 cores (docs/
benchmarks.md, run 6), and the team cannot work from them anyway. One list, sorted by due
date, arrives within seconds of the reminder time and is what the team works through.

Which requests: open ones of the jurisdiction whose due date is one of the reminder
offsets (`DSAR_TEAM_REMINDER_DAYS`) after the day, read from Temporal visibility
(`DsarDueAt`) with the same meaning of "open" as `dsar list --due-within`. A stopped clock
has no due date, so it has no reminder, as before.

Once: each listed request gets the same row in `notifications` (kind `team_reminder`,
occasion the day) that its own reminder used, claimed before the e-mail goes out and
marked sent after, all under this e-mail's Message-ID. A retry re-sends the same list with
the same Message-ID only if the relay took it and the worker died before the rows were
marked, as for every other e-mail (activities/notifications.py). A request that started
before the change still sends its own reminder (`workflow.patched` in the clock stage):
whichever claims the row first sends, and the other finds it taken. Requests found by a
later run the same day (visibility lags by a second) go out in a second e-mail with a
Message-ID of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import asyncpg
import structlog
from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError

from activities._heartbeat import heartbeating
from activities._smtp import SmtpSender, compose, deliver, recipient
from dsar import clock
from dsar import search_attributes as sa
from dsar.config import Settings
from dsar.messages.activity_names import Activity
from dsar.messages.notifications import NotificationKind
from dsar.messages.team_reminders import TeamRemindersInput, TeamRemindersResult
from dsar.rendering import render_mail
from dsar.visibility import due_between_query

log = structlog.get_logger(__name__)
# The notification rows' ids, as activities/notifications.py makes them for one request.
MESSAGE_NAMESPACE = uuid.UUID("0c7d3f0e-2b8f-4a59-8d0e-3c6a3b1f9e21")
MESSAGE_ID_PREFIX = "<team-reminders."
PAGE = 1000


def message_id(jurisdiction: str, day: date, round_: int) -> str:
    """Stable for a list, so a re-sent list is dropped by mail systems as the same message."""
    return f"{MESSAGE_ID_PREFIX}{jurisdiction.lower()}.{day.isoformat()}.{round_}@dsar.local>"


def holds_the_reminder(stored_message_id: str) -> bool:
    """The row was claimed by a morning's list, not by the request's own reminder."""
    return stored_message_id.startswith(MESSAGE_ID_PREFIX)


@dataclass(frozen=True)
class Due:
    reference: str
    due_on: date


def due_window(day: date, offsets: Sequence[int], zone: Any) -> tuple[datetime, datetime]:
    """From the start of the nearest due date to the end of the farthest, local time."""
    first = datetime.combine(day + timedelta(days=min(offsets)), time.min, tzinfo=zone)
    last = datetime.combine(day + timedelta(days=max(offsets) + 1), time.min, tzinfo=zone)
    return first, last


def reminded(day: date, due_on: date, received_on: date | None, offsets: Sequence[int]) -> bool:
    """A reminder falls on `day`: the due date is one of the offsets after it, and (as
    dsar.clock.reminder_dates has it) not on a day before the request arrived."""
    return (due_on - day).days in offsets and (received_on is None or received_on <= day)


class TeamReminderActivities:
    def __init__(
        self,
        client: Client,
        pool: asyncpg.Pool,
        settings: Settings,
        offsets: Sequence[int],
        sender: SmtpSender,
    ) -> None:
        self._client = client
        self._pool = pool
        self._settings = settings
        self._offsets = tuple(offsets)
        self._sender = sender

    @activity.defn(name=Activity.SEND_TEAM_REMINDERS)
    @heartbeating
    async def send_team_reminders(self, inp: TeamRemindersInput) -> TeamRemindersResult:
        try:
            jurisdiction = clock.get_jurisdiction(inp.jurisdiction)
        except (KeyError, ValueError):
            raise ApplicationError(
                "jurisdiction: not one the product knows", type="InvalidRequestError", non_retryable=True
            ) from None
        day = inp.at.astimezone(jurisdiction.zone).date()
        due = await self._due(inp.jurisdiction, day, jurisdiction.zone) if self._offsets else []
        listed, mid = await self._claim(inp.jurisdiction, day, [d.reference for d in due])
        if listed:
            await self._send(inp.jurisdiction, day, listed, mid, {d.reference: d.due_on for d in due})
        log.info(
            "team_reminders.done",
            jurisdiction=inp.jurisdiction,
            day=day.isoformat(),
            due=len(due),
            listed=len(listed),
        )
        return TeamRemindersResult(
            day=day, due=len(due), listed=len(listed), message_id=mid if listed else None
        )

    async def _due(self, code: str, day: date, zone: Any) -> list[Due]:
        start, end = due_window(day, self._offsets, zone)
        found: list[Due] = []
        async for execution in self._client.list_workflows(
            due_between_query(code, start, end), page_size=PAGE
        ):
            attrs = execution.typed_search_attributes
            due_at = attrs.get(sa.DSAR_DUE_AT)
            received_at = attrs.get(sa.DSAR_RECEIVED_AT)
            if due_at is None:
                continue
            received_on = received_at.astimezone(zone).date() if received_at else None
            due_on = due_at.astimezone(zone).date()
            if reminded(day, due_on, received_on, self._offsets):
                found.append(Due(execution.id.removeprefix("dsar-"), due_on))
        return found

    async def _claim(self, code: str, day: date, references: list[str]) -> tuple[list[str], str]:
        """Claim the rows of the requests not reminded yet today, under this list's Message-ID;
        returns every row the list holds (those of an earlier attempt that did not finish too)."""
        occasion = day.isoformat()
        kind = NotificationKind.TEAM_REMINDER.value
        async with self._pool.acquire() as conn, conn.transaction():
            # Two runs of one day (a retry beside a manual start) take turns.
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext($1))", f"team-reminders:{code}:{occasion}"
            )
            rounds = await conn.fetch(
                "SELECT message_id, bool_and(status = 'sent') AS done FROM notifications"
                " WHERE kind = $1 AND occasion = $2 AND message_id LIKE $3 GROUP BY message_id",
                kind,
                occasion,
                f"{MESSAGE_ID_PREFIX}{code.lower()}.{occasion}.%",
            )
            unfinished = [r["message_id"] for r in rounds if not r["done"]]
            mid = unfinished[0] if unfinished else message_id(code, day, len(rounds) + 1)
            ids = [uuid.uuid5(MESSAGE_NAMESPACE, f"{r}:{kind}:{occasion}") for r in references]
            await conn.execute(
                "INSERT INTO notifications"
                " (id, reference, kind, occasion, recipient_role, message_id, status)"
                " SELECT u.id, u.reference, $3, $4, 'team', $5, 'sending'"
                " FROM unnest($1::uuid[], $2::text[]) AS u (id, reference)"
                " WHERE EXISTS (SELECT 1 FROM requests r WHERE r.reference = u.reference)"
                " ON CONFLICT (reference, kind, occasion) DO NOTHING",
                ids,
                references,
                kind,
                occasion,
                mid,
            )
            rows = await conn.fetch(
                "SELECT reference FROM notifications WHERE message_id = $1 AND status = 'sending'"
                " ORDER BY reference",
                mid,
            )
        return [r["reference"] for r in rows], mid

    async def _send(
        self, code: str, day: date, references: list[str], mid: str, due_on: dict[str, date]
    ) -> None:
        """The list, by due date; stage and rights as the case store has them."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT reference, rights, status, due_on, extended FROM requests"
                " WHERE reference = ANY($1::text[]) ORDER BY reference",
                references,
            )
        by_due: dict[date, list[dict[str, Any]]] = {}
        for row in rows:
            # Visibility's due date, which chose the request; a row of an earlier attempt
            # that is no longer listed keeps the one the case store holds.
            due = due_on.get(row["reference"]) or row["due_on"] or day
            by_due.setdefault(due, []).append(dict(row))
        mail = render_mail(
            "team_reminders",
            "en",
            {
                "jurisdiction": code,
                "day": day,
                "count": len(rows),
                "by_due": [(due, (due - day).days, by_due[due]) for due in sorted(by_due)],
            },
        )
        to = recipient(self._settings.privacy_team_email)
        headers = {"X-DSAR-Kind": NotificationKind.TEAM_REMINDER.value, "X-DSAR-Occasion": day.isoformat()}
        message = compose(
            mail, sender=self._settings.mail_from, to=to.header(), message_id=mid, headers=headers
        )
        await deliver(self._sender, message, to)
        async with self._pool.acquire() as conn:
            await conn.execute(
                "UPDATE notifications SET status = 'sent', sent_at = now()"
                " WHERE reference = ANY($1::text[]) AND kind = $2 AND occasion = $3 AND message_id = $4",
                references,
                NotificationKind.TEAM_REMINDER.value,
                day.isoformat(),
                mid,
            )

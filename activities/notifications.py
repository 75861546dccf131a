"""E-mails to the person, sent at most once per request and kind.

A row in `notifications` is claimed before the message goes out and marked sent after;
a retry finds it sent and does nothing. If a worker dies in the instant between the SMTP
server accepting the message and the row being marked, the retry sends again with the
same Message-ID, which mail systems use to drop duplicates. The sender reuses pooled
relay connections and re-sends on a fresh one only when the old one was found closed
before DATA began, i.e. before the relay could hold the message (activities/_smtp.py).
"""

from __future__ import annotations

import uuid
from email.utils import make_msgid
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import asyncpg
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities._letter_contexts import (
    manual_action_context,
    outcome_context,
    recipient_notice_context,
    restriction_lift_context,
)
from activities._smtp import SmtpSender as SmtpSender  # the control worker builds one
from activities._smtp import compose, deliver, recipient
from activities.case_store import load_subject
from activities.delivery import ensure_link, forget_code, sealed_code
from activities.identity import ensure_challenge, forget_identity_code, sealed_identity_code
from activities.team_reminders import holds_the_reminder
from casestore.audit import append_audit
from casestore.db import Conn
from dsar.clock import get_jurisdiction
from dsar.codec import KeyRing
from dsar.config import Settings
from dsar.download_links import MAX_ATTEMPTS, LinkSigner, display_code
from dsar.group import Recipient, load_group
from dsar.identity_links import ChallengeSigner
from dsar.messages.activity_names import Activity
from dsar.messages.notifications import NotificationKind, NotificationResult, SendNotification
from dsar.package.locale_format import format_datetime
from dsar.rendering import authority_view, render_mail

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = structlog.get_logger(__name__)
MESSAGE_NAMESPACE = uuid.UUID("0c7d3f0e-2b8f-4a59-8d0e-3c6a3b1f9e21")


class NotificationActivities:
    def __init__(
        self,
        pool: asyncpg.Pool,
        ring: KeyRing,
        settings: Settings,
        s3: S3Client,
        sender: SmtpSender | None = None,
        signer: LinkSigner | None = None,
    ) -> None:
        self._pool = pool
        self._ring = ring
        self._settings = settings
        self._s3 = s3
        self._sender = sender or SmtpSender(
            settings.smtp_url, connections=settings.smtp_connections, idle_seconds=settings.smtp_idle_seconds
        )
        # Checked at start, so a worker without the key fails before any delivery does.
        self._signer = signer or LinkSigner.from_setting(settings.download_signing_keys)
        self._challenge_signer = ChallengeSigner.from_setting(settings.download_signing_keys)

    @activity.defn(name=Activity.SEND_NOTIFICATION)
    async def send_notification(self, inp: SendNotification) -> NotificationResult:
        once = f"{inp.reference}:{inp.kind.value}:{inp.occasion}"
        notification_id = uuid.uuid5(MESSAGE_NAMESPACE, once)
        message_id = make_msgid(idstring=notification_id.hex, domain="dsar.local")
        async with self._pool.acquire() as conn:
            async with conn.transaction():
                row = await conn.fetchrow(
                    "INSERT INTO notifications (id, reference, kind, occasion, recipient_role,"
                    " message_id, status) VALUES ($1, $2, $3, $4, $5, $6, 'sending')"
                    " ON CONFLICT (reference, kind, occasion) DO UPDATE SET reference = EXCLUDED.reference"
                    " RETURNING status, message_id",
                    notification_id,
                    inp.reference,
                    inp.kind.value,
                    inp.occasion,
                    _recipient_role(inp.kind),
                    message_id,
                )
                assert row is not None
            if row["status"] == "sent" or (
                # A request started before the morning's list sends its own; the list claimed it first.
                inp.kind is NotificationKind.TEAM_REMINDER and holds_the_reminder(row["message_id"])
            ):
                return NotificationResult(message_id=row["message_id"], already_sent=True)
            message_id = row["message_id"]
            request = await conn.fetchrow("SELECT * FROM requests WHERE reference = $1", inp.reference)
            assert request is not None
            context = await self._context(conn, inp, request)
            if inp.kind.to_person:
                subject = await load_subject(conn, self._ring, inp.reference)
                context["name"] = subject.full_name
                to = recipient(subject.email)
                to_header = to.header(subject.full_name)
                language = request["language"]
            elif inp.kind.to_system_owner:
                # The owner of a manual system has to know whom to search for; the mail goes to
                # that team's mailbox inside the group, never outside it.
                to = recipient(self._system_owner(inp.system))
                to_header = to.header()
                context["person"] = await load_subject(conn, self._ring, inp.reference)
                context["system"] = inp.system
                language = "en"
            elif inp.kind is NotificationKind.RECIPIENT_NOTICE:
                # Art. 19: to the recipient's registry contact, never to the team or the person.
                told: Recipient = context["recipient"]
                to = recipient(told.contact)
                to_header = to.header(told.name)
                context["person"] = await load_subject(conn, self._ring, inp.reference)
                language = "en"
            else:
                # Mail to the team names the request, never the person.
                to = recipient(
                    self._settings.escalation_email
                    if inp.kind is NotificationKind.ESCALATION
                    else self._settings.privacy_team_email
                )
                to_header = to.header()
                language = "en"
        mail = render_mail(inp.kind.value, language, context)
        headers = {"X-DSAR-Reference": inp.reference, "X-DSAR-Kind": inp.kind.value}
        if inp.occasion:
            headers["X-DSAR-Occasion"] = inp.occasion
        message = compose(
            mail, sender=self._settings.mail_from, to=to_header, message_id=message_id, headers=headers
        )
        await deliver(self._sender, message, to)
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "UPDATE notifications SET status = 'sent', sent_at = now()"
                " WHERE reference = $1 AND kind = $2 AND occasion = $3",
                inp.reference,
                inp.kind.value,
                inp.occasion,
            )
            if inp.kind is NotificationKind.DOWNLOAD_CODE:
                await forget_code(conn, inp.reference, inp.occasion)
            if inp.kind is NotificationKind.IDENTITY_CODE:
                await forget_identity_code(conn, inp.reference, inp.occasion)
            if inp.kind is NotificationKind.RECIPIENT_NOTICE:
                await conn.execute(
                    "INSERT INTO recipient_notifications (reference, recipient, actions, message_id)"
                    " VALUES ($1, $2, $3, $4) ON CONFLICT (reference, recipient) DO NOTHING",
                    inp.reference,
                    context["recipient"].code,
                    [a.value for a in context["actions"]],
                    message_id,
                )
            await append_audit(
                conn,
                reference=inp.reference,
                actor="dsar-notifications",
                action=f"notification.{inp.kind.value}.sent",
                details={"message_id": message_id, "channel": "email", "occasion": inp.occasion},
                idempotency_key=f"{once}:notification",
            )
        log.info("notification.sent", reference=inp.reference, kind=inp.kind.value, occasion=inp.occasion)
        activity.metric_meter().create_counter("dsar_notifications_sent", "Letters and e-mails sent").add(
            1, {"kind": inp.kind.value}
        )
        if inp.kind is NotificationKind.DELIVERY and not inp.occasion:
            activity.metric_meter().create_counter("dsar_deliveries", "Response packages delivered").add(1)
        return NotificationResult(message_id=message_id, already_sent=False)

    @staticmethod
    def _system_owner(system: str | None) -> str:
        company, _, code = (system or "").partition("/")
        try:
            owner = load_group().company(company).system(code).owner
        except KeyError:
            owner = None
        if owner is None:
            raise ApplicationError(
                "the system has no owner to send the task to", type="InvalidRequestError", non_retryable=True
            )
        return owner

    async def _context(self, conn: Conn, inp: SendNotification, request: asyncpg.Record) -> dict[str, Any]:
        context: dict[str, Any] = {
            "reference": inp.reference,
            "rights": list(request["rights"]),
            "received_on": request["received_on"],
            "due_on": request["due_on"],
            "authority": authority_view(request["jurisdiction"], request["language"]),
            "privacy_email": self._settings.privacy_team_email,
            "occasion": inp.occasion,
            "text": inp.text or "",
            "status": request["status"],
            "extended": request["extended"],
        }
        if inp.kind is NotificationKind.IDENTITY_CODE:
            # Made when the mail is first attempted, so neither code nor token enters history.
            challenge = await ensure_challenge(
                conn,
                self._ring,
                inp.reference,
                inp.occasion,
                self._settings.identity_code_minutes,
                self._settings.identity_code_attempts,
            )
            code = await sealed_identity_code(conn, self._ring, challenge)
            context["code"] = f"{code[:3]} {code[3:]}"
            context["link"] = (
                f"{self._settings.download_base_url}/v/{self._challenge_signer.sign(challenge.claims)}"
            )
            zone = ZoneInfo(get_jurisdiction(request["jurisdiction"]).timezone)
            context["expires_at"] = format_datetime(challenge.claims.expires_at, request["language"], zone)
            context["minutes"] = self._settings.identity_code_minutes
            context["max_attempts"] = challenge.max_attempts
        if inp.kind in (NotificationKind.DELIVERY, NotificationKind.DOWNLOAD_CODE):
            # Whichever of the two e-mails goes first issues the link; the other finds it.
            link = await ensure_link(
                conn, self._ring, inp.reference, inp.occasion, self._settings.download_link_days
            )
            context["expires_on"] = link.claims.expires_at.date()
            context["link_days"] = self._settings.download_link_days
            context["retention_days"] = self._settings.package_retention_days
            context["max_attempts"] = MAX_ATTEMPTS
            if inp.kind is NotificationKind.DELIVERY:
                # Made at sending time, so the token never enters workflow history; signing
                # is deterministic, so a retried send carries the same link.
                context["link"] = f"{self._settings.download_base_url}/d/{self._signer.sign(link.claims)}"
            else:
                context["code"] = display_code(await sealed_code(conn, self._ring, link))
        if inp.kind is NotificationKind.OUTCOME:
            context |= await outcome_context(conn, inp, request, load_group())
        if inp.kind is NotificationKind.RESTRICTION_LIFT:
            context |= await restriction_lift_context(conn, inp, load_group(), request["language"])
        if inp.kind is NotificationKind.RECIPIENT_NOTICE:
            context |= await recipient_notice_context(conn, inp, load_group())
        if inp.kind is NotificationKind.MANUAL_ACTION:
            context |= manual_action_context(inp, load_group())
        return context


def _recipient_role(kind: NotificationKind) -> str:
    if kind is NotificationKind.RECIPIENT_NOTICE:
        return "recipient"
    return "person" if kind.to_person else "team"

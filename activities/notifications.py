"""E-mails to the person, sent at most once per request and kind.

A row in `notifications` is claimed before the message goes out and marked sent after;
a retry finds it sent and does nothing. If a worker dies in the instant between the SMTP
server accepting the message and the row being marked, the retry sends again with the
same Message-ID, which mail systems use to drop duplicates.
"""

from __future__ import annotations

import asyncio
import json
import smtplib
import ssl
import uuid
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import asyncpg
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.case_store import load_subject
from activities.delivery import ensure_link, forget_code, sealed_code
from activities.identity import ensure_challenge, forget_identity_code, sealed_identity_code
from casestore.audit import append_audit
from casestore.db import Conn
from dsar.clock import get_jurisdiction
from dsar.codec import KeyRing
from dsar.config import Settings
from dsar.domain import CorrectableField, Language, Right
from dsar.download_links import MAX_ATTEMPTS, LinkSigner, display_code
from dsar.group import Category, GroupRegistry, Recipient, load_group
from dsar.identity_links import ChallengeSigner
from dsar.messages import (
    Action,
    ActionStatus,
    Activity,
    NotificationKind,
    NotificationResult,
    SendNotification,
)
from dsar.privacy_notice import LegalBasis, load_privacy_notice
from dsar.rendering import authority_view, render_mail

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = structlog.get_logger(__name__)
MESSAGE_NAMESPACE = uuid.UUID("0c7d3f0e-2b8f-4a59-8d0e-3c6a3b1f9e21")


class SmtpSender:
    """Sends through the relay named by DSAR_SMTP_URL (smtp://, smtp+starttls:// or smtps://)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps", "smtp+starttls"):
            raise ValueError("DSAR_SMTP_URL must start with smtp://, smtp+starttls:// or smtps://")
        self._scheme = parts.scheme
        self._host = parts.hostname or "localhost"
        self._port = parts.port or (465 if parts.scheme == "smtps" else 25)
        self._user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None

    def send(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self._scheme == "smtps":
            smtp = smtplib.SMTP_SSL(self._host, self._port, context=context, timeout=30)
        else:
            smtp = smtplib.SMTP(self._host, self._port, timeout=30)
        with smtp:
            if self._scheme == "smtp+starttls":
                smtp.starttls(context=context)
            if self._user and self._password:
                smtp.login(self._user, self._password)
            smtp.send_message(message)


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
        self._sender = sender or SmtpSender(settings.smtp_url)
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
            if row["status"] == "sent":
                return NotificationResult(message_id=row["message_id"], already_sent=True)
            message_id = row["message_id"]
            request = await conn.fetchrow("SELECT * FROM requests WHERE reference = $1", inp.reference)
            assert request is not None
            context = await self._context(conn, inp, request)
            if inp.kind.to_person:
                subject = await load_subject(conn, self._ring, inp.reference)
                context["name"] = subject.full_name
                recipient = formataddr((subject.full_name, subject.email))
                language = request["language"]
            elif inp.kind.to_system_owner:
                # The owner of a manual system has to know whom to search for; the mail goes to
                # that team's mailbox inside the group, never outside it.
                recipient = self._system_owner(inp.system)
                context["person"] = await load_subject(conn, self._ring, inp.reference)
                context["system"] = inp.system
                language = "en"
            elif inp.kind is NotificationKind.RECIPIENT_NOTICE:
                # Art. 19: to the recipient's registry contact, never to the team or the person.
                told: Recipient = context["recipient"]
                recipient = formataddr((told.name, told.contact))
                context["person"] = await load_subject(conn, self._ring, inp.reference)
                language = "en"
            else:
                # Mail to the team names the request, never the person.
                recipient = (
                    self._settings.escalation_email
                    if inp.kind is NotificationKind.ESCALATION
                    else self._settings.privacy_team_email
                )
                language = "en"
        mail = render_mail(inp.kind.value, language, context)
        message = EmailMessage()
        message["From"] = self._settings.mail_from
        message["To"] = recipient
        message["Subject"] = mail.subject
        message["Message-ID"] = message_id
        message["X-DSAR-Reference"] = inp.reference
        message["X-DSAR-Kind"] = inp.kind.value
        if inp.occasion:
            message["X-DSAR-Occasion"] = inp.occasion
        message.set_content(mail.body)
        try:
            await asyncio.to_thread(self._sender.send, message)
        except (OSError, smtplib.SMTPException) as exc:
            # The relay's reply may quote the address; keep only the error class.
            raise ApplicationError(f"mail relay refused or unreachable: {type(exc).__name__}") from None
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
            context["expires_at"] = challenge.claims.expires_at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
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
            context |= await restriction_lift_context(conn, inp, load_group())
        if inp.kind is NotificationKind.RECIPIENT_NOTICE:
            context |= await recipient_notice_context(conn, inp, load_group())
        if inp.kind is NotificationKind.MANUAL_ACTION:
            context |= manual_action_context(inp, load_group())
        return context


def _recipient_role(kind: NotificationKind) -> str:
    if kind is NotificationKind.RECIPIENT_NOTICE:
        return "recipient"
    return "person" if kind.to_person else "team"


# --- the letters of the rights other than access ---------------------------------------------

# Letters list the actions in this order, whatever order the systems finished in.
ACTION_ORDER = (
    Action.RECTIFY,
    Action.ERASE,
    Action.RESTRICT,
    Action.LIFT_RESTRICTION,
    Action.WITHDRAW_CONSENT,
    Action.SUPPRESS_MARKETING,
)

ACTION_LABELS: dict[Action, dict[str, str]] = {
    Action.RECTIFY: {"sv": "Rättelse", "en": "Rectification"},
    Action.ERASE: {"sv": "Radering", "en": "Erasure"},
    Action.RESTRICT: {"sv": "Begränsning av behandlingen", "en": "Restriction of processing"},
    Action.LIFT_RESTRICTION: {"sv": "Hävd begränsning", "en": "Restriction lifted"},
    Action.WITHDRAW_CONSENT: {"sv": "Återkallat samtycke", "en": "Consent withdrawn"},
    Action.SUPPRESS_MARKETING: {"sv": "Stopp för direktmarknadsföring", "en": "No more direct marketing"},
}

# (one, many) per language: what `changed` counts for each action.
_CHANGED: dict[Action, dict[str, tuple[str, str]]] = {
    Action.RECTIFY: {
        "sv": ("{n} post rättad", "{n} poster rättade"),
        "en": ("{n} record corrected", "{n} records corrected"),
    },
    Action.ERASE: {
        "sv": ("{n} post raderad", "{n} poster raderade"),
        "en": ("{n} record erased", "{n} records erased"),
    },
    Action.RESTRICT: {
        "sv": ("{n} post markerad som begränsad", "{n} poster markerade som begränsade"),
        "en": ("{n} record marked as restricted", "{n} records marked as restricted"),
    },
    Action.LIFT_RESTRICTION: {
        "sv": ("begränsningen hävd för {n} post", "begränsningen hävd för {n} poster"),
        "en": ("restriction lifted on {n} record", "restriction lifted on {n} records"),
    },
    Action.WITHDRAW_CONSENT: {
        "sv": ("samtycket avstängt i {n} post", "samtycket avstängt i {n} poster"),
        "en": ("consent switched off in {n} record", "consent switched off in {n} records"),
    },
    Action.SUPPRESS_MARKETING: {
        "sv": ("{n} post spärrad för marknadsföring", "{n} poster spärrade för marknadsföring"),
        "en": ("{n} record blocked from marketing", "{n} records blocked from marketing"),
    },
}

STATUS_LABELS: dict[ActionStatus, dict[str, str]] = {
    ActionStatus.DONE: {"sv": "klart", "en": "done"},
    ActionStatus.FAILED: {"sv": "kunde inte genomföras", "en": "could not be completed"},
    ActionStatus.NOT_APPLICABLE: {"sv": "inte tillämpligt", "en": "not applicable"},
    ActionStatus.PENDING: {"sv": "pågår", "en": "in progress"},
    ActionStatus.AWAITING_OWNER: {"sv": "pågår, görs för hand", "en": "in progress, done by hand"},
}

FIELD_LABELS: dict[CorrectableField, dict[str, str]] = {
    CorrectableField.FULL_NAME: {"sv": "namn", "en": "name"},
    CorrectableField.EMAIL: {"sv": "e-postadress", "en": "e-mail address"},
    CorrectableField.PHONE: {"sv": "telefonnummer", "en": "phone number"},
    CorrectableField.STREET: {"sv": "gatuadress", "en": "street address"},
    CorrectableField.POSTCODE: {"sv": "postnummer", "en": "postcode"},
    CorrectableField.CITY: {"sv": "ort", "en": "town or city"},
    CorrectableField.COMPANY_NAME: {"sv": "företagsnamn", "en": "company name"},
    CorrectableField.JOB_TITLE: {"sv": "titel", "en": "job title"},
}

# To a manual system's owner (English, inside the group): the verb for the subject line and
# what to do by hand.
MANUAL_VERBS: dict[Action, str] = {
    Action.RECTIFY: "correct the data of one person in",
    Action.ERASE: "erase one person's data from",
    Action.RESTRICT: "flag one person's data as restricted in",
    Action.LIFT_RESTRICTION: "lift the restriction on one person's data in",
    Action.WITHDRAW_CONSENT: "switch off one person's consents in",
    Action.SUPPRESS_MARKETING: "stop marketing to one person from",
}
MANUAL_INSTRUCTIONS: dict[Action, str] = {
    Action.RECTIFY: (
        "Correct every record about this person in the system: replace the old values of the "
        "fields listed below with the new ones. Change nothing else."
    ),
    Action.ERASE: (
        "Erase every record about this person in the system (for paper records, shred the pages). "
        "Keep only what a legal duty requires you to keep (for example accounting records), and "
        "tell the privacy team what you kept, how many records, and which law requires it."
    ),
    Action.RESTRICT: (
        "Flag every record about this person as restricted. Keep the data stored, but do not use "
        "it in any other way (no mailings, exports, analysis or sharing) until the privacy team "
        "tells you the restriction has been lifted."
    ),
    Action.LIFT_RESTRICTION: (
        "Remove the restriction flag from this person's records; the data may be used again as "
        "before. The person has been told in advance."
    ),
    Action.WITHDRAW_CONSENT: (
        "The person has withdrawn their consent. Switch off every consent they have given in the "
        "system (for example marketing opt-ins or location tracking), from now on."
    ),
    Action.SUPPRESS_MARKETING: (
        "The person objects to direct marketing. Mark them in the system so they receive no more "
        "marketing of any kind, by any channel."
    ),
}

# To a recipient (Art. 19): what the controller did, and what it asks of the recipient.
RECIPIENT_DONE: dict[Action, str] = {
    Action.RECTIFY: "rectified (corrected)",
    Action.ERASE: "erased",
    Action.RESTRICT: "restricted the processing of",
    Action.LIFT_RESTRICTION: "lifted the restriction of processing of",
}
RECIPIENT_ASK: dict[Action, str] = {
    Action.RECTIFY: "Please correct the personal data you hold about this person in the same way.",
    Action.ERASE: (
        "Please erase the personal data about this person that we disclosed to you, unless a law "
        "requires you to keep it."
    ),
    Action.RESTRICT: (
        "Please stop processing this person's personal data other than storing it, until we tell "
        "you that the restriction has been lifted."
    ),
    Action.LIFT_RESTRICTION: "The restriction we told you about no longer applies.",
}


_ACTION_VALUES = frozenset(a.value for a in Action)


@dataclass(frozen=True)
class KeptView:
    category: str
    items: int
    legal_basis: str
    until: date | None


@dataclass(frozen=True)
class SystemView:
    company: str  # the company's legal name
    system: str  # the system's name
    status: str
    status_label: str
    changed: int
    changed_text: str
    fields: list[str]  # rectification: labels of the fields corrected
    kept: list[KeptView]
    note: str | None
    processing: list[str]  # consent withdrawal: the processing switched off


@dataclass(frozen=True)
class ActionView:
    action: str
    label: str
    systems: list[SystemView] = field(default_factory=list)

    @property
    def done(self) -> list[SystemView]:
        """Systems where the action changed, corrected or kept something: the letter names them."""
        return [s for s in self.systems if s.status == ActionStatus.DONE.value and _touched(s)]

    @property
    def quiet(self) -> int:
        """Systems that held nothing of the person's to change: counted, not listed one by one."""
        return sum(1 for s in self.systems if s.status == ActionStatus.DONE.value and not _touched(s))

    @property
    def failed(self) -> list[SystemView]:
        return [s for s in self.systems if s.status == ActionStatus.FAILED.value]

    @property
    def not_applicable(self) -> list[SystemView]:
        return [s for s in self.systems if s.status == ActionStatus.NOT_APPLICABLE.value]

    @property
    def pending(self) -> list[SystemView]:
        return [s for s in self.systems if not ActionStatus(s.status).settled]


def _touched(system: SystemView) -> bool:
    return bool(system.changed or system.kept or system.fields)


@dataclass(frozen=True)
class RecipientView:
    name: str
    kind: str
    actions: list[str]


def _language(value: str) -> str:
    return "sv" if value == Language.SV.value else "en"


def _category_label(category: str, language: str) -> str:
    try:
        return load_privacy_notice().category_label(Category(category), Language(language))
    except (ValueError, KeyError):
        return category


def _field_label(name: str, language: str) -> str:
    try:
        return FIELD_LABELS[CorrectableField(name)][language]
    except ValueError:
        return name


def _kept(value: Any) -> list[dict[str, Any]]:
    # The column is jsonb; depending on the connection's codec it arrives parsed or as text.
    while isinstance(value, str):
        value = json.loads(value)
    return list(value or [])


def _names(registry: GroupRegistry, company: str, system: str) -> tuple[str, str]:
    try:
        found = registry.company(company)
    except KeyError:
        return company, system
    try:
        return found.legal_name, found.system(system).name
    except KeyError:
        return found.legal_name, system


def _consent_processing(registry: GroupRegistry, company: str, system: str, language: str) -> list[str]:
    """What processing resting on consent a system holds, as the privacy notice names it."""
    try:
        found = registry.company(company).system(system)
    except KeyError:
        return []
    with_consent = {t.category for t in found.tables if t.consent} or set(found.categories)
    notice = load_privacy_notice()
    names = [
        activity_.name.in_language(language)
        for activity_ in notice.activities
        if any(b.basis is LegalBasis.CONSENT for b in activity_.legal_bases)
        and with_consent & set(activity_.categories)
    ]
    return names or sorted(_category_label(c.value, language) for c in with_consent)


async def _action_rows(conn: Conn, reference: str) -> list[asyncpg.Record]:
    return list(
        await conn.fetch(
            "SELECT company, system, action, status, changed, fields, kept, recipients, note"
            " FROM action_results WHERE reference = $1 ORDER BY company, system",
            reference,
        )
    )


def action_views(rows: list[asyncpg.Record], registry: GroupRegistry, language: str) -> list[ActionView]:
    """The systems' results grouped by action, in the letter's order, with readable labels."""
    views: list[ActionView] = []
    for action in ACTION_ORDER:
        systems: list[SystemView] = []
        for row in rows:
            if row["action"] != action.value:
                continue
            status = ActionStatus(row["status"])
            company, system = _names(registry, row["company"], row["system"])
            changed = int(row["changed"])
            one, many = _CHANGED[action][language]
            kept = [
                KeptView(
                    category=_category_label(str(k.get("category", "")), language),
                    items=int(k.get("items", 0)),
                    legal_basis=str(k.get("legal_basis", "")),
                    until=date.fromisoformat(k["until"]) if k.get("until") else None,
                )
                for k in _kept(row["kept"])
            ]
            systems.append(
                SystemView(
                    company=company,
                    system=system,
                    status=status.value,
                    status_label=STATUS_LABELS[status][language],
                    changed=changed,
                    changed_text=(one if changed == 1 else many).format(n=changed),
                    fields=[_field_label(f, language) for f in row["fields"]],
                    kept=kept,
                    note=row["note"],
                    processing=(
                        _consent_processing(registry, row["company"], row["system"], language)
                        if action is Action.WITHDRAW_CONSENT
                        else []
                    ),
                )
            )
        if systems:
            views.append(
                ActionView(action=action.value, label=ACTION_LABELS[action][language], systems=systems)
            )
    return views


async def recipients_told(
    conn: Conn, reference: str, registry: GroupRegistry, language: str
) -> list[RecipientView]:
    """Recipients told of the changes (Art. 19), by name: the person may ask who they are."""
    notice_kinds = {r.id: r.name.in_language(language) for r in load_privacy_notice().recipients}
    told: list[RecipientView] = []
    for row in await conn.fetch(
        "SELECT recipient, actions FROM recipient_notifications WHERE reference = $1"
        " ORDER BY notified_at, recipient",
        reference,
    ):
        known = registry.recipient(row["recipient"])
        told.append(
            RecipientView(
                name=known.name if known else row["recipient"],
                kind=notice_kinds.get(known.kind, "") if known else "",
                actions=[ACTION_LABELS[Action(a)][language] for a in row["actions"] if a in _ACTION_VALUES],
            )
        )
    return told


async def outcome_context(
    conn: Conn, inp: SendNotification, request: asyncpg.Record, registry: GroupRegistry
) -> dict[str, Any]:
    """OUTCOME: what was done for each right other than access; `inp.text` is the privacy
    team's decision on an objection to other processing (upheld, or overridden with grounds)."""
    language = _language(request["language"])
    rows = await _action_rows(conn, inp.reference)
    actions = action_views(rows, registry, language)
    rights = [Right(r) for r in request["rights"]]
    on_list = await conn.fetchval(
        "SELECT count(*) FROM marketing_suppressions WHERE reference = $1", inp.reference
    )
    suppressed = bool(on_list) or any(
        r["action"] == Action.SUPPRESS_MARKETING.value and r["status"] == ActionStatus.DONE.value
        for r in rows
    )
    restricted = Right.RESTRICTION in rights and any(
        r["action"] == Action.RESTRICT.value and r["status"] == ActionStatus.DONE.value for r in rows
    )
    notice = load_privacy_notice()
    right_names = {r.right: r.name.in_language(language) for r in notice.rights}
    return {
        "actions": actions,
        "other_rights": [right_names.get(r, r.value) for r in rights if r is not Right.ACCESS],
        "recipients_told": await recipients_told(conn, inp.reference, registry, language),
        "objection": Right.OBJECTION in rights,
        "objection_upheld": inp.objection_upheld,
        "suppressed": suppressed,
        "restricted": restricted,
        "consent_withdrawn": Right.CONSENT_WITHDRAWAL in rights,
        "group_name": notice.controller.legal_name,
    }


async def restriction_lift_context(
    conn: Conn, inp: SendNotification, registry: GroupRegistry
) -> dict[str, Any]:
    """RESTRICTION_LIFT: `inp.text` is the reason; the systems where the data is restricted."""
    rows = [
        r
        for r in await _action_rows(conn, inp.reference)
        if r["action"] == Action.RESTRICT.value and r["status"] == ActionStatus.DONE.value
    ]
    return {"restricted_in": [_names(registry, r["company"], r["system"]) for r in rows]}


async def recipient_notice_context(
    conn: Conn, inp: SendNotification, registry: GroupRegistry
) -> dict[str, Any]:
    """RECIPIENT_NOTICE: `inp.recipient` is the registry code; `inp.actions` what was done
    (from the case store's results when empty); `inp.text`, if any, the corrected values."""
    known = registry.recipient(inp.recipient) if inp.recipient else None
    if known is None or known.code != inp.recipient:
        raise ApplicationError(
            f"unknown recipient code {inp.recipient!r}", type="InvalidRequestError", non_retryable=True
        )
    rows = [r for r in await _action_rows(conn, inp.reference) if known.code in r["recipients"]]
    actions = [a for a in ACTION_ORDER if a in inp.actions] or [
        a
        for a in ACTION_ORDER
        if a.tells_recipients
        and any(r["action"] == a.value and r["status"] == ActionStatus.DONE.value for r in rows)
    ]
    actions = [a for a in actions if a in RECIPIENT_DONE]
    if not actions:
        raise ApplicationError(
            "the recipient notice names no action to report", type="InvalidRequestError", non_retryable=True
        )
    companies = sorted({_names(registry, r["company"], r["system"])[0] for r in rows}) or sorted(
        c.legal_name for c in registry.companies if any(known.code in s.disclosed_to for s in c.systems)
    )
    fields = sorted(
        {_field_label(f, "en") for r in rows if r["action"] == Action.RECTIFY.value for f in r["fields"]}
    )
    return {
        "recipient": known,
        "actions": actions,
        "done": [RECIPIENT_DONE[a] for a in actions],
        "asks": [RECIPIENT_ASK[a] for a in actions],
        "rectified_fields": fields if Action.RECTIFY in actions else [],
        "companies": companies,
        "controller": load_privacy_notice().controller.legal_name,
        "group_name": registry.name,
    }


def manual_action_context(inp: SendNotification, registry: GroupRegistry) -> dict[str, Any]:
    """MANUAL_ACTION: `inp.action` what to do in `inp.system`; `inp.text` the corrections
    ("field: new value" lines) for rectification. An occasion with "/day-" is a reminder."""
    if inp.action is None:
        raise ApplicationError(
            "a manual action task needs the action", type="InvalidRequestError", non_retryable=True
        )
    company, _, code = (inp.system or "").partition("/")
    company_name, system_name = _names(registry, company, code)
    return {
        "action": inp.action.value,
        "verb": MANUAL_VERBS[inp.action],
        "instruction": MANUAL_INSTRUCTIONS[inp.action],
        "reminder": "/day-" in inp.occasion,
        "company_name": company_name,
        "system_name": system_name,
    }

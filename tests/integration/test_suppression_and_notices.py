"""The letters of the rights other than access, Art. 19 notices, and the suppression list.

Against the real case store and the SMTP catcher: results recorded for a request become
the person's outcome letter (sv and en), each recipient is told once at its registry
contact, manual owners get their task, and the suppression list matches any spelling of
the person's address.
"""

from __future__ import annotations

import uuid
from datetime import date
from email.message import EmailMessage
from typing import Any

import asyncpg
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.actions import save_action_result
from activities.case_store import CaseStoreActivities
from activities.notifications import NotificationActivities
from activities.suppression import SuppressionActivities, is_suppressed
from casestore.storage import s3_client
from dsar.codec import KeyRing
from dsar.config import Settings
from dsar.domain import (
    Channel,
    CorrectableField,
    Correction,
    Language,
    Objection,
    ObjectionScope,
    RequestSubmission,
    Right,
    SubjectIdentity,
    format_reference,
)
from dsar.group import GroupRegistry
from dsar.messages.actions import Action, ActionResult, ActionStatus, KeptData
from dsar.messages.intake import RightsRequestInput
from dsar.messages.notifications import NotificationKind, SendNotification

BASIS = "Bokföringslagen (1999:1078) 7 kap. 2 §"


async def new_request(
    pool: asyncpg.Pool, ring: KeyRing, registry: GroupRegistry, language: Language, jurisdiction: str
) -> tuple[str, SubjectIdentity]:
    number = await pool.fetchval("SELECT nextval('request_number_seq')")
    reference = format_reference(2026, int(number))
    subject = SubjectIdentity(
        full_name="Ingrid Testsson",
        email=f"p-{uuid.uuid4().hex[:12]}@example.com",
        phone=f"070-{uuid.uuid4().int % 900 + 100} {uuid.uuid4().int % 90 + 10} {uuid.uuid4().int % 90 + 10}",
    )
    submission = RequestSubmission(
        rights=[
            Right.RECTIFICATION,
            Right.ERASURE,
            Right.RESTRICTION,
            Right.OBJECTION,
            Right.CONSENT_WITHDRAWAL,
        ],
        subject=subject,
        language=language,
        jurisdiction=jurisdiction,
        channel=Channel.EMAIL,
        received_on=date(2026, 3, 2),
        corrections=[Correction(field=CorrectableField.FULL_NAME, value="Ingrid Testsson-Berg")],
        objection=Objection(scope=ObjectionScope.DIRECT_MARKETING),
    )
    await ActivityEnvironment().run(
        CaseStoreActivities(pool, ring, registry).register_request,
        RightsRequestInput(reference=reference, submission=submission, submitted_by="tester"),
    )
    results = [
        ActionResult(
            company="se01",
            system="billing",
            action=Action.ERASE,
            status=ActionStatus.DONE,
            changed=12,
            kept=[KeptData(category="billing", items=4, legal_basis=BASIS, until=date(2033, 5, 1))],
            recipients=["stripe"],
        ),
        ActionResult(
            company="gb01",
            system="signups",
            action=Action.ERASE,
            status=ActionStatus.NOT_APPLICABLE,
            note="The binder holds no page about the person.",
            note_for_person="Pärmen innehåller ingen sida om dig.",
        ),
        ActionResult(
            company="gb01",
            system="crm",
            action=Action.RECTIFY,
            status=ActionStatus.DONE,
            changed=2,
            fields=["email", "full_name"],
            recipients=["experian"],
        ),
        ActionResult(
            company="se01", system="crm", action=Action.RESTRICT, status=ActionStatus.DONE, changed=3
        ),
        ActionResult(
            company="se01", system="app", action=Action.WITHDRAW_CONSENT, status=ActionStatus.DONE, changed=1
        ),
    ]
    async with pool.acquire() as conn:
        for result in results:
            await save_action_result(conn, reference, result)
    return reference, subject


def mails(servers: Any, reference: str, kind: NotificationKind) -> list[EmailMessage]:
    return [
        m
        for m in servers.mail.messages()
        if m["X-DSAR-Reference"] == reference and m["X-DSAR-Kind"] == kind.value
    ]


def body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    text = part.get_content()
    assert isinstance(text, str)
    return text.replace("\r\n", "\n")


@pytest.fixture
def notifications(case_pool: asyncpg.Pool, ring: KeyRing, settings: Settings) -> NotificationActivities:
    return NotificationActivities(case_pool, ring, settings, s3_client(settings))


async def send(notifications: NotificationActivities, **fields: Any) -> Any:
    return await ActivityEnvironment().run(notifications.send_notification, SendNotification(**fields))


async def test_recipient_notice_suppression_and_the_swedish_outcome_letter(
    servers: Any,
    case_pool: asyncpg.Pool,
    ring: KeyRing,
    registry: GroupRegistry,
    settings: Settings,
    notifications: NotificationActivities,
) -> None:
    reference, subject = await new_request(case_pool, ring, registry, Language.SV, "SE")
    stripe = registry.recipient("stripe")
    assert stripe is not None

    # Art. 19: to the recipient's registry contact, once, with the person named.
    notice = {"reference": reference, "kind": NotificationKind.RECIPIENT_NOTICE, "occasion": "stripe"}
    first = await send(notifications, **notice, recipient="stripe", actions=[Action.ERASE])
    again = await send(notifications, **notice, recipient="stripe", actions=[Action.ERASE])
    assert not first.already_sent and again.already_sent
    sent = mails(servers, reference, NotificationKind.RECIPIENT_NOTICE)
    assert len(sent) == 1
    assert sent[0]["To"].addresses[0].addr_spec == stripe.contact
    assert settings.privacy_team_email not in str(sent[0]["To"]) and subject.email not in str(sent[0]["To"])
    text = body(sent[0])
    assert subject.full_name in text and subject.email in text
    assert "erased" in text and "Skärgården Affärssystem AB" in text
    row = await case_pool.fetchrow(
        "SELECT actions, message_id FROM recipient_notifications"
        " WHERE reference = $1 AND recipient = 'stripe'",
        reference,
    )
    assert row is not None and list(row["actions"]) == ["erase"] and row["message_id"] == first.message_id

    # An unknown code is refused for good, and the message names the code only.
    with pytest.raises(ApplicationError) as refused:
        unknown = notice | {"occasion": "nobody"}
        await send(notifications, **unknown, recipient="nobody", actions=[Action.ERASE])
    assert refused.value.type == "InvalidRequestError" and refused.value.non_retryable
    assert "nobody" in str(refused.value) and subject.email not in str(refused.value)

    # Art. 21(3): the person's address and phone onto the group-wide list, once.
    suppression = SuppressionActivities(case_pool, ring)
    added = await ActivityEnvironment().run(suppression.add_to_suppression_list, reference)
    assert (added.entries, added.added) == (2, 2)
    repeat = await ActivityEnvironment().run(suppression.add_to_suppression_list, reference)
    assert (repeat.entries, repeat.added) == (2, 0)
    kinds = await case_pool.fetch(
        "SELECT kind, lookup_hash FROM marketing_suppressions WHERE reference = $1 ORDER BY kind", reference
    )
    assert [(r["kind"], r["lookup_hash"]) for r in kinds] == [
        ("email", ring.lookup_hash(subject.email)),
        ("phone", ring.lookup_hash(subject.phone or "")),
    ]
    async with case_pool.acquire() as conn:
        assert await is_suppressed(conn, ring, email=f"  {subject.email.upper()} ")
        assert await is_suppressed(conn, ring, phone=(subject.phone or "").replace("+46", "0"))
        assert not await is_suppressed(conn, ring, email=f"other-{uuid.uuid4().hex[:8]}@example.com")
        assert not await is_suppressed(conn, ring, phone="+46709999999", email="not an address")
        assert not await is_suppressed(conn, ring)
    audited = await case_pool.fetchval(
        "SELECT count(*) FROM audit_log WHERE reference = $1 AND action = 'suppression.added'", reference
    )
    assert audited == 1

    # The outcome letter, in Swedish: kept data and why, fields, recipients, remedies.
    await send(notifications, reference=reference, kind=NotificationKind.OUTCOME)
    [outcome] = mails(servers, reference, NotificationKind.OUTCOME)
    assert outcome["To"].addresses[0].addr_spec == subject.email
    letter = body(outcome)
    flat = " ".join(letter.split())  # wrapped at 72 columns
    assert (
        f"Vi har sparat 4 poster (fakturering), eftersom {BASIS} kräver att vi sparar dem"
        " till och med 1 maj 2033." in flat
    )
    assert "Rättat: e-postadress, namn." in flat
    assert "12 poster raderade" in flat
    # The team's note stays internal; the sentence marked for the person is told.
    assert "The binder holds no page about the person." not in flat
    assert "(pärm): detta gällde inte dina uppgifter där. Pärmen innehåller ingen sida om dig." in flat
    assert "Stripe Payments Europe Ltd (Betalningsleverantörer): Radering" in flat
    assert "Experian" not in letter  # not told (yet), so not listed
    assert "spärrlista" in letter
    assert "samtycket avstängt i 1 post. Avstängt: Platsuppgifter i mobilappar." in flat
    assert "dina uppgifter lagras nu bara" in flat
    assert "Integritetsskyddsmyndigheten (IMY)" in letter and "domstol" in letter


async def test_english_outcome_restriction_lift_and_manual_action(
    servers: Any,
    case_pool: asyncpg.Pool,
    ring: KeyRing,
    registry: GroupRegistry,
    notifications: NotificationActivities,
) -> None:
    reference, subject = await new_request(case_pool, ring, registry, Language.EN, "GB")
    await send(
        notifications,
        reference=reference,
        kind=NotificationKind.RECIPIENT_NOTICE,
        occasion="experian",
        recipient="experian",
        actions=[Action.RECTIFY],
        text="full_name: Ingrid Testsson-Berg",
    )
    [notice] = mails(servers, reference, NotificationKind.RECIPIENT_NOTICE)
    assert notice["To"].addresses[0].addr_spec == "dpo@experian.example"
    assert "Fields corrected: e-mail address, name." in body(notice)
    assert "full_name: Ingrid Testsson-Berg" in body(notice)

    await send(
        notifications,
        reference=reference,
        kind=NotificationKind.OUTCOME,
        text="We have stopped showing your name on attendee lists.",
    )
    [outcome] = mails(servers, reference, NotificationKind.OUTCOME)
    letter = " ".join(body(outcome).split())  # wrapped at 72 columns
    assert (
        f"We have kept 4 records (billing) because {BASIS} requires us to keep them until 1 May 2033."
        in letter
    )
    assert "Corrected: e-mail address, name." in letter
    assert "Switched off: Location in our mobile apps." in letter
    assert "Processing before you withdrew it remains lawful." in letter
    assert "Experian Ltd (Credit-reference agencies): Rectification" in letter
    assert "Stripe" not in letter
    assert "We have stopped showing your name on attendee lists." in letter
    assert "Information Commissioner's Office (ICO)" in letter and "court" in letter
    assert "suppression list" not in letter  # not on it: the list was not touched here

    await send(
        notifications,
        reference=reference,
        kind=NotificationKind.RESTRICTION_LIFT,
        text="The accuracy of your address has been checked and confirmed.",
    )
    [lift] = mails(servers, reference, NotificationKind.RESTRICTION_LIFT)
    assert lift["To"].addresses[0].addr_spec == subject.email
    assert "The accuracy of your address has been checked and confirmed." in body(lift)
    assert "Skärgården Affärssystem AB, CRM: customers and contact notes" in " ".join(body(lift).split())

    owner = registry.company("gb01").system("signups").owner
    for occasion in ("rectify:gb01/signups", "rectify:gb01/signups/day-3"):
        await send(
            notifications,
            reference=reference,
            kind=NotificationKind.MANUAL_ACTION,
            occasion=occasion,
            system="gb01/signups",
            action=Action.RECTIFY,
            text="full_name: Ingrid Testsson-Berg",
        )
    task, reminder = sorted(
        mails(servers, reference, NotificationKind.MANUAL_ACTION), key=lambda m: str(m["X-DSAR-Occasion"])
    )
    assert task["To"].addresses[0].addr_spec == owner and reminder["To"].addresses[0].addr_spec == owner
    assert not str(task["Subject"]).startswith("Reminder") and str(reminder["Subject"]).startswith("Reminder")
    for message in (task, reminder):
        assert subject.full_name in body(message) and subject.email in body(message)
        assert "full_name: Ingrid Testsson-Berg" in body(message)

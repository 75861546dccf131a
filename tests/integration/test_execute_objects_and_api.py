"""The S3 and HTTP action connectors against the local S3 and the newsletter stand-in.

Every test works on brand-new people (uuid e-mail addresses, phone numbers no demo person
has) whose files sit beside the demo people's in the demo buckets, and on subscribers
added to the shared stand-in: the demo people's data must stay as other tests expect it.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from botocore.exceptions import ClientError
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.case_store import CaseStoreActivities
from activities.execute_http import HttpExecutor
from activities.execute_s3 import RESTRICTED_TAG, SHARED_BASIS, S3Executor
from casestore.storage import s3_client
from devstack.demo_outside import PHOTO_INDEX, PHOTOS_BUCKET, RECORDINGS, RECORDINGS_BUCKET
from dsar.codec import KeyRing
from dsar.config import Settings
from dsar.domain import Channel, Language, RequestSubmission, Right, SubjectIdentity, format_reference
from dsar.group import GroupRegistry
from dsar.messages.actions import Action, ActionResult, ActionStatus, ExecuteSystemInput, KeptData
from dsar.messages.intake import RightsRequestInput

INDEX_KEY = "event-photos/index.json"
# PTS fiction numbers (070-174 06 05..99); the demo people's recordings use 0605 and 0607.
_phones = iter(f"+46701740{n}" for n in range(690, 700))


def fresh_email() -> str:
    return f"dsar-test-{uuid.uuid4().hex[:12]}@example.com"


async def register(
    case_pool: asyncpg.Pool, ring: KeyRing, registry: GroupRegistry, email: str, phone: str | None = None
) -> str:
    number = await case_pool.fetchval("SELECT nextval('request_number_seq')")
    reference = format_reference(2026, int(number))
    submission = RequestSubmission(
        rights=[Right.ERASURE, Right.RESTRICTION],
        subject=SubjectIdentity(full_name="Testa Personsson", email=email, phone=phone),
        language=Language.EN,
        jurisdiction="SE",
        channel=Channel.EMAIL,
        received_on=date(2026, 11, 20),
    )
    req = RightsRequestInput(reference=reference, submission=submission, submitted_by="tester")
    await ActivityEnvironment().run(CaseStoreActivities(case_pool, ring, registry).register_request, req)
    return reference


def act(reference: str, company: str, system: str, action: Action, **extra: Any) -> ExecuteSystemInput:
    return ExecuteSystemInput(reference=reference, company=company, system=system, action=action, **extra)


def exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError:
        return False
    return True


def read_index(s3: Any) -> tuple[dict[str, list[str]], str]:
    reply = s3.get_object(Bucket=PHOTOS_BUCKET, Key=INDEX_KEY)
    return json.loads(reply["Body"].read()), reply["ETag"]


def add_to_index(s3: Any, entries: dict[str, list[str]]) -> None:
    index, etag = read_index(s3)
    s3.put_object(
        Bucket=PHOTOS_BUCKET, Key=INDEX_KEY, Body=json.dumps(index | entries).encode(), IfMatch=etag
    )


def tags(s3: Any, bucket: str, key: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]}


async def saved_row(case_pool: asyncpg.Pool, reference: str, system: str, action: Action) -> asyncpg.Record:
    row = await case_pool.fetchrow(
        "SELECT status, changed, kept FROM action_results"
        " WHERE reference = $1 AND system = $2 AND action = $3",
        reference,
        system,
        action.value,
    )
    assert row is not None
    return row


@pytest.fixture
def s3(settings: Settings) -> Any:
    return s3_client(settings)


@pytest.fixture
def objects(
    case_pool: asyncpg.Pool, ring: KeyRing, registry: GroupRegistry, servers: Any, s3: Any
) -> S3Executor:
    return S3Executor(case_pool, ring, registry, s3, servers.connections)


# --- S3 -------------------------------------------------------------------------------


async def test_erasure_deletes_own_pictures_keeps_shared_ones_and_empties_the_folder(
    case_pool: asyncpg.Pool, ring: KeyRing, registry: GroupRegistry, s3: Any, objects: S3Executor
) -> None:
    email, other, phone = fresh_email(), fresh_email(), next(_phones)
    folder = f"test/{uuid.uuid4().hex[:8]}"
    own = [f"{folder}/solo-1.jpg", f"{folder}/solo-2.jpg"]
    shared = f"{folder}/group.jpg"
    for key in [*own, shared]:
        s3.put_object(Bucket=PHOTOS_BUCKET, Key=f"event-photos/{key}", Body=b"\xff\xd8 test")
    add_to_index(s3, {email: [*own, shared], other: [shared]})
    calls = [f"call-recordings/{phone}/2026-0{n}-01-ticket.wav" for n in (1, 2)]
    assert not s3.list_objects_v2(Bucket=RECORDINGS_BUCKET, Prefix=f"call-recordings/{phone}/").get(
        "Contents"
    )
    for key in calls:
        s3.put_object(Bucket=RECORDINGS_BUCKET, Key=key, Body=b"RIFF test")
    reference = await register(case_pool, ring, registry, email, phone)

    photos = await ActivityEnvironment().run(
        objects.execute_s3_objects, act(reference, "gb01", "photos", Action.ERASE)
    )
    assert photos.status is ActionStatus.DONE
    assert photos.changed == 2
    assert photos.kept == [KeptData(category="events", items=1, legal_basis=SHARED_BASIS)]
    assert not any(exists(s3, PHOTOS_BUCKET, f"event-photos/{k}") for k in own)
    assert exists(s3, PHOTOS_BUCKET, f"event-photos/{shared}")
    index, _ = read_index(s3)
    assert email not in index
    assert index[other] == [shared]
    for person, keys in PHOTO_INDEX.items():  # the demo people's entries are untouched
        assert index[person] == keys
    assert all(exists(s3, PHOTOS_BUCKET, f"event-photos/{k}") for keys in PHOTO_INDEX.values() for k in keys)

    # A retry (say the worker died after saving) finds nothing left: the first result stands.
    again = await ActivityEnvironment().run(
        objects.execute_s3_objects, act(reference, "gb01", "photos", Action.ERASE)
    )
    assert again == photos
    row = await saved_row(case_pool, reference, "photos", Action.ERASE)
    assert (row["status"], row["changed"]) == ("done", 2)
    audited = await case_pool.fetchval(
        "SELECT count(*) FROM audit_log WHERE reference = $1 AND action = 'action.erase.done'"
        " AND details->>'system' = 'gb01/photos'",
        reference,
    )
    assert audited == 1

    calls_result = await ActivityEnvironment().run(
        objects.execute_s3_objects, act(reference, "se01", "recordings", Action.ERASE)
    )
    assert (calls_result.status, calls_result.changed, calls_result.kept) == (ActionStatus.DONE, 2, [])
    assert not s3.list_objects_v2(Bucket=RECORDINGS_BUCKET, Prefix=f"call-recordings/{phone}/").get(
        "Contents"
    )
    for demo_phone, files in RECORDINGS.items():
        for name in files:
            assert exists(s3, RECORDINGS_BUCKET, f"call-recordings/{demo_phone}/{name}")


async def test_legal_hold_keeps_every_file(
    case_pool: asyncpg.Pool, ring: KeyRing, registry: GroupRegistry, s3: Any, objects: S3Executor
) -> None:
    email, phone = fresh_email(), next(_phones)
    key = f"call-recordings/{phone}/2026-03-01-ticket.wav"
    s3.put_object(Bucket=RECORDINGS_BUCKET, Key=key, Body=b"RIFF test")
    reference = await register(case_pool, ring, registry, email, phone)

    result = await ActivityEnvironment().run(
        objects.execute_s3_objects,
        act(reference, "se01", "recordings", Action.ERASE, legal_hold="claim 2026-17"),
    )
    assert result.changed == 0
    assert result.kept == [KeptData(category="support", items=1, legal_basis="legal hold: claim 2026-17")]
    assert exists(s3, RECORDINGS_BUCKET, key)


async def test_restriction_tags_the_files_and_lifting_removes_only_that_tag(
    case_pool: asyncpg.Pool, ring: KeyRing, registry: GroupRegistry, s3: Any, objects: S3Executor
) -> None:
    email, phone = fresh_email(), next(_phones)
    calls = [f"call-recordings/{phone}/2026-0{n}-01-ticket.wav" for n in (4, 5)]
    for key in calls:
        s3.put_object(Bucket=RECORDINGS_BUCKET, Key=key, Body=b"RIFF test", Tagging="team=support")
    picture = f"test/{uuid.uuid4().hex[:8]}/solo.jpg"
    s3.put_object(Bucket=PHOTOS_BUCKET, Key=f"event-photos/{picture}", Body=b"\xff\xd8 test")
    add_to_index(s3, {email: [picture]})
    reference = await register(case_pool, ring, registry, email, phone)

    restricted = await ActivityEnvironment().run(
        objects.execute_s3_objects, act(reference, "se01", "recordings", Action.RESTRICT)
    )
    assert (restricted.status, restricted.changed) == (ActionStatus.DONE, 2)
    for key in calls:
        assert tags(s3, RECORDINGS_BUCKET, key) == {"team": "support", RESTRICTED_TAG: "true"}
    photo = await ActivityEnvironment().run(
        objects.execute_s3_objects, act(reference, "gb01", "photos", Action.RESTRICT)
    )
    assert photo.changed == 1
    assert tags(s3, PHOTOS_BUCKET, f"event-photos/{picture}") == {RESTRICTED_TAG: "true"}
    demo_photo = f"event-photos/{PHOTO_INDEX['astrid.lindqvist@example.se'][0]}"
    assert RESTRICTED_TAG not in tags(s3, PHOTOS_BUCKET, demo_photo)

    lifted = await ActivityEnvironment().run(
        objects.execute_s3_objects, act(reference, "se01", "recordings", Action.LIFT_RESTRICTION)
    )
    assert (lifted.status, lifted.changed) == (ActionStatus.DONE, 2)
    for key in calls:
        assert tags(s3, RECORDINGS_BUCKET, key) == {"team": "support"}
    await ActivityEnvironment().run(
        objects.execute_s3_objects, act(reference, "gb01", "photos", Action.LIFT_RESTRICTION)
    )
    assert tags(s3, PHOTOS_BUCKET, f"event-photos/{picture}") == {}


async def test_files_have_no_consent_to_withdraw(
    case_pool: asyncpg.Pool, ring: KeyRing, registry: GroupRegistry, objects: S3Executor
) -> None:
    reference = await register(case_pool, ring, registry, fresh_email())
    result = await ActivityEnvironment().run(
        objects.execute_s3_objects, act(reference, "gb01", "photos", Action.WITHDRAW_CONSENT)
    )
    assert result.status is ActionStatus.NOT_APPLICABLE
    assert result.note
    assert (await saved_row(case_pool, reference, "photos", Action.WITHDRAW_CONSENT))[
        "status"
    ] == "not_applicable"


# --- HTTP ------------------------------------------------------------------------------


def api_executor(
    case_pool: asyncpg.Pool, ring: KeyRing, registry: GroupRegistry, client: httpx.AsyncClient, servers: Any
) -> HttpExecutor:
    return HttpExecutor(case_pool, ring, registry, client, servers.connections)


async def test_newsletter_actions_change_the_subscriber_at_the_vendor(
    case_pool: asyncpg.Pool, ring: KeyRing, registry: GroupRegistry, servers: Any
) -> None:
    api = servers.newsletter
    email = fresh_email()
    ident = api.add_subscriber(email)
    bystander = api.add_subscriber(fresh_email())
    reference = await register(case_pool, ring, registry, email)
    async with httpx.AsyncClient() as client:
        executor = api_executor(case_pool, ring, registry, client, servers)

        async def run(action: Action) -> ActionResult:
            inp = act(reference, "dk01", "newsletter", action)
            result: ActionResult = await ActivityEnvironment().run(executor.execute_http_api, inp)
            return result

        restricted = await run(Action.RESTRICT)
        assert (restricted.status, restricted.changed) == (ActionStatus.DONE, 1)
        assert api.subscriber(ident)["restricted"] is True
        await run(Action.LIFT_RESTRICTION)
        assert api.subscriber(ident)["restricted"] is False
        withdrawn = await run(Action.WITHDRAW_CONSENT)
        assert withdrawn.changed == 1
        assert api.subscriber(ident)["consent"] == "withdrawn"
        assert api.subscriber(ident)["unsubscribed_at"]
        suppressed = await run(Action.SUPPRESS_MARKETING)
        assert suppressed.changed == 1
        assert api.subscriber(ident)["suppressed"] is True

        erased = await run(Action.ERASE)
        assert (erased.status, erased.changed) == (ActionStatus.DONE, 1)
        assert api.subscriber(ident) is None
        assert api.subscriber(bystander) is not None
        assert api.subscriber("sub_7f3a21") is not None  # Astrid, whom other tests collect
        again = await run(Action.ERASE)  # a retry: nothing left to find, the first result stands
        assert again == erased

        no_spec = await run(Action.RECTIFY)  # the registry has no rectify endpoint for it
        assert no_spec.status is ActionStatus.NOT_APPLICABLE
        assert no_spec.note


async def test_a_record_already_gone_counts_as_done_not_changed(
    case_pool: asyncpg.Pool, ring: KeyRing, registry: GroupRegistry, servers: Any
) -> None:
    api = servers.newsletter
    email = fresh_email()
    ident = api.add_subscriber(email)
    reference = await register(case_pool, ring, registry, email)

    async def vanish_first(request: httpx.Request) -> None:
        if request.method == "DELETE":  # an earlier attempt's delete landed after our search
            api.answer(f"/v1/subscribers/{ident}", f"Bearer {api.token}", method="DELETE")

    async with httpx.AsyncClient(event_hooks={"request": [vanish_first]}) as client:
        executor = api_executor(case_pool, ring, registry, client, servers)
        result = await ActivityEnvironment().run(
            executor.execute_http_api, act(reference, "dk01", "newsletter", Action.ERASE)
        )
    assert (result.status, result.changed) == (ActionStatus.DONE, 0)
    assert api.subscriber(ident) is None


async def test_throttled_action_is_retried_after_the_vendors_delay(
    case_pool: asyncpg.Pool, ring: KeyRing, registry: GroupRegistry, servers: Any
) -> None:
    api = servers.newsletter
    email = fresh_email()
    ident = api.add_subscriber(email)
    reference = await register(case_pool, ring, registry, email)

    async def throttle_the_action(request: httpx.Request) -> None:
        if request.method == "POST":
            api.throttle_next = 1

    try:
        async with httpx.AsyncClient(event_hooks={"request": [throttle_the_action]}) as client:
            executor = api_executor(case_pool, ring, registry, client, servers)
            with pytest.raises(ApplicationError) as caught:
                await ActivityEnvironment().run(
                    executor.execute_http_api, act(reference, "dk01", "newsletter", Action.SUPPRESS_MARKETING)
                )
    finally:
        api.throttle_next = 0
    assert not caught.value.non_retryable
    assert caught.value.next_retry_delay == timedelta(seconds=1)  # the stand-in's Retry-After
    assert email not in str(caught.value)
    assert api.subscriber(ident).get("suppressed") is None

    async with httpx.AsyncClient() as client:  # the retry, once the vendor lets us through
        executor = api_executor(case_pool, ring, registry, client, servers)
        result = await ActivityEnvironment().run(
            executor.execute_http_api, act(reference, "dk01", "newsletter", Action.SUPPRESS_MARKETING)
        )
    assert (result.status, result.changed) == (ActionStatus.DONE, 1)
    assert api.subscriber(ident)["suppressed"] is True


async def test_a_refused_token_fails_permanently(
    case_pool: asyncpg.Pool, ring: KeyRing, registry: GroupRegistry, servers: Any
) -> None:
    email = fresh_email()
    ident = servers.newsletter.add_subscriber(email)
    reference = await register(case_pool, ring, registry, email)
    connections = servers.connections | {"DK01_NEWSLETTER_TOKEN": "revoked"}
    async with httpx.AsyncClient() as client:
        executor = HttpExecutor(case_pool, ring, registry, client, connections)
        with pytest.raises(ApplicationError) as caught:
            await ActivityEnvironment().run(
                executor.execute_http_api, act(reference, "dk01", "newsletter", Action.ERASE)
            )
    assert caught.value.non_retryable
    assert "401" in str(caught.value)
    assert servers.newsletter.subscriber(ident) is not None

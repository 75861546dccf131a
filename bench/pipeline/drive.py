"""Requests driven as the privacy team drives them, through the CLI's own client calls:
`submit` (validate, duplicate check, reference, start), `verify`, manual systems marked not
applicable (`mark-na`), `approve`. Every decision goes out signed by the signing client
`cli._base.connect_client` builds from the local team's keys (`<state>/keys`).

Where a request stands is read for the whole batch at once (`Stages`): the status the
workflow mirrors into the case store at every stage, and the link e-mails in the mail
catcher for the delivered ones. Not from the Temporal server being measured: a `describe`
per request a second was a thousand calls a second, and one visibility listing of the
batch took that server 1.8 s with a thousand in flight (run 23), repeated every few
seconds. Likewise a manual system waiting for the team is seen in the case store's
collection results (`dsar status` shows the same), not asked of each workflow with Queries:
run 24 sent 9.9 a request that way."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import asyncpg
from temporalio.client import (
    Client,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)

from bench.pipeline.mail_folder import NewMails
from bench.pipeline.people import Person
from casestore.db import connection
from cli._base import require_role, send_update
from cli.submit import allocate_reference, find_open_duplicate, start_request, validate_submission
from dsar.config import Settings
from dsar.group import GroupRegistry, SystemKind
from dsar.messages.collection import SystemDecision, SystemStatus
from dsar.messages.identity import IdentityDecision, IdentityMethod
from dsar.messages.review import ReviewDecision
from dsar.roles import Role
from dsar.signing import SIGN_AGAIN
from workflows.rights_request import RightsRequestWorkflow

POLL = 1.0
# No read of the stages for this long: the watch has stopped, not the request.
READ_PATIENCE_S = 300.0
# How long one request may take to reach the next stage the team acts on before the driver
# gives up on it. A thousand submitted at once queue for the companies' identity searches:
# the slowest took 984 s in run 9, and over 1,800 s on a machine half as fast (a run of
# 1,000 on 3 December stopped there), so this is an hour.
STAGE_PATIENCE_S = 3600.0
# Submissions in flight at once: each `dsar submit` opens its own case-store connection (as
# a team member's command does), and hundreds at once exhaust PostgreSQL's connections.
SUBMITTING = asyncio.Semaphore(16)
ENDED = {"closed", "rejected"}
# The stages the driver acts on (and the ends it must notice); delivery it reads from the
# mail catcher.
ACTED_ON = ("identity", "collecting", "review", *sorted(ENDED))


@dataclass
class Driven:
    """One access request's times (epoch seconds) on its way through the pipeline."""

    reference: str
    submitted: float
    identity: float = 0.0  # the identity search done: waiting for the team
    verified: float = 0.0
    review: float = 0.0  # collection done
    approved: float = 0.0
    delivered: float = 0.0


async def submit(client: Client, settings: Settings, person: Person, received: date) -> str:
    """`dsar submit access --name ... --email ... --received ...`, as `cli.submit.submit` does it."""
    submission = validate_submission(
        rights=["access"],
        name=person.full_name,
        email=person.email,
        phone=None,
        customer_number=None,
        language="en",
        jurisdiction="SE",
        channel="email",
        received=received.isoformat(),
    )
    require_role(settings, Role.REQUESTER)
    async with SUBMITTING:
        duplicate = await find_open_duplicate(settings, submission)
        if duplicate is not None:
            raise RuntimeError(f"{duplicate}: the generator gave the same person twice")
        reference = await allocate_reference(settings)
        await start_request(client, reference, submission, settings.actor)
    return reference


class Stages:
    """Where each request of a batch stands, for all of them at once: the status each one's
    workflow records in the case store (`record_status`, the mirror `dsar report` reads),
    for those registered since `since` at the stages in `ACTED_ON`, and the link e-mails in
    the mail catcher for the delivered ones. A request in neither is on its way between two
    of them (`status` ""). The mirror is written by an activity the workflow schedules after
    it has entered the stage, so it never shows a stage before the workflow accepts the
    decisions of that stage. Read with the team's own database login, one indexed query a
    second; the Temporal server is not asked, so the driver adds nothing to what is measured
    (a visibility listing of the batch had cost it 1.8 s of every 5.4, run 23)."""

    def __init__(self, database_url: str, since: datetime, mail_folder: Path) -> None:
        self._database_url = database_url
        self._since = since
        self._mails = LinkMails(mail_folder)
        self._status: dict[str, str] = {}
        self._awaiting: dict[str, set[tuple[str, str]]] = {}
        self._changed = asyncio.Condition()
        self.reads = 0
        # Decisions the workflow took up after their signature's window (`SIGNATURE_WINDOW`)
        # had passed, refused and sent again with a new signature, as `dsar` tells its user to.
        self.signed_again = 0

    async def watch(self) -> None:
        """Runs until cancelled; a read refused by a busy database is tried again."""
        async with connection(self._database_url) as conn:
            while True:
                try:
                    rows = await conn.fetch(
                        "SELECT reference, status FROM requests"
                        " WHERE created_at >= $1 AND status = ANY($2::text[])",
                        self._since,
                        list(ACTED_ON),
                    )
                    asked = await conn.fetch(
                        "SELECT c.reference, c.company, c.system FROM collection_results c"
                        " JOIN requests r USING (reference)"
                        " WHERE r.created_at >= $1 AND r.status = 'collecting' AND c.status = $2",
                        self._since,
                        SystemStatus.AWAITING_UPLOAD.value,
                    )
                except (OSError, asyncpg.PostgresError) as failed:
                    print(f"stage read failed ({type(failed).__name__}); trying again", flush=True)
                    await asyncio.sleep(POLL)
                    continue
                found = {str(row["reference"]): str(row["status"]) for row in rows}
                awaiting: dict[str, set[tuple[str, str]]] = {}
                for row in asked:
                    awaiting.setdefault(str(row["reference"]), set()).add((row["company"], row["system"]))
                for reference in self._mails.scan():
                    found[reference] = "delivered"
                self.reads += 1
                async with self._changed:
                    self._status = found
                    self._awaiting = awaiting
                    self._changed.notify_all()
                await asyncio.sleep(POLL)

    def status(self, reference: str) -> str:
        return self._status.get(reference, "")

    def awaiting(self, reference: str) -> set[tuple[str, str]]:
        """The request's manual systems whose owner has been asked and has not answered: the
        `collection_results` row the company's workflow records once it waits for the team."""
        return self._awaiting.get(reference, set())

    async def wait(self, reference: str, wanted: str, timeout: float = STAGE_PATIENCE_S) -> None:
        """Until the request's status is `wanted`; an error if it ends or the time runs out."""
        deadline = time.monotonic() + timeout
        while (status := self.status(reference)) != wanted:
            if status in ENDED or time.monotonic() > deadline:
                raise RuntimeError(f"{reference} is {status!r}, wanted {wanted!r}")
            await self.changed()

    async def changed(self, timeout: float = READ_PATIENCE_S) -> None:
        """Until the next read of the stages; an error when none comes (the watch has stopped)."""
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait(), timeout)
            except TimeoutError:
                raise RuntimeError(f"no read of the stages for {timeout:.0f} s") from None


def manual_systems(registry: GroupRegistry) -> set[tuple[str, str]]:
    """(company, system) of every system only a person can search: each waits for the team."""
    return {(c.code, s.code) for c in registry.companies for s in c.systems if s.kind is SystemKind.MANUAL}


async def mark_manual_systems(
    client: Client, settings: Settings, stages: Stages, reference: str, unmarked: set[tuple[str, str]]
) -> None:
    """`dsar mark-na` for each manual system in `unmarked` that the case store shows waiting
    for an upload (`Stages.awaiting`), once: marked ones leave `unmarked`. The row is written
    after the company's workflow began to wait, so the decision finds it waiting; should its
    result already have settled the system, the workflow answers "already settled"."""
    for key in stages.awaiting(reference) & unmarked:
        unmarked.discard(key)
        company, system = key
        decision = SystemDecision(
            actor=settings.actor,
            company=company,
            system=system,
            reason="benchmark: no paper records for this person",
        )
        try:
            await send_update(client, reference, RightsRequestWorkflow.mark_not_applicable, decision)
        except WorkflowUpdateRPCTimeoutOrCancelledError:
            if (task := asyncio.current_task()) is not None and task.cancelling():
                raise asyncio.CancelledError from None
            unmarked.add(key)  # not answered in time: looked at again next round
        except WorkflowUpdateFailedError as refused:
            if signed_too_long_ago(refused):
                stages.signed_again += 1
                unmarked.add(key)  # refused unapplied: marked again next round
            elif "already settled" not in str(refused.cause):
                raise


def signed_too_long_ago(refused: WorkflowUpdateFailedError) -> bool:
    """The validator's refusal of a decision that waited in Temporal's queue for longer than
    a signature is valid (dsar.signing): it was not applied, and signing it again is the cure."""
    return SIGN_AGAIN in str(refused.cause)


# A decision signed again this many times is a workflow that never takes it up in time.
SIGNED_AGAIN_AT_MOST = 10


async def patiently(
    stages: Stages, client: Client, reference: str, waiting: str, update: Any, decision: Any
) -> None:
    """A decision sent as `dsar` sends it; when Temporal's deadline passes before the busy
    worker took it up (the CLI then says "check with dsar status"), the request's stage
    tells whether it was applied, and it is sent again only if not. The stage is read from
    visibility, which can still show it for a moment after the first was applied: the
    workflow then refuses the second as decided already, which is the answer."""
    sent_before, signed_again = False, 0
    while True:
        try:
            await send_update(client, reference, update, decision)
            return
        except WorkflowUpdateFailedError as refused:
            if signed_too_long_ago(refused) and signed_again < SIGNED_AGAIN_AT_MOST:
                signed_again += 1
                stages.signed_again += 1
                continue  # the signing client signs each send anew
            if sent_before:
                return  # refused as decided already: the one that timed out was applied
            raise
        except WorkflowUpdateRPCTimeoutOrCancelledError:
            sent_before = True
            if (task := asyncio.current_task()) is not None and task.cancelling():
                raise asyncio.CancelledError from None  # the SDK's name for a cancelled call
            await asyncio.sleep(5 * POLL)
            await stages.changed()
            if stages.status(reference) != waiting:
                return


async def drive(
    client: Client,
    settings: Settings,
    stages: Stages,
    manual: set[tuple[str, str]],
    person: Person,
    on_delivered: Callable[[Driven], None] = lambda _: None,
) -> Driven:
    """One access request from submission to delivery, each step as the CLI sends it;
    `manual` are the group's manual systems (`manual_systems`), marked not applicable."""
    reference = await submit(client, settings, person, date.today())
    driven = Driven(reference, time.time())
    await stages.wait(reference, "identity")
    driven.identity = time.time()
    decision = IdentityDecision(
        actor=settings.actor, method=IdentityMethod.CUSTOMER_RECORD.value, note="benchmark"
    )
    await patiently(stages, client, reference, "identity", RightsRequestWorkflow.verify_identity, decision)
    driven.verified = time.time()
    deadline = time.monotonic() + STAGE_PATIENCE_S
    unmarked = set(manual)
    while (status := stages.status(reference)) != "review":
        if status in ENDED or time.monotonic() > deadline:
            raise RuntimeError(f"{reference} is {status!r}, never reached review")
        if status == "collecting" and unmarked:
            await mark_manual_systems(client, settings, stages, reference, unmarked)
        await stages.changed()
    driven.review = time.time()
    approval = ReviewDecision(actor=settings.actor, note="benchmark")
    await patiently(stages, client, reference, "review", RightsRequestWorkflow.approve, approval)
    driven.approved = time.time()
    await stages.wait(reference, "delivered")
    driven.delivered = time.time()
    on_delivered(driven)
    return driven


async def open_requests(
    client: Client, settings: Settings, people: list[Person], received: list[date], parallel: int = 16
) -> list[str]:
    """Requests submitted and left waiting for identity (received on the given dates)."""
    gate = asyncio.Semaphore(parallel)

    async def one(person: Person, day: date) -> str:
        async with gate:
            return await submit(client, settings, person, day)

    return await asyncio.gather(*(one(p, d) for p, d in zip(people, received, strict=True)))


class LinkMails:
    """The link e-mails (`X-DSAR-Kind: delivery`) in the mail catcher's folder, each file
    read once however often it is scanned: reference -> when the first was saved."""

    def __init__(self, folder: Path) -> None:
        self._mails = NewMails(folder)
        self.times: dict[str, float] = {}

    def scan(self) -> dict[str, float]:
        for headers, saved in self._mails.scan():
            if headers["X-DSAR-Kind"] == "delivery" and headers["X-DSAR-Reference"]:
                reference = str(headers["X-DSAR-Reference"])
                self.times[reference] = min(self.times.get(reference, float("inf")), saved)
        return self.times


def link_mail_times(folder: Path) -> dict[str, float]:
    """When the mail catcher saved each request's link e-mail."""
    return LinkMails(folder).scan()

"""One full request, driven as a privacy team would drive it, while a cell breaks things.

Access + portability (transmitted to the demo receiving controller) + rectification +
erasure, for a person planted afresh in gb01, se01 and nl01 (`tests.rights_people`):
identity by document check, gb01's paper sign-up sheets uploaded by hand (the manual
system), a legal hold on nl01's CRM, approval, the manual system's corrections and erasure
confirmed with `dsar done`. Every human step is the `dsar` command; the harness only waits
(querying the workflow itself, which is cheap) and, while it waits, restarts an armed
worker that died. A step that fails while something is broken is tried again, unless the
request shows it already took effect.

The `identity` request is the short one the identity-code cells break: access only, for a
person whose e-mail address the group holds, so the workflow mails a one-time code; the
code is read from that e-mail and typed into `dsar verify --code` (the privacy team's way;
the page `/v/<token>` runs the same check), then the manual system's sheet is uploaded,
the package approved and delivered.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from casestore.db import create_pool
from chaos.mailbox import MailBox
from chaos.rig import Rig
from dsar.group import load_group
from dsar.messages.state import RequestState
from tests.rights_people import PlantedPerson, plant_person
from workflows.rights_request import RightsRequestWorkflow

MANUAL_SYSTEM = "gb01/signups"
HELD_SYSTEM = "nl01/crm"
# Stages a cell can hook into: the first time the request is seen there (or the step is taken).
STAGES = ("collecting", "approved", "packaging", "delivery", "executing", "delivered")
REQUESTS = ("full", "identity")  # the reference requests a cell can break
# The identity-code e-mail shows the code on a line of its own, as "123 456".
_CODE = re.compile(r"^\s+(\d{3} \d{3})\s*$", re.M)


class RequestStuck(RuntimeError):
    """The request did not reach the next step in time."""


@dataclass
class Drive:
    """What happened while driving one request."""

    reference: str = ""
    person: PlantedPerson | None = None
    reached: dict[str, float] = field(default_factory=dict)  # stage -> time.monotonic()
    retried_steps: list[str] = field(default_factory=list)


async def _plant(rig: Rig) -> PlantedPerson:
    names = ("GB01_DB", "SE01_DB", "NL01_DB")
    pools = {n: await create_pool(rig.stack.env[f"DSAR_CONN_{n}"], max_size=2) for n in names}
    try:
        return await plant_person(pools, load_group())
    finally:
        for pool in pools.values():
            await pool.close()


class RequestDriver:
    """Drives one request to `delivered`; `on_stage` lets a cell act at a stage."""

    def __init__(
        self,
        rig: Rig,
        mail: MailBox,
        on_stage: Callable[[str, Drive], None] | None = None,
        patience: float = 300,
        request: str = "full",
    ) -> None:
        if request not in REQUESTS:
            raise ValueError(f"request: one of {', '.join(REQUESTS)}")
        self.request = request
        self.rig = rig
        self.mail = mail
        self.on_stage = on_stage or (lambda stage, drive: None)
        self.patience = patience
        self.drive = Drive()

    # --- the request, top to bottom -------------------------------------------------------

    def run(self) -> Drive:
        return self._identity() if self.request == "identity" else self._full()

    def _full(self) -> Drive:
        rig, drive = self.rig, self.drive
        drive.person = person = asyncio.run(_plant(rig))
        submitted = rig.dsar(
            "submit", "access", "portability", "rectification", "erasure",
            "--name", person.full_name, "--email", person.email, "--phone", person.phone,
            "--language", "en", "--received", date.today().isoformat(),
            "--correct", "city=Uppsala", "--transmit-to", rig.receiver_url, "--json",
        )  # fmt: skip
        if submitted.returncode != 0:
            raise RuntimeError(f"submit failed: {submitted.stderr.strip()[-300:]}")
        drive.reference = ref = str(json.loads(submitted.stdout)["reference"])

        self.wait_status({"identity"}, "identity")
        self.step(
            "verify", ref, "--method", "document_check", "--note", "passport seen",
            done=lambda s: s.identity_verified_by is not None,
        )  # fmt: skip
        self._upload_sheet(ref, person)
        self.wait_status({"review"}, "review")
        self.step(
            "hold", ref, "--system", HELD_SYSTEM, "--reason", "pending court claim 2026:17",
            done=lambda s: HELD_SYSTEM in s.legal_holds,
        )  # fmt: skip
        self.step("approve", ref, done=lambda s: s.approved_by is not None)
        self._reached("approved")
        for action in ("rectify", "erase"):
            self._confirm_manual_action(ref, action)
        self.wait_status({"delivered"}, "delivered")
        return drive

    def _identity(self) -> Drive:
        """Access only, identity by the one-time code mailed to an address the group holds."""
        rig, drive = self.rig, self.drive
        drive.person = person = asyncio.run(_plant(rig))
        submitted = rig.dsar(
            "submit", "access", "--name", person.full_name, "--email", person.email,
            "--phone", person.phone, "--language", "en", "--received", date.today().isoformat(), "--json",
        )  # fmt: skip
        if submitted.returncode != 0:
            raise RuntimeError(f"submit failed: {submitted.stderr.strip()[-300:]}")
        drive.reference = ref = str(json.loads(submitted.stdout)["reference"])

        self.wait_status({"identity"}, "identity")
        self.wait(lambda: self.mail.has(ref, kind="identity_code"), "the identity-code e-mail")
        found = _CODE.search(self.mail.text(ref, "identity_code") or "")
        if found is None:
            raise RuntimeError("the identity-code e-mail shows no code")
        self.step(
            "verify", ref, "--code", found.group(1).replace(" ", ""),
            done=lambda s: s.identity_verified_by is not None,
        )  # fmt: skip
        self._upload_sheet(ref, person)
        self.wait_status({"review"}, "review")
        self.step("approve", ref, done=lambda s: s.approved_by is not None)
        self._reached("approved")
        self.wait_status({"delivered"}, "delivered")
        return drive

    def _upload_sheet(self, ref: str, person: PlantedPerson) -> None:
        """The manual system's owner sends the paper sign-up sheet, once its task was mailed."""
        self.wait(lambda: self.mail.has(ref, kind="manual_task"), "the manual system's task")
        sheet = self.rig.state / f"signups-{ref}.csv"
        sheet.write_text(
            f"fair,date,name,email\nNordic ERP Days,2026-04-22,{person.full_name},{person.email}\n",
            encoding="utf-8",
        )
        self.step("upload", ref, "--system", MANUAL_SYSTEM, str(sheet), already="not waiting for an upload")

    def _confirm_manual_action(self, ref: str, action: str) -> None:
        """The manual system's owner did it: `dsar done` once the task was mailed."""

        def confirmed(state: RequestState) -> bool:
            wanted = ("gb01", "signups", action, "done")
            return any((r.company, r.system, r.action.value, r.status.value) == wanted for r in state.actions)

        self.wait(lambda: self.mail.has(ref, occasion=f"{action}:{MANUAL_SYSTEM}"), f"the {action} task")
        self.step(
            "done", ref, "--system", MANUAL_SYSTEM, "--action", action, "--note", "binder checked",
            done=confirmed,
        )  # fmt: skip

    # --- waiting, with the armed worker watched --------------------------------------------

    def state(self) -> RequestState | None:
        """The workflow's own answer, or None while it cannot answer (its worker is down)."""

        async def ask() -> RequestState:
            client = await self.rig.client()
            handle = client.get_workflow_handle(f"dsar-{self.drive.reference}")
            return await handle.query(RightsRequestWorkflow.state, rpc_timeout=timedelta(seconds=5))

        try:
            state = self.rig.run(ask(), timeout=15)
        except Exception:
            return None
        self._reached(state.status.value)
        return state

    def _reached(self, stage: str) -> None:
        if stage in STAGES and stage not in self.drive.reached:
            self.drive.reached[stage] = time.monotonic()
            self.on_stage(stage, self.drive)

    def wait(self, probe: Callable[[], object], what: str) -> None:
        deadline = time.monotonic() + self.patience
        while True:
            self.rig.supervise()
            self.state()  # notes the stages on the way
            if probe():
                return
            if time.monotonic() > deadline:
                raise RequestStuck(f"{what}: not within {self.patience:g} s")
            time.sleep(0.5)

    def wait_status(self, wanted: set[str], what: str) -> None:
        def there() -> bool:
            state = self.state()
            return state is not None and state.status.value in wanted

        self.wait(there, what)

    def step(
        self,
        *args: str,
        done: Callable[[RequestState], bool] | None = None,
        already: str | None = None,
    ) -> None:
        """A `dsar` step; tried again while it fails, until the request shows its effect."""
        deadline = time.monotonic() + self.patience
        attempt = 0
        while True:
            self.rig.supervise()
            if attempt and done is not None:
                state = self.state()
                if state is not None and done(state):
                    return
            result = self.rig.dsar(*args, timeout=60)
            if result.returncode == 0:
                return
            if attempt and already is not None and already in result.stderr:
                return
            attempt += 1
            self.drive.retried_steps.append(args[0])
            if time.monotonic() > deadline:
                raise RequestStuck(f"dsar {args[0]} kept failing: {result.stderr.strip()[-200:]}")
            time.sleep(2)

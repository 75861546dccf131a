"""Running the matrix: the undisturbed reference first, then each cell, then the table.

A cell passes when its request ends exactly like the reference (same final state, the same
e-mails each exactly once, one package, one transmission, the same rows in every company,
an intact audit chain), the fault really happened, and the request moved again within
`RECOVERY_LIMIT` seconds of its worker restarting or its server returning.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from chaos.cells import Cell
from chaos.mailbox import MailBox
from chaos.observe import Call, Observation, Step, activity_events, compare, next_progress, observe
from chaos.request import Drive, RequestDriver, RequestStuck
from chaos.rig import Rig
from dsar.task_queues import CONTROL_TASK_QUEUE, PACKAGING_TASK_QUEUE

RECOVERY_LIMIT = 60.0
PREFERRED_COMPANY = "gb01"


@dataclass
class Outcome:
    cell: str
    passed: bool
    duplicates: int = 0
    recovery: float | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return "pass" if self.passed else "FAIL"


@dataclass
class Reference:
    observation: Observation
    scheduled: set[tuple[str, str]]
    seconds: float


def run_reference(rig: Rig, mail: MailBox, patience: float, request: str = "full") -> Reference:
    """The undisturbed run of one reference request (`chaos.request.REQUESTS`)."""
    started = time.monotonic()
    drive = RequestDriver(rig, mail, patience=patience, request=request).run()
    assert drive.person is not None
    observation = observe(rig, mail, drive.reference, drive.person)
    scheduled, _ = rig.run(_events(rig, drive.reference))
    return Reference(observation, scheduled, time.monotonic() - started)


async def _events(rig: Rig, reference: str) -> tuple[set[Step], list[tuple[datetime, Step, Call]]]:
    return await activity_events(await rig.client(), reference)


def worker_for(rig: Rig, activity: str, scheduled: set[tuple[str, str]]) -> str | None:
    """The worker that ran `activity` in the reference: control, the packaging worker (the rig
    runs one, so the armed process is the one that builds), or a company (gb01 first)."""
    queues = {queue for kind, queue in scheduled if kind == activity}
    if not queues:
        return None
    if CONTROL_TASK_QUEUE in queues:
        return "control"
    if PACKAGING_TASK_QUEUE in queues:
        return "packaging-1"
    companies = [c for c in rig.stack.registry.companies if c.task_queue in queues]
    companies.sort(key=lambda c: (c.code != PREFERRED_COMPANY, c.code))
    return f"company-{companies[0].code}" if companies else None


def run_cell(rig: Rig, mail: MailBox, cell: Cell, reference: Reference, patience: float) -> Outcome:
    started = time.monotonic()
    outcome = Outcome(cell.name, passed=False)
    if cell.kind == "kill":
        worker = worker_for(rig, cell.activity, reference.scheduled)
        if worker is None:
            outcome.notes.append("not scheduled by this request")
            return outcome
        armed = rig.arm(worker, cell.spec)
        driver = RequestDriver(rig, mail, patience=patience, request=cell.request)
        stuck = _drive(driver, outcome)
        rig.supervise()
        rig.disarm()
        since = armed.deaths[0].restarted_at if armed.deaths else None
        fired = armed.marker.read_text().split()[1:] if armed.marker.exists() else []
        call: Call | None = (fired[0], fired[1]) if len(fired) == 2 else None
        if since is None:
            outcome.notes.append(f"the fault never fired on {worker}")
        elif call is None or not call[0].startswith(f"dsar-{driver.drive.reference}"):
            outcome.notes.append(f"the fault fired in another request's {call[0] if call else 'activity'}")
            since = None  # this cell's request was not the one broken
        else:
            outcome.notes.append(f"{worker} killed {len(armed.deaths)}x in {call[0]}")
    else:
        outage = _Outage(rig, cell)
        driver = RequestDriver(
            rig, mail, on_stage=outage.on_stage, patience=patience + cell.seconds, request=cell.request
        )
        stuck = _drive(driver, outcome)
        outage.join()
        since = outage.restored_at
        outcome.notes += outage.notes
        call = None
    drive = driver.drive
    if drive.reference and since is not None:
        _, completed = rig.run(_events(rig, drive.reference))
        outcome.recovery = next_progress(completed, since, call)
    if drive.reference and drive.person is not None:
        got = observe(rig, mail, drive.reference, drive.person)
        outcome.duplicates, problems = compare(reference.observation, got)
        more = f"and {len(problems) - 3} more differences"
        shown = problems if len(problems) <= 4 else [*problems[:3], more]
        outcome.notes += shown
    else:
        problems = ["no request"]
    if drive.retried_steps:
        outcome.notes.append("dsar steps retried: " + ", ".join(sorted(set(drive.retried_steps))))
    slow = outcome.recovery is None or outcome.recovery > RECOVERY_LIMIT
    if since is not None and slow:
        outcome.notes.append(f"no progress within {RECOVERY_LIMIT:g} s of the restart")
    outcome.passed = not stuck and not problems and since is not None and not slow
    outcome.seconds = time.monotonic() - started
    if drive.reference:
        outcome.notes.insert(0, drive.reference)
    return outcome


def _drive(driver: RequestDriver, outcome: Outcome) -> bool:
    try:
        driver.run()
    except RequestStuck as exc:
        outcome.notes.append(f"stuck: {exc}")
        return True
    return False


class _Outage:
    """Cuts one server when the request reaches the cell's stage; brings it back after."""

    def __init__(self, rig: Rig, cell: Cell) -> None:
        self.rig = rig
        self.cell = cell
        self.restored_at: datetime | None = None
        self.notes: list[str] = []
        self._thread: threading.Thread | None = None

    def on_stage(self, stage: str, drive: Drive) -> None:
        if stage == self.cell.stage and self._thread is None:
            self._thread = threading.Thread(target=self._outage, name="chaos-outage", daemon=True)
            self._thread.start()

    def _outage(self) -> None:
        cut, restore = self._switches()
        cut()
        time.sleep(self.cell.seconds)
        restore()
        self.restored_at = datetime.now(UTC)

    def _switches(self) -> tuple[Callable[[], None], Callable[[], None]]:
        if self.cell.server == "case-store":
            return self.rig.stop_case_store, self.rig.start_case_store
        gate = self.rig.gate(self.cell.server)
        return gate.close, gate.open

    def join(self) -> None:
        if self._thread is None:
            self.notes.append(f"the request never reached {self.cell.stage}; nothing was cut")
            return
        self._thread.join()


def table(outcomes: list[Outcome]) -> str:
    """Fault × point → outcome, duplicates, time to recover, and what went wrong."""
    head = ("cell", "outcome", "duplicates", "recovery", "took", "notes")
    rows = [
        (
            o.cell,
            o.verdict,
            str(o.duplicates),
            "-" if o.recovery is None else f"{o.recovery:.1f} s",
            f"{o.seconds:.0f} s",
            "; ".join(o.notes),
        )
        for o in outcomes
    ]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(5)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head[:5], widths, strict=True)) + "  " + head[5]]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r[:5], widths, strict=True)) + "  " + r[5] for r in rows]
    return "\n".join(lines)

"""The local stack restarts a part that dies, as an orchestrator would, and says so.

Each watched part (a worker, the download page) is a process started by a function of the
stack. When it exits, the console gets one line naming it, how it ended and its log file;
it is started again after a back-off (1 s, 2 s, 4 s ... at most 30 s, back to 1 s once it
has run for a minute), and the console gets one line with its new pid. A part that keeps
failing at start-up thus costs a line every 30 s, not a busy loop.

An operator who wants a part left alone (to run it by hand, in a debugger) holds it: an
empty file `<state>/hold/<part>` (e.g. `.dsar/hold/company-se01`). A held part that exits
is not restarted; once the file is removed, it is started again.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FIRST_DELAY = 1.0
MAX_DELAY = 30.0
# A part that ran this long before exiting is back to the first delay.
STEADY_SECONDS = 60.0


def backoff(failures: int) -> float:
    """The wait before restart number `failures` (1, 2, 3 ...) of a part in a row."""
    return min(MAX_DELAY, FIRST_DELAY * 2.0 ** max(0, failures - 1))


def how_it_ended(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with {returncode}"


@dataclass
class Part:
    name: str
    log: Path
    start: Callable[[], subprocess.Popen[Any]]
    process: subprocess.Popen[Any] | None
    started_at: float
    failures: int = 0
    restart_at: float | None = None


class Supervisor:
    """Call `check()` now and then (the stack's main loop does, twice a second)."""

    def __init__(
        self,
        hold_folder: Path,
        say: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.hold_folder = hold_folder
        self.say = say
        self.clock = clock
        self.parts: dict[str, Part] = {}

    def watch(
        self, name: str, log: Path, start: Callable[[], subprocess.Popen[Any]], process: subprocess.Popen[Any]
    ) -> None:
        self.parts[name] = Part(name, log, start, process, self.clock())

    def held(self, name: str) -> bool:
        return (self.hold_folder / name).exists()

    def check(self) -> None:
        for part in self.parts.values():
            self._check(part)

    def _check(self, part: Part) -> None:
        now = self.clock()
        if part.process is not None:
            returncode = part.process.poll()
            if returncode is None:
                return
            ran = now - part.started_at
            part.failures = 1 if ran >= STEADY_SECONDS else part.failures + 1
            ended = f"{part.name} (pid {part.process.pid}) {how_it_ended(returncode)} after {ran:.0f} s"
            part.process = None
            if self.held(part.name):
                part.restart_at = None
                self.say(f"{ended}; held by {self.hold_folder / part.name}, not restarted (log: {part.log})")
                return
            part.restart_at = now + backoff(part.failures)
            self.say(f"{ended}; restarting in {backoff(part.failures):.0f} s (log: {part.log})")
            return
        if self.held(part.name):
            return
        if part.restart_at is None:  # released from a hold
            part.restart_at = now
        if now < part.restart_at:
            return
        try:
            part.process = part.start()
        except Exception as exc:  # keep supervising the others; try again later
            part.failures += 1
            part.restart_at = now + backoff(part.failures)
            self.say(
                f"{part.name} did not start ({type(exc).__name__}: {exc}); "
                f"trying again in {backoff(part.failures):.0f} s (log: {part.log})"
            )
            return
        part.started_at = now
        part.restart_at = None
        self.say(f"{part.name} restarted (pid {part.process.pid}; log: {part.log})")

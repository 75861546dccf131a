"""What the local stack started, written down, and a reaper that stops it all if the stack dies.

A stack stopped with Ctrl-C or SIGTERM stops its own processes. One that dies outright
(SIGKILL from a test's or a benchmark's time limit, a crash) cannot, and its processes run
in sessions of their own (so a Ctrl-C meant for the stack does not hit them halfway
through its shutdown): without help they would run on, orphaned. So the stack writes down
every process it starts (`ProcessBook`: one small file per part under `<state>/run/`,
rewritten when the part is restarted), and starts this module first, as its own process:

    python -m devstack.reaper <stack-pid> <state-dir>

It sleeps until its parent is gone (its parent pid changes when it is re-parented), then
stops whatever the book still lists and exits. Each entry keeps the process's start time,
so a pid reused since by an unrelated process is never signalled. Polling the parent works
the same on Linux and macOS; the stack also clears leftovers of a previous run at start.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

POLL_SECONDS = 0.2
# Time a part gets to stop cleanly (a worker finishing its activity) before SIGKILL.
GRACE_SECONDS = 10.0


@dataclass(frozen=True)
class Entry:
    """One process the stack started: the leader of its own process group."""

    name: str
    pid: int
    started: float  # psutil's create_time: tells the process apart from a later one with its pid
    stop_signal: int

    def process(self) -> psutil.Process | None:
        """The process, if it still runs and is the one recorded (not a reused pid)."""
        try:
            process = psutil.Process(self.pid)
            if abs(process.create_time() - self.started) > 0.05:
                return None
            if process.status() == psutil.STATUS_ZOMBIE:
                return None
            return process
        except psutil.Error:
            return None


class ProcessBook:
    """`<state>/run/<part>.json`: the processes of one stack, for the reaper and the next start."""

    def __init__(self, state: Path) -> None:
        self.folder = state / "run"

    def record(self, name: str, process: subprocess.Popen[Any], stop_signal: int = signal.SIGTERM) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            started = psutil.Process(process.pid).create_time()
        except psutil.Error:
            return  # already gone: nothing to stop later
        entry = {"pid": process.pid, "started": started, "stop_signal": int(stop_signal)}
        tmp = self.folder / f".{name}.tmp"
        tmp.write_text(json.dumps(entry), encoding="utf-8")
        tmp.rename(self.folder / f"{name}.json")  # atomic: the reaper never reads half an entry

    def forget(self, name: str) -> None:
        (self.folder / f"{name}.json").unlink(missing_ok=True)

    def entries(self) -> list[Entry]:
        found = []
        for path in sorted(self.folder.glob("*.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                found.append(
                    Entry(path.stem, int(data["pid"]), float(data["started"]), int(data["stop_signal"]))
                )
            except (OSError, ValueError, KeyError):
                continue
        return found

    def stop_all(self, grace: float = GRACE_SECONDS) -> list[str]:
        """Stop every recorded process still running (each asked first, then killed with its group).

        Returns the names of those that were running."""
        running: list[tuple[Entry, psutil.Process]] = []
        for entry in self.entries():
            process = entry.process()
            if process is not None:
                running.append((entry, process))
                _signal(process, entry.stop_signal)
        _, alive = psutil.wait_procs([p for _, p in running], timeout=grace)
        for process in alive:
            _signal(process, signal.SIGKILL)
        for entry, _ in running:
            # Whatever the leader left in its group (PostgreSQL's backends, a child of a worker).
            try:
                os.killpg(entry.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        psutil.wait_procs(alive, timeout=5)
        for entry in self.entries():
            self.forget(entry.name)
        return [entry.name for entry, _ in running]


def _signal(process: psutil.Process, sig: int) -> None:
    try:
        process.send_signal(sig)
    except psutil.Error:
        pass


def start_reaper(state: Path, log_file: Path) -> subprocess.Popen[bytes]:
    """The reaper for this process (the stack): in a session of its own, so that a Ctrl-C or a
    kill of the stack's process group leaves it to do its work."""
    from dsar.config import PROJECT_ROOT

    with open(log_file, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "devstack.reaper", str(os.getpid()), str(state)],
            cwd=PROJECT_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def main(argv: list[str]) -> int:
    parent, state = int(argv[0]), Path(argv[1])
    # The stack stops its own on Ctrl-C; the reaper is only for when it cannot.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    while os.getppid() == parent:
        time.sleep(POLL_SECONDS)
    stopped = ProcessBook(state).stop_all()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    print(
        f"{stamp} the stack (pid {parent}) is gone; stopped: {', '.join(stopped) or 'nothing left'}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

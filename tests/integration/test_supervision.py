"""The local stack looks after what it starts, as `make dev` runs it: `python -m cli dev`.

Each test starts the stack as its own process, on free ports in a fresh state folder, and
reads its console. A company worker and the download page killed with SIGKILL come back
by themselves (a new pid, answering), and the console names each exit and restart; SIGTERM
to the stack stops every process it started, restarted ones included. A stack killed
outright (SIGKILL, as a test's or benchmark's time limit does) leaves nothing running:
its reaper stops the rest.
"""

from __future__ import annotations

import email.policy
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import date
from email import message_from_bytes
from pathlib import Path
from typing import Any

import psutil
import pytest

from devstack.demo_group import DEMO_PEOPLE
from devstack.reaper import ProcessBook
from devstack.stack import Ports
from dsar.config import PROJECT_ROOT
from dsar.group import load_group
from tests.polling import eventually_sync

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

# Ports's fields and the variables `dsar dev` reads them from.
PORT_VARIABLES = {
    "temporal": "DSAR_DEV_TEMPORAL_PORT",
    "ui": "DSAR_DEV_UI_PORT",
    "postgres": "DSAR_DEV_PG_PORT",
    "s3": "DSAR_DEV_S3_PORT",
    "smtp": "DSAR_DEV_SMTP_PORT",
    "codec": "DSAR_DEV_CODEC_PORT",
    "download": "DSAR_DEV_DOWNLOAD_PORT",
    "metrics": "DSAR_DEV_METRICS_PORT",
    "newsletter": "DSAR_DEV_NEWSLETTER_PORT",
}


@dataclass
class DevStack:
    process: subprocess.Popen[bytes]
    state: Path
    ports: Ports
    console: Path

    def output(self) -> str:
        return self.console.read_text(errors="replace")

    def pid(self, part: str) -> int | None:
        entry = next((e for e in ProcessBook(self.state).entries() if e.name == part), None)
        return None if entry is None or entry.process() is None else entry.pid

    def descendants(self) -> list[psutil.Process]:
        """Every process the stack started (the reaper, the servers, the workers, their children)."""
        return psutil.Process(self.process.pid).children(recursive=True)

    def listening_ports(self) -> list[int]:
        companies = len(load_group().companies)
        ports = [getattr(self.ports, f.name) for f in fields(Ports)]
        ports += [self.ports.metrics + i for i in range(1, 1 + companies)]
        return [p for p in ports if _listening(p)]


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _running(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


@contextmanager
def dev_stack(tmp_path: Path, extra_env: dict[str, str] | None = None) -> Iterator[DevStack]:
    ports = Ports.free(len(load_group().companies))
    state = tmp_path / "state"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSAR_")}
    env.update({name: str(getattr(ports, field)) for field, name in PORT_VARIABLES.items()})
    env.update({"DSAR_STATE_DIR": str(state), "DSAR_PG_FAST": "1", "PYTHONUNBUFFERED": "1"})
    env.update(extra_env or {})
    console = tmp_path / "console.txt"
    with open(console, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "cli", "dev"],
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    stack = DevStack(process, state, ports, console)
    try:

        def up() -> bool:
            assert process.poll() is None, f"`dsar dev` exited:\n{stack.output()}"
            return "The DSAR local stack is running" in stack.output()

        eventually_sync(up, timeout=150, what=lambda: f"the stack never came up:\n{stack.output()}")
        yield stack
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _kill_and_wait_for_restart(stack: DevStack, part: str) -> int:
    """SIGKILL a part; return its new pid once the stack has started it again."""
    old = stack.pid(part)
    assert old is not None, f"{part} is not running"
    os.kill(old, signal.SIGKILL)

    def restarted() -> int | None:
        new = stack.pid(part)
        return new if new is not None and new != old else None

    new: int = eventually_sync(restarted, timeout=30, what=lambda: f"{part} not restarted:\n{stack.output()}")
    return new


def test_killed_parts_come_back_and_sigterm_stops_them_all(tmp_path: Path) -> None:
    with dev_stack(tmp_path) as stack:
        worker_log = stack.state / "logs" / "worker-company-se01.log"
        started_before = worker_log.read_text().count('"worker.started"')
        worker = _kill_and_wait_for_restart(stack, "company-se01")
        download = _kill_and_wait_for_restart(stack, "download-server")

        # Both answer again: the download page its health check, the worker by saying it polls.
        eventually_sync(lambda: _healthy(stack.ports.download), timeout=30, what="download page not back")
        eventually_sync(
            lambda: worker_log.read_text().count('"worker.started"') > started_before,
            timeout=60,
            what="the restarted se01 worker never started polling",
        )
        console = stack.output()
        assert f"company-se01 restarted (pid {worker}; log: {worker_log})" in console
        assert "company-se01 (pid " in console and "was killed by SIGKILL" in console
        assert f"download-server restarted (pid {download}; log: " in console
        assert console.count("restarting in 1 s") == 2

        # SIGTERM (as Ctrl-C) stops everything, the restarted parts among them.
        started = stack.descendants()
        assert {worker, download} <= {p.pid for p in started}
        stack.process.send_signal(signal.SIGTERM)
        assert stack.process.wait(90) == 0
        assert [p for p in started if _running(p)] == []
        assert stack.listening_ports() == []
        assert "Stopped." in stack.output()


def test_a_stack_killed_outright_leaves_nothing_running(tmp_path: Path) -> None:
    with dev_stack(tmp_path) as stack:
        _kill_and_wait_for_restart(stack, "download-server")  # a restarted part is stopped too
        started = stack.descendants()
        names = {p.name() for p in started}
        assert len(started) >= 3 + len(load_group().companies), names  # reaper, servers, workers
        assert stack.listening_ports()

        stack.process.send_signal(signal.SIGKILL)
        stack.process.wait(10)
        killed_at = time.monotonic()
        eventually_sync(
            lambda: not [p for p in started if _running(p)] and not stack.listening_ports(),
            timeout=15,
            what=lambda: (
                f"still running: {[(p.pid, p.name()) for p in started if _running(p)]},"
                f" listening: {stack.listening_ports()}"
            ),
        )
        reaper_log = (stack.state / "logs" / "reaper.log").read_text()
        assert f"the stack (pid {stack.process.pid}) is gone" in reaper_log
        assert "company-se01" in reaper_log and "postgres" in reaper_log
        assert ProcessBook(stack.state).entries() == []
        print(f"everything stopped {time.monotonic() - killed_at:.1f} s after the stack was killed")


class _Exited:
    """A process that has already exited with `code` (the supervisor only polls it)."""

    def __init__(self, pid: int, code: int | None) -> None:
        self.pid = pid
        self.code = code

    def poll(self) -> int | None:
        return self.code


def test_backoff_doubles_to_thirty_seconds_resets_after_a_minute_and_a_hold_is_respected(
    tmp_path: Path,
) -> None:
    from devstack.supervisor import Supervisor

    now = [0.0]
    said: list[str] = []
    pids = iter(range(100, 200))
    code: list[int | None] = [-signal.SIGKILL]

    def start() -> Any:
        return _Exited(next(pids), code[0])

    supervisor = Supervisor(tmp_path / "hold", said.append, clock=lambda: now[0])
    supervisor.watch("company-se01", tmp_path / "w.log", start, start())

    def restart_delays(count: int) -> list[float]:
        delays = []
        for _ in range(count):
            supervisor.check()  # notices the exit
            waited = 0.0
            while not said[-1].startswith("company-se01 restarted"):
                now[0] += 0.5
                waited += 0.5
                supervisor.check()
            delays.append(waited)
        return delays

    assert restart_delays(7) == [1, 2, 4, 8, 16, 30, 30]
    log = tmp_path / "w.log"
    first = "company-se01 (pid 100) was killed by SIGKILL after 0 s; restarting in 1 s"
    assert said[0] == f"{first} (log: {log})"
    assert said[1] == f"company-se01 restarted (pid 101; log: {log})"
    now[0] += 60  # ran a minute before it died: back to the first delay
    assert restart_delays(1) == [1]

    (tmp_path / "hold").mkdir()
    (tmp_path / "hold" / "company-se01").touch()
    supervisor.check()
    assert "held by" in said[-1] and "not restarted" in said[-1]
    count = len(said)
    now[0] += 120
    supervisor.check()
    assert len(said) == count  # left alone while held
    code[0] = None  # the next one keeps running
    (tmp_path / "hold" / "company-se01").unlink()
    supervisor.check()
    assert said[-1].startswith("company-se01 restarted")
    supervisor.check()
    assert said[-1].startswith("company-se01 restarted")


def _dsar(stack: DevStack, *args: str) -> subprocess.CompletedProcess[str]:
    """The privacy team's command against this stack (it reads the stack's local.env)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSAR_")}
    env.update({"DSAR_STATE_DIR": str(stack.state), "DSAR_USER": "privacy-officer", "COLUMNS": "200"})
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _status(stack: DevStack, reference: str) -> dict[str, Any]:
    result = _dsar(stack, "status", reference, "--json")
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def _wait_for(stack: DevStack, reference: str, wanted: str, timeout: float) -> None:
    eventually_sync(
        lambda: _status(stack, reference)["status"] == wanted,
        timeout=timeout,
        what=lambda: f"{reference} never reached {wanted}:\n{stack.output()[-3000:]}",
    )


def test_packaging_worker_killed_in_build_package_is_restarted_and_delivers_once(tmp_path: Path) -> None:
    """Issue #14: SIGKILL the worker that builds the package (the packaging worker, since #16)
    right after it built it (before Temporal hears of it); the stack restarts it, the build is
    retried, and the person gets one link and one code, within two minutes of the kill."""
    marker = tmp_path / "fault-fired"
    armed = {"DSAR_FAULT_INJECT": "build_package:after", "DSAR_FAULT_MARKER": str(marker)}
    with dev_stack(tmp_path, armed) as stack:
        person = next(p for p in DEMO_PEOPLE if p.full_name == "Astrid Lindqvist")
        submitted = _dsar(
            stack, "submit", "access", "--name", person.full_name, "--email", person.email,
            "--language", "en", "--jurisdiction", "SE", "--received", date.today().isoformat(), "--json",
        )  # fmt: skip
        assert submitted.returncode == 0, submitted.stderr
        reference = json.loads(submitted.stdout)["reference"]
        _wait_for(stack, reference, "identity", timeout=90)
        verified = _dsar(stack, "verify", reference, "--note", "matched customer record")
        assert verified.returncode == 0, verified.stderr

        def marked_not_applicable() -> bool:
            done = _dsar(stack, "mark-na", reference, "--system", "gb01/signups", "--reason", "no sheets")
            return done.returncode == 0

        eventually_sync(marked_not_applicable, timeout=120, what="gb01/signups never asked for its export")
        _wait_for(stack, reference, "review", timeout=180)
        approved = _dsar(stack, "approve", reference)
        assert approved.returncode == 0, approved.stderr

        eventually_sync(marker.exists, timeout=120, what="the packaging worker never ran build_package")
        killed_at = time.monotonic()
        _wait_for(stack, reference, "delivered", timeout=150)
        recovered = time.monotonic() - killed_at
        print(f"delivered {recovered:.0f} s after the packaging worker was killed in build_package")
        assert recovered < 120

        console = stack.output()
        assert "packaging-1 (pid " in console and "was killed by SIGKILL" in console
        assert "packaging-1 restarted (pid " in console and "control restarted" not in console
        mails = [
            message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in sorted((stack.state / "mail").glob("*.eml"))
        ]
        kinds = [m["X-DSAR-Kind"] for m in mails if m["X-DSAR-Reference"] == reference]
        assert kinds.count("delivery") == 1 and kinds.count("download_code") == 1, kinds

"""The chaos harness's stack: the local stack's real servers, with handles for breaking them.

One `devstack.stack.Stack` (Temporal dev server, PostgreSQL, S3, SMTP, the demo stand-ins,
the workers as separate processes) is brought up once and reused by every cell. On top:
S3 and SMTP behind `Gate`s (closed, they refuse connections while the server behind keeps
its state), the demo receiving controller that counts every POST, a Temporal client on a
background loop for cheap progress queries, and the workers started with or without an
armed fault (`workers.faults`). `supervise()` notices an armed worker that died and starts
it again at once (the marker file keeps the fault from firing a second time).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from temporalio.client import Client

from chaos.gate import Gate
from devstack.demo_receiver import DemoReceivingController
from devstack.local_servers import free_port, stop_process
from devstack.stack import Ports, Stack
from dsar.config import LOCAL_ENV_FILE
from dsar.group import load_group
from workers.faults import FAULT_VARIABLE, MARKER_VARIABLE

T = TypeVar("T")


class CountingReceiver(DemoReceivingController):
    """The demo receiving controller, keeping every POST's body (repeats included)."""

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self.all_bodies: list[bytes] = []

    def accept(self, path: str, key: str, content_type: str, body: bytes) -> tuple[int, dict[str, str]]:
        with self._lock:
            self.all_bodies.append(body)
        return super().accept(path, key, content_type, body)


@dataclass
class Death:
    """One armed worker's death and restart, as the harness saw them."""

    worker: str
    died_at: datetime
    restarted_at: datetime
    exit_code: int | None


@dataclass
class Armed:
    worker: str
    spec: str
    marker: Path
    deaths: list[Death] = field(default_factory=list)


class Rig:
    """Brings the stack up once; cells arm faults, cut servers and restart workers on it."""

    def __init__(self, state: Path) -> None:
        self.state = state
        registry = load_group()
        self.stack = Stack(state, Ports.free(len(registry.companies)), registry)
        self.receiver = CountingReceiver(free_port())
        self.s3_gate: Gate | None = None
        self.smtp_gate: Gate | None = None
        self.armed: Armed | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="chaos-client", daemon=True)
        self._client: Client | None = None
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="chaos-supervisor", daemon=True)

    # --- bring up and down ---------------------------------------------------------------

    def start(self) -> None:
        stack = self.stack
        stack.bring_up()
        self.s3_gate = Gate(stack.ports.s3)
        self.smtp_gate = Gate(stack.ports.smtp)
        self.s3_gate.start()
        self.smtp_gate.start()
        # The workers (and `dsar`) reach S3 and SMTP through the gates.
        stack.env["DSAR_S3_ENDPOINT_URL"] = f"http://127.0.0.1:{self.s3_gate.port}"
        stack.env["DSAR_SMTP_URL"] = f"smtp://127.0.0.1:{self.smtp_gate.port}"
        self._write_local_env()
        self.receiver.start()
        stack.start_workers()
        self._thread.start()
        self._watcher.start()

    def _watch(self) -> None:
        """Restart a killed worker within a fraction of a second, as an orchestrator would."""
        while not self._stopping.wait(0.2):
            self.supervise()

    def _write_local_env(self) -> None:
        lines = ["# Written by the chaos harness for its stack; do not edit."]
        lines += [f"{k}={v}" for k, v in self.stack.env.items()]
        path = self.stack.state / LOCAL_ENV_FILE
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def stop(self) -> None:
        self._stopping.set()
        if self._watcher.is_alive():
            self._watcher.join(5)
        for gate in (self.s3_gate, self.smtp_gate):
            if gate is not None:
                gate.stop()
        self.receiver.stop()
        self.stack.stop()
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)

    # --- Temporal, from the harness itself -----------------------------------------------

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        """Run a coroutine on the harness's loop (one client, kept open)."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    async def client(self) -> Client:
        if self._client is None:
            from dsar.client import connect
            from dsar.config import Settings

            self._client = await connect(Settings.from_env(self.stack.env))
        return self._client

    # --- the `dsar` command ----------------------------------------------------------------

    def dsar(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DSAR_")}
        env.update(
            {"DSAR_STATE_DIR": str(self.stack.state), "DSAR_USER": "privacy-officer", "COLUMNS": "200"}
        )
        try:
            return subprocess.run(
                [sys.executable, "-m", "cli", *args], env=env, capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            return subprocess.CompletedProcess(list(args), 124, "", f"timed out after {timeout:g} s")

    # --- workers: arm, watch, restart --------------------------------------------------------

    def arm(self, worker: str, spec: str) -> Armed:
        """Restart `worker` ("control", "company-<code>" or "packaging-<n>") with a fault armed;
        fires once."""
        marker = self.state / "faults" / f"{time.monotonic_ns()}.fired"
        marker.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self.armed = armed = Armed(worker, spec, marker)
            self._restart(worker, {FAULT_VARIABLE: spec, MARKER_VARIABLE: str(marker)})
        return armed

    def disarm(self) -> None:
        """Back to plain workers for the next cell."""
        with self._lock:
            armed, self.armed = self.armed, None
            if armed is not None:
                self._restart(armed.worker, {})

    def supervise(self) -> None:
        """An armed worker that died is started again at once, still armed (the marker holds it)."""
        with self._lock:
            self._supervise()

    def _supervise(self) -> None:
        armed = self.armed
        if armed is None:
            return
        process = self.stack.workers.get(armed.worker)
        if process is None or process.poll() is None:
            return
        died = datetime.now(UTC)
        code = process.returncode
        self._start(armed.worker, {FAULT_VARIABLE: armed.spec, MARKER_VARIABLE: str(armed.marker)})
        armed.deaths.append(Death(armed.worker, died, datetime.now(UTC), code))

    def _restart(self, worker: str, extra: dict[str, str]) -> None:
        process = self.stack.workers.pop(worker, None)
        if process is not None:
            stop_process(process, timeout=30)
        self._start(worker, extra)

    def _start(self, worker: str, extra: dict[str, str]) -> None:
        saved = {k: os.environ.get(k) for k in extra}
        os.environ.update(extra)  # `Stack.worker_env` starts from the harness's environment
        try:
            self.stack.start_named(worker)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    # --- servers: cut and bring back ----------------------------------------------------------

    def stop_case_store(self) -> None:
        self.stack.postgres.stop()

    def start_case_store(self) -> None:
        self.stack.postgres.start()

    def gate(self, server: str) -> Gate:
        gate = {"s3": self.s3_gate, "smtp": self.smtp_gate}[server]
        assert gate is not None
        return gate

    @property
    def receiver_url(self) -> str:
        return self.receiver.url

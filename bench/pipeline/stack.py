"""The throw-away stack: `devstack.stack.Stack` on free ports in a temporary folder, with a
bigger demo crowd, plus what the benchmark reads off it (a worker's memory, Temporal's file)."""

from __future__ import annotations

import os
import resource
import signal
import sys
import time
from pathlib import Path

from devstack.local_servers import free_port, stop_process
from devstack.stack import Ports, Stack
from devstack.team import LOCAL_USER
from dsar.config import Settings
from dsar.group import GroupRegistry


class BenchStack(Stack):
    """The stack `make dev` runs, seeded with `people` generated people instead of the default."""

    def __init__(
        self,
        state: Path,
        registry: GroupRegistry,
        people: int,
        control_workers: int = 1,
        packaging_workers: int = 1,
    ) -> None:
        companies = len(registry.companies)
        super().__init__(state, Ports.free(companies, packaging_workers), registry, packaging_workers)
        self.demo_people = people
        self.control_workers = control_workers
        self.control_env: dict[str, str] = {}  # e.g. the storm's DSAR_REMINDER_TIME

    def control_names(self) -> list[str]:
        return ["control"] + [f"control{n}" for n in range(2, self.control_workers + 1)]

    def start_workers(self) -> None:
        super().start_workers()
        for name in self.control_names()[1:]:
            self.start_control(name)

    def start_control(self, name: str) -> None:
        """A control worker (the first with the stack's own metrics port, the others with
        free ones), with the benchmark's extra settings."""
        env = self.worker_env("control")
        env.update(self.control_env)
        port = self.metrics_port() if name == "control" else free_port()
        env["DSAR_METRICS_BIND"] = f"127.0.0.1:{port}"
        self.workers[name] = self.spawn(name, [sys.executable, "-m", "workers", "control"], env)

    def restart_controls(self, extra: dict[str, str], timeout: float = 120) -> None:
        """Every control worker stopped gracefully and started again with `extra` settings;
        returns once each has logged its start."""
        self.control_env.update(extra)
        for name in self.control_names():
            process = self.workers[name]
            process.send_signal(signal.SIGTERM)
            stop_process(process, signal.SIGTERM, timeout=60)
            before = self.log_file(name).read_text(errors="replace").count("worker.started")
            self.start_control(name)
            deadline = time.monotonic() + timeout
            while self.log_file(name).read_text(errors="replace").count("worker.started") <= before:
                if self.workers[name].poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not start again; see {self.log_file(name)}")
                time.sleep(0.5)

    def settings(self) -> Settings:
        """What `dsar` in another terminal reads from `<state>/local.env`."""
        return Settings.from_env(self.env)

    def cli_env(self) -> dict[str, str]:
        """The environment of a `dsar` subprocess: the stack's settings file and the local user."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("DSAR_")}
        env.update({"DSAR_STATE_DIR": str(self.state), "DSAR_USER": LOCAL_USER, "COLUMNS": "200"})
        return env

    def control_rss_mb(self) -> float:
        """The control workers' resident memory now (VmRSS, summed over them), in MB."""
        return sum(rss_mb(self.workers[name].pid) for name in self.control_names())

    def temporal_db_mb(self) -> float:
        """Temporal's SQLite file with its write-ahead log."""
        base = self.state / "temporal.db"
        files = [base, Path(f"{base}-wal"), Path(f"{base}-shm")]
        return sum(f.stat().st_size for f in files if f.exists()) / 1e6

    async def case_store_mb(self) -> float:
        """The case store's database on disk (tables, indexes, TOAST), in MB."""
        import asyncpg

        from devstack.stack import CASE_DATABASE

        conn = await asyncpg.connect(self.postgres.admin_dsn)
        try:
            size = await conn.fetchval("SELECT pg_database_size($1)", CASE_DATABASE)
        finally:
            await conn.close()
        return float(size) / 1e6

    def control_cpu(self) -> float:
        return sum(process_cpu(self.workers[name].pid) for name in self.control_names())

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds used so far by each part: workers, Temporal, PostgreSQL (the postmaster,
        its ended backends and the live ones), and this process (S3, SMTP, codec, the driver)."""
        used = {name: process_cpu(p.pid) for name, p in self.workers.items()}
        if self.temporal.process is not None:
            used["temporal"] = process_cpu(self.temporal.process.pid)
        if self.postgres.process is not None:
            postmaster = self.postgres.process.pid
            used["postgres"] = process_cpu(postmaster, children=True) + sum(
                process_cpu(pid) for pid in child_pids(postmaster)
            )
        own = resource.getrusage(resource.RUSAGE_SELF)
        used["benchmark (S3, SMTP, driver)"] = own.ru_utime + own.ru_stime
        return used


def process_cpu(pid: int, children: bool = False) -> float:
    """User + system CPU seconds of a live process (/proc/<pid>/stat), with its reaped
    children's when asked; 0 once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = text.rpartition(")")[2].split()  # after the command name, field 3 is fields[0]
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def child_pids(parent: int) -> list[int]:
    """The live processes whose parent is `parent`."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            found.append(int(stat.parent.name))
    return found


def rss_mb(pid: int) -> float:
    """A process's resident set from /proc (Linux), in MB; 0 where /proc is missing."""
    if not sys.platform.startswith("linux"):
        return 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0

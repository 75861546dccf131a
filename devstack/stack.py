"""`dsar dev`: the whole product on one machine, with nothing installed but Python.

Starts PostgreSQL (case store + one database per demo company), a local S3 endpoint, a
mail catcher, the Temporal dev server with its UI, and the worker pools (control plane,
one per company and the package builders, each its own process as in production). Writes
the endpoints to `<state>/local.env` so `dsar` in another terminal finds them. Ctrl-C (or SIGTERM) stops
everything in reverse order. A worker or the download page that dies is restarted with
back-off (`devstack.supervisor`); a stack killed outright has its processes stopped by its
reaper (`devstack.reaper`), or at the latest at the next start.
"""

from __future__ import annotations

import asyncio
import functools
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack.demo_outside import DemoNewsletterApi, seed_demo_objects
from devstack.local_servers import (
    LocalPostgres,
    LocalS3,
    MailCatcher,
    TemporalDevServer,
    free_port_block,
    stop_process,
    write_private,
)
from devstack.part_settings import DEV_AWS, NOT_FOR_THE_TEAM, NOT_SECRET, PART_SETTINGS, SECRET_PREFIXES
from devstack.reaper import ProcessBook, start_reaper
from devstack.supervisor import Supervisor
from devstack.team import LOCAL_USER, ensure_team
from dsar.codec import new_key_file_text
from dsar.config import LOCAL_ENV_FILE, PROJECT_ROOT, state_dir
from dsar.group import GroupRegistry, load_group
from web.codec_server import CodecServer

CASE_DATABASE = "dsar"
# Each component's case-store login (docs/case-store-security.md); a company's is
# COMPANY_LOGIN + its code. Passwords are made anew at every start.
APP_USER = "dsar"  # the control worker's (dsar_control)
PUBLIC_LOGIN = "dsar_pages"
TEAM_LOGIN = "dsar_cli"
COMPANY_LOGIN = "dsar_co_"


@dataclass(frozen=True)
class Ports:
    temporal: int = int(os.environ.get("DSAR_DEV_TEMPORAL_PORT", "7233"))
    ui: int = int(os.environ.get("DSAR_DEV_UI_PORT", "8233"))
    postgres: int = int(os.environ.get("DSAR_DEV_PG_PORT", "55432"))
    s3: int = int(os.environ.get("DSAR_DEV_S3_PORT", "9100"))
    smtp: int = int(os.environ.get("DSAR_DEV_SMTP_PORT", "1025"))
    codec: int = int(os.environ.get("DSAR_DEV_CODEC_PORT", "8081"))
    download: int = int(os.environ.get("DSAR_DEV_DOWNLOAD_PORT", "8090"))
    # Worker metrics: control on this port, each company on the next ones, then packaging workers.
    metrics: int = int(os.environ.get("DSAR_DEV_METRICS_PORT", "9464"))
    # The demo newsletter vendor's API (a stand-in for a SaaS system outside the product).
    newsletter: int = int(os.environ.get("DSAR_DEV_NEWSLETTER_PORT", "8095"))

    @classmethod
    def free(cls, companies: int, packaging: int = 1) -> Ports:
        """Free ports for a throw-away stack (tests, benchmarks) beside a running `make dev`;
        `packaging`: as many packaging workers as the stack will run.

        All in one block below the kernel's ephemeral range (`free_port_block`): a port the
        kernel handed out for a moment was free when chosen, and could be handed out again
        before its server bound it, to an outgoing connection or to the dev server's own
        internal ports (a benchmark's dev server once exited before its UI port was up)."""
        names = ("temporal", "ui", "postgres", "s3", "smtp", "codec", "download", "newsletter")
        base = free_port_block(len(names) + 1 + companies + packaging)
        return cls(**{name: base + i for i, name in enumerate(names)}, metrics=base + len(names))


def ensure_key_file(state: Path) -> Path:
    path = state / "codec-keys"
    if not path.exists():
        write_private(path, new_key_file_text("k1"))
    return path


def ensure_audit_mac_key(state: Path) -> str:
    """The audit trail's MAC key: kept with the stack's secrets, never in the database."""
    path = state / "audit-mac-key"
    if not path.exists():
        write_private(path, f"local1:{secrets.token_urlsafe(32)}")
    return path.read_text(encoding="utf-8").strip()


def ensure_signing_key(state: Path) -> str:
    """The download links' signing key, kept with the stack's other secrets."""
    from dsar.download_links import new_signing_key

    path = state / "download-signing-key"
    if not path.exists():
        write_private(path, new_signing_key())
    return path.read_text(encoding="utf-8").strip()


def ensure_codec_token(state: Path) -> Path:
    """The local operator's codec access token (a JWT from the stack's own issuer, 0600)."""
    from devstack.codec_issuer import LocalIssuer
    from dsar.config import Settings

    return LocalIssuer.in_state(state).mint_to_file(state, Settings.from_env().actor or LOCAL_USER)


def kill_stale(pid_file: Path) -> None:
    """A stack killed with SIGKILL leaves servers behind; stop them before starting anew."""
    if not pid_file.exists():
        return
    try:
        pid = int(pid_file.read_text().split()[0])
        os.kill(pid, signal.SIGTERM)
        for _ in range(50):
            os.kill(pid, 0)
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)
    except (ValueError, ProcessLookupError, PermissionError, IndexError):
        pass
    pid_file.unlink(missing_ok=True)


class Stack:
    """The servers and workers of one local installation."""

    demo_people = 300  # the demo crowd's size (the pipeline benchmark wants thousands)

    def __init__(
        self, state: Path, ports: Ports, registry: GroupRegistry, packaging_workers: int = 1
    ) -> None:
        self.state = state
        self.packaging_workers = packaging_workers  # processes serving the packaging queue
        state.chmod(0o700)  # secrets, mails with codes, Temporal's and PostgreSQL's data
        self.ports = ports
        self.registry = registry
        logs = state / "logs"
        self.postgres = LocalPostgres(state / "postgres", ports.postgres, logs / "postgres.log")
        self.s3 = LocalS3(ports.s3)
        self.mail = MailCatcher(state / "mail", ports.smtp)
        self.codec_token_file = ensure_codec_token(state)
        self.ui_origin = f"http://localhost:{ports.ui}"
        # No token in the URL: the UI's settings endpoint hands the codec URL to anyone.
        # The dev server's UI has no sign-in, so it passes no access token (docs/delivery-security.md).
        codec_endpoint = f"http://localhost:{ports.codec}"
        self.temporal = TemporalDevServer(
            state / "temporal.db",
            ports.temporal,
            ports.ui,
            logs / "temporal.log",
            extra_args=["--ui-codec-endpoint", codec_endpoint],
        )
        self.newsletter = DemoNewsletterApi(ports.newsletter)
        self.codec_server: CodecServer | None = None
        self.download_server: subprocess.Popen[bytes] | None = None
        self.workers: dict[str, subprocess.Popen[bytes]] = {}
        self.env: dict[str, str] = {}
        self.db_dsns: dict[str, str] = {}  # each component's login: control, public, team, company:<code>
        # Every process started is written down, for the reaper should this process die.
        self.book = ProcessBook(state)
        self.reaper: subprocess.Popen[bytes] | None = None
        self.postgres.on_spawn = lambda process: self.book.record("postgres", process, signal.SIGINT)
        self.temporal.on_spawn = lambda process: self.book.record("temporal", process)

    def start_servers(self) -> None:
        (self.state / "logs").mkdir(parents=True, exist_ok=True)
        # Leftovers of a stack that died with its reaper; then the reaper of this one, first.
        self.book.stop_all()
        self.reaper = start_reaper(self.state, self.state / "logs" / "reaper.log")
        kill_stale(self.state / "postgres" / "postmaster.pid")
        (self.state / "temporal.pid").unlink(missing_ok=True)  # written by earlier versions; the book has it
        self.postgres.start()
        self.postgres.create_database(CASE_DATABASE)
        self.s3.start()
        self.mail.start()
        self.newsletter.start()
        self.temporal.start()

    async def prepare_data(self) -> dict[str, str]:
        from casestore.db import ensure_login, migrate
        from devstack.demo_group import seed_demo_group

        owner = self.postgres.dsn(CASE_DATABASE)
        await migrate(owner)
        logins = {"control": APP_USER, "public": PUBLIC_LOGIN, "team": TEAM_LOGIN}
        for component, user in logins.items():
            await ensure_login(owner, user, component, password=self.postgres.password_for(user))
            self.db_dsns[component] = self.postgres.dsn(CASE_DATABASE, user)
        for company in self.registry.companies:
            user = COMPANY_LOGIN + company.code
            await ensure_login(
                owner, user, "company", password=self.postgres.password_for(user), company=company.code
            )
            self.db_dsns[f"company:{company.code}"] = self.postgres.dsn(CASE_DATABASE, user)
        return await seed_demo_group(self.postgres.admin_dsn, self.registry, people=self.demo_people)

    def write_env(self, connections: dict[str, str], key_file: Path) -> dict[str, str]:
        team = ensure_team(self.state)
        env = {
            "DSAR_TEMPORAL_ADDRESS": self.temporal.address,
            "DSAR_TEMPORAL_NAMESPACE": "default",
            "DSAR_DATABASE_URL": self.db_dsns.get("team") or self.postgres.dsn(CASE_DATABASE, TEAM_LOGIN),
            "DSAR_MIGRATION_DATABASE_URL": self.postgres.dsn(CASE_DATABASE),
            "DSAR_S3_ENDPOINT_URL": self.s3.endpoint_url,
            "DSAR_S3_BUCKET": "dsar-packages",
            "DSAR_S3_REGION": "eu-north-1",
            "DSAR_SMTP_URL": self.mail.url,
            "DSAR_CODEC_KEY_FILE": str(key_file),
            "DSAR_ROLES_FILE": str(team.roles_file),
            # The team's keys (devstack.team): `dsar` signs as DSAR_USER, the relay as a service.
            "DSAR_USER": LOCAL_USER,
            "DSAR_KEYS_DIR": str(team.keys_dir),
            "DSAR_RELAY_SIGNING_KEY_FILE": str(team.relay_key),
            "DSAR_DOWNLOAD_SIGNING_KEY": ensure_signing_key(self.state),
            "DSAR_DOWNLOAD_BASE_URL": f"http://127.0.0.1:{self.ports.download}",
            "DSAR_DOWNLOAD_LISTEN": f"127.0.0.1:{self.ports.download}",
            "DSAR_AUDIT_MAC_KEYS": ensure_audit_mac_key(self.state),
            "DSAR_AUDIT_ANCHOR_BUCKET": "dsar-audit-anchors",
            **DEV_AWS,
            **{f"DSAR_CONN_{name}": dsn for name, dsn in connections.items()},
        }
        # local.env is the team's `dsar`: its own role, not every secret of the stack.
        lines = ["# Written by `dsar dev` for the running local stack; do not edit."]
        lines += [f"{k}={v}" for k, v in env.items() if not k.startswith(NOT_FOR_THE_TEAM)]
        write_private(self.state / LOCAL_ENV_FILE, "\n".join(lines) + "\n")
        self.env = env
        return env

    def start_codec_server(self, key_file: Path) -> None:
        from devstack.codec_issuer import AUDIENCE, LOCAL_ISSUER, LocalIssuer
        from dsar.codec import KeyRing
        from web.codec_server import CodecServerConfig
        from web.operator_tokens import OperatorTokens

        ring = KeyRing.from_settings(None, str(key_file))
        public_key = LocalIssuer.in_state(self.state).public_key_pem()
        config = CodecServerConfig(
            ring=ring,
            tokens=OperatorTokens(issuer=LOCAL_ISSUER, audience=AUDIENCE, public_key=public_key),
            ui_origin=self.ui_origin,
            port=self.ports.codec,
            session_cookie=True,  # the dev server's UI has no sign-in to pass a token
        )
        self.codec_server = CodecServer(config)
        self.codec_server.start()

    def create_buckets(self, key_file: Path) -> None:
        """The case bucket, and the demo systems' files (their settings join local.env)."""
        from casestore.storage import ensure_bucket, s3_client
        from dsar.config import Settings

        settings = Settings.from_env(self.env)
        client = s3_client(settings)
        ensure_bucket(client, settings.s3_bucket, settings.s3_region)
        from casestore.anchor import ensure_anchor_bucket

        ensure_anchor_bucket(client, settings.audit_anchor_bucket, settings.s3_region)  # Object Lock on moto
        outside = seed_demo_objects(client, settings.s3_region) | self.newsletter.connections()
        self.write_env({**settings.connections, **outside}, key_file)

    def worker_env(self, part: str = "control", company: str | None = None) -> dict[str, str]:
        """Only this part's settings (PART_SETTINGS), its own case-store login and, for a
        company's worker, only its own systems' connections."""
        env = {k: v for k, v in os.environ.items() if k in NOT_SECRET or not k.startswith(SECRET_PREFIXES)}
        env.update({k: v for k, v in self.env.items() if k in PART_SETTINGS[part]})
        if company is None:
            env["DSAR_DATABASE_URL"] = self.db_dsns["public" if part == "download-server" else "control"]
        else:
            env["DSAR_DATABASE_URL"] = self.db_dsns[f"company:{company}"]
            # A system's connection, and the settings named after it (an API's _TOKEN).
            names = {
                f"DSAR_CONN_{s.connection}" for s in self.registry.company(company).systems if s.connection
            }
            env.update(
                {
                    k: v
                    for k, v in self.env.items()
                    if k in names or k.startswith(tuple(n + "_" for n in names))
                }
            )
        env.setdefault("DSAR_LOG_FORMAT", "json")
        return env

    def metrics_port(self, company: str | None = None, packaging: int | None = None) -> int:
        """Control's port, a company's (`company`), or packaging worker number `packaging`'s."""
        codes = [c.code for c in self.registry.companies]
        if packaging is not None:
            return self.ports.metrics + len(codes) + packaging
        return self.ports.metrics + (0 if company is None else 1 + codes.index(company))

    def log_file(self, part: str) -> Path:
        """Each part's log: `worker-<part>.log` for workers, `<part>.log` for the rest."""
        name = part if part == "download-server" else f"worker-{part}"
        return self.state / "logs" / f"{name}.log"

    def spawn(self, part: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        """A part in its own session (a Ctrl-C meant for the stack does not hit it halfway through
        the stack's shutdown), written down for the reaper."""
        with open(self.log_file(part), "ab") as log:
            process = subprocess.Popen(
                args,
                env=env,
                cwd=PROJECT_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.book.record(part, process)
        return process

    def spawn_download_server(self) -> subprocess.Popen[bytes]:
        self.download_server = self.spawn(
            "download-server",
            [sys.executable, "-m", "cli", "download-server"],
            self.worker_env("download-server"),
        )
        return self.download_server

    def start_download_server(self) -> None:
        """Its own process, as in production, where it is the only part facing the internet."""
        process = self.spawn_download_server()
        url = f"http://127.0.0.1:{self.ports.download}/healthz"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2):
                    return
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log_file = self.state / "logs" / "download-server.log"
                    raise RuntimeError(f"the download server did not start; see {log_file}") from None
                time.sleep(0.2)

    def start_worker(self, role: str, company: str | None = None, number: int = 1) -> subprocess.Popen[bytes]:
        """`control`, `company` with its code, or `packaging` number `number` (1, 2 ...)."""
        packaging = number if role == "packaging" else None
        name = f"packaging-{number}" if packaging else role if company is None else f"company-{company}"
        env = self.worker_env(role, company)
        env["DSAR_METRICS_BIND"] = f"127.0.0.1:{self.metrics_port(company, packaging)}"
        args = [sys.executable, "-m", "workers", role] + ([company] if company else [])
        process = self.spawn(name, args, env)
        self.workers[name] = process
        return process

    def start_named(self, name: str) -> subprocess.Popen[bytes]:
        """A worker by the name it runs under: control, company-<code> or packaging-<n>."""
        role, _, which = name.partition("-")
        if role == "packaging":
            return self.start_worker(role, number=int(which))
        return self.start_worker(role, which or None)

    def supervisor(self, say: Callable[[str], None]) -> Supervisor:
        """Watches the workers and the download page running now; restarts them as they die.

        The codec server is not among them: it runs in this process (a thread), so it cannot
        die without the stack."""
        supervisor = Supervisor(self.state / "hold", say)
        for name, process in self.workers.items():
            start = functools.partial(self.start_named, name)
            supervisor.watch(name, self.log_file(name), start, process)
        if self.download_server is not None:
            supervisor.watch(
                "download-server",
                self.log_file("download-server"),
                self.spawn_download_server,
                self.download_server,
            )
        return supervisor

    def bring_up(self) -> None:
        """Everything but the workers: servers, schema, demo data, settings, codec, bucket."""
        self.start_servers()
        connections = asyncio.run(self.prepare_data())
        key_file = ensure_key_file(self.state)
        self.write_env(connections, key_file)
        self.start_codec_server(key_file)
        self.create_buckets(key_file)
        self.start_download_server()

    def start_workers(self) -> None:
        self.start_worker("control")
        for company in self.registry.companies:
            self.start_worker("company", company.code)
        for number in range(1, self.packaging_workers + 1):
            self.start_worker("packaging", number=number)

    def stop_workers(self) -> None:
        for process in self.workers.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.workers.values():
            stop_process(process, signal.SIGTERM, timeout=30)
        self.workers.clear()

    def stop(self) -> None:
        self.stop_workers()
        if self.download_server is not None:
            stop_process(self.download_server, signal.SIGTERM, timeout=10)
            self.download_server = None
        stoppers = [
            self.temporal.stop,
            self.newsletter.stop,
            self.mail.stop,
            self.s3.stop,
            self.postgres.stop,
        ]
        if self.codec_server is not None:
            stoppers.insert(0, self.codec_server.stop)
        for stopper in stoppers:
            try:
                stopper()
            except Exception as exc:  # keep stopping the rest
                print(f"while stopping: {type(exc).__name__}: {exc}", file=sys.stderr)
        # Anything still written down (a part started around the stack's back), then the reaper.
        self.book.stop_all()
        if self.reaper is not None:
            stop_process(self.reaper, signal.SIGTERM, timeout=5)
            self.reaper = None

    def describe(self) -> list[tuple[str, str]]:
        return [
            ("Temporal UI", f"http://localhost:{self.ports.ui}"),
            ("Temporal gRPC", f"{self.temporal.address} (dev server: no TLS, no authorisation)"),
            (
                "PostgreSQL (case store)",
                f"127.0.0.1:{self.ports.postgres}/{CASE_DATABASE}, one login per part;"
                f" the superuser's password in {self.postgres.password_file}",
            ),
            ("S3 endpoint", f"{self.s3.endpoint_url} (bucket dsar-packages)"),
            ("Codec server", f"http://localhost:{self.ports.codec} (token: {self.codec_token_file})"),
            ("Download page", f"http://127.0.0.1:{self.ports.download}/d/<token from the delivery e-mail>"),
            ("SMTP catcher", f"{self.mail.url} -> {self.mail.folder}"),
            ("Demo newsletter API", f"{self.newsletter.url} (the dk01 SaaS system's stand-in)"),
            ("Settings for `dsar`", str(self.state / LOCAL_ENV_FILE)),
            ("Logs", str(self.state / "logs")),
            ("Workers", ", ".join(f"{n} (pid {p.pid})" for n, p in self.workers.items())),
            (
                "Worker metrics",
                f"http://127.0.0.1:{self.ports.metrics}/metrics (control; companies, then packaging, next)",
            ),
        ]


def run_stack(*, fresh: bool = False, ports: Ports | None = None) -> int:
    state = state_dir()
    if fresh and state.exists():
        shutil.rmtree(state)
    state.mkdir(parents=True, exist_ok=True)
    registry = load_group()
    stack = Stack(state, ports or Ports(), registry)
    stopping = False

    def on_signal(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    # A closed terminal (SIGHUP) stops the stack as Ctrl-C does, not without its cleanup.
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, on_signal)
    try:
        print("Starting the local stack ...", flush=True)
        stack.bring_up()
        stack.start_workers()
        width = max(len(k) for k, _ in stack.describe())
        print("\nThe DSAR local stack is running:\n")
        for key, value in stack.describe():
            print(f"  {key.ljust(width)}  {value}")
        print(
            "\nTry:  dsar submit access --name 'Astrid Lindqvist' --email astrid.lindqvist@example.se "
            "--received $(date +%F)\nPress Ctrl-C to stop everything.",
            flush=True,
        )
        supervisor = stack.supervisor(lambda line: print(f"{time.strftime('%H:%M:%S')} {line}", flush=True))
        while not stopping:
            supervisor.check()
            time.sleep(0.5)
        return 0
    finally:
        print("\nStopping ...", flush=True)
        stack.stop()
        print("Stopped.", flush=True)

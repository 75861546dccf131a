"""Moving a local PostgreSQL cluster made with trust (earlier versions) to passwords.

`devstack.local_servers.LocalPostgres` makes new clusters with scram-sha-256 and a
generated superuser password; a cluster left by an earlier version trusted every local
connection. At its next start it gets the password and a pg_hba.conf that asks for it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

LOOPBACK = "127.0.0.1"
HBA = (
    "# Written by devstack.pg_auth: every connection needs a password.\n"
    "host all all 127.0.0.1/32 scram-sha-256\nhost all all ::1/128 scram-sha-256\n"
)


def require_passwords(
    psql: str, port: int, data_dir: Path, password: str, process: subprocess.Popen[Any]
) -> None:
    bare = {k: v for k, v in os.environ.items() if k != "PGPASSWORD"}
    base = [psql, "-w", "-h", LOOPBACK, "-p", str(port), "-U", "postgres", "-c"]
    # token_urlsafe passwords hold no quote; still trusted at this point, so no password needed.
    subprocess.run(
        [*base, f"ALTER ROLE postgres PASSWORD '{password}'"], check=True, capture_output=True, env=bare
    )
    (data_dir / "pg_hba.conf").write_text(HBA, encoding="utf-8")
    process.send_signal(signal.SIGHUP)  # reload pg_hba.conf
    # The reload is asynchronous: wait until a connection without the password is refused.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if subprocess.run([*base, "SELECT 1"], capture_output=True, env=bare).returncode != 0:
            return
        time.sleep(0.1)
    raise RuntimeError("PostgreSQL still accepts connections without a password")

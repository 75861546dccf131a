"""`dsar` commands timed as a person at the terminal runs them: real subprocesses, start-up
and imports included."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from datetime import date, timedelta


def time_cli(env: dict[str, str], args: list[str], runs: int = 3) -> float:
    """The median wall time of `python -m cli <args>` over `runs` runs; a failure stops the run."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "cli", *args], env=env, capture_output=True, text=True, timeout=300
        )
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise RuntimeError(f"dsar {' '.join(args)} failed: {done.stderr.strip()[-500:]}")
    return statistics.median(times)


def listing_commands(reference: str, today: date) -> dict[str, list[str]]:
    """The listings the issue times with many requests open, and one `dsar status`."""
    year_ago = (today - timedelta(days=365)).isoformat()
    return {
        "dsar list --overdue": ["list", "--overdue"],
        "dsar list --due-within 7d": ["list", "--due-within", "7d"],
        "dsar report": ["report", "--from", year_ago, "--to", today.isoformat()],
        "dsar status": ["status", reference],
    }

"""How long `dsar` takes to start: `dsar --help` and one command's own `--help`.

A person at the terminal feels every command's start-up; the target is under 0.3 s on a
quiet machine. This prints the median wall time of a few runs of each, and the modules
that cost most to import (`python -X importtime`), so a heavy import that crept back to
module level is found at once. A benchmark to run by hand, not a timed test:

    python -m bench.cli_startup [--runs 7] [--target 0.3]

It exits non-zero when `dsar --help` misses the target.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = [["--help"], ["status", "--help"], ["review", "--help"]]


def wall_time(args: list[str], runs: int) -> float:
    """The median seconds of `python -m cli <args>` over `runs` runs (after one warm-up)."""
    times = []
    for n in range(runs + 1):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, check=True)
        if n:
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def heaviest_imports(args: list[str], top: int = 12) -> list[tuple[float, str]]:
    """Seconds spent importing each package's own modules (`-X importtime` self times summed
    by top-level package), most first."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "cli", *args], capture_output=True, text=True, check=True
    )
    costs: dict[str, float] = {}
    for line in result.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[0].strip().isdigit():
            continue
        package = parts[2].strip().split(".")[0]
        costs[package] = costs.get(package, 0.0) + int(parts[0]) / 1e6
    return sorted(((v, k) for k, v in costs.items()), reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--target", type=float, default=0.3, help="seconds for `dsar --help`")
    options = parser.parse_args()
    medians = {}
    for args in COMMANDS:
        medians[" ".join(args)] = wall_time(args, options.runs)
        print(f"dsar {' '.join(args):<16} {medians[' '.join(args)]:.3f} s (median of {options.runs})")
    print("\nheaviest imports of `dsar --help` (seconds, own modules):")
    for seconds, package in heaviest_imports(["--help"]):
        print(f"  {seconds:6.3f}  {package}")
    if medians["--help"] > options.target:
        raise SystemExit(f"dsar --help took {medians['--help']:.3f} s; the target is {options.target} s")


if __name__ == "__main__":
    main()

"""`python -m chaos` (`make chaos`): the fault-injection matrix on the real local stack.

    python -m chaos             the whole matrix (hours: one full request per cell)
    python -m chaos --quick     the representative subset the test suite also runs
    python -m chaos --only build_package      cells whose name contains the text (or a glob)
    python -m chaos --only identity           the identity-code cells (their own short request)
    python -m chaos --list      the cells, without running anything

Prints one line per cell as it finishes, then the table; exits 1 if any cell failed.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from chaos.cells import Cell, all_cells, select
from chaos.mailbox import MailBox
from chaos.request import REQUESTS
from chaos.rig import Rig
from chaos.run import Outcome, Reference, run_cell, run_reference, table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chaos", description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="only cells whose name contains this text (or matches this glob)")
    parser.add_argument("--quick", action="store_true", help="the representative subset")
    parser.add_argument("--list", action="store_true", help="list the cells and stop")
    parser.add_argument("--patience", type=float, default=300, help="seconds a step may take (default 300)")
    parser.add_argument("--keep", action="store_true", help="keep the stack's state folder (logs, mail)")
    args = parser.parse_args(argv)
    # Stopped by a time limit (SIGTERM), it still takes its stack down (the `finally` in `run`).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    cells = select(all_cells(), args.only, args.quick)
    if args.list:
        for cell in cells:
            print(cell.name)
        return 0
    if not cells:
        print("no cell matches", file=sys.stderr)
        return 2
    outcomes = run(cells, patience=args.patience, keep=args.keep)
    print("\n" + table(outcomes), flush=True)
    return 0 if all(o.passed for o in outcomes) else 1


def uncovered(scheduled: set[tuple[str, str]], whole: bool) -> list[Outcome]:
    """Activity types the request ran that no cell kills: a hole in the matrix, shown."""
    holes = sorted({k for k, _ in scheduled} - {c.activity for c in all_cells()})
    if holes:
        print("activity types no cell kills: " + ", ".join(holes), flush=True)
    if not whole:
        return []  # a subset was asked for
    return [
        Outcome(f"kill {kind} (no cell)", False, notes=["run by the request; no cell kills it"])
        for kind in holes
    ]


def run(
    cells: list[Cell], patience: float = 300, keep: bool = False, state: Path | None = None
) -> list[Outcome]:
    from dsar.logs import configure_logging

    configure_logging("console", "WARNING")
    folder = state or Path(tempfile.mkdtemp(prefix="dsar-chaos-"))
    rig = Rig(folder)
    outcomes: list[Outcome] = []
    try:
        print(f"Starting the stack in {folder} ...", flush=True)
        rig.start()
        mail = MailBox(rig.stack.mail.folder)
        references: dict[str, Reference] = {}
        for request in [r for r in REQUESTS if any(c.request == r for c in cells)]:
            references[request] = reference = run_reference(rig, mail, patience, request)
            mails = sum(reference.observation.mails.values())
            kinds = len({a for a, _ in reference.scheduled})
            print(
                f"reference {request} request: {reference.seconds:.0f} s, {mails} e-mails,"
                f" {kinds} activity types",
                flush=True,
            )
        scheduled = set().union(*(r.scheduled for r in references.values()))
        outcomes += uncovered(scheduled, whole=len(cells) == len(all_cells()))
        for number, cell in enumerate(cells, 1):
            started = time.monotonic()
            outcome = run_cell(rig, mail, cell, references[cell.request], patience)
            outcomes.append(outcome)
            recovery = "-" if outcome.recovery is None else f"{outcome.recovery:.1f} s"
            print(
                f"[{number}/{len(cells)}] {outcome.verdict} {cell.name} (recovered in {recovery};"
                f" {time.monotonic() - started:.0f} s)"
                f" {'; '.join(outcome.notes)}",
                flush=True,
            )
    finally:
        rig.stop()
        if not keep and state is None:
            shutil.rmtree(folder, ignore_errors=True)
    return outcomes


if __name__ == "__main__":
    sys.exit(main())

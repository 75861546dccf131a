"""The free-text corpus scored for our detector and for Presidio in the same run.

Gates (issue #17), with no group-known names: recall >= 97% for every kind, the person's
own data 100% kept, non-personal values >= 99% kept, throughput >= 10x Presidio's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench.redaction_freetext import OWN, Row, generate
from bench.redaction_score import Scores, Spans, score_rows, timed
from dsar.redaction import Detector, OwnIdentifiers

MIN_RECALL = 0.97
MIN_TRAPS_KEPT = 0.99
MIN_SPEEDUP = 10.0
PRESIDIO_PYTHON = Path(__file__).resolve().parent / ".venv-presidio" / "bin" / "python"


def ours(rows: Sequence[Row], detector: Detector | None = None) -> Scores:
    """Our detector over the rows; by default the free-text corpus's, with no known names."""
    detector = detector or Detector(OwnIdentifiers.from_identity(OWN))
    detector.find("warm up: Anna Ek")  # the lexicon loads once per process
    found, seconds = timed(rows, lambda t: [(f.start, f.end) for f in detector.find(t)], time.perf_counter)
    return _with_rate(score_rows(rows, found), rows, seconds)


def presidio(rows: Sequence[Row]) -> Scores | None:
    if not PRESIDIO_PYTHON.exists():
        return None
    done = subprocess.run(
        [str(PRESIDIO_PYTHON), str(Path(__file__).with_name("redaction_presidio.py"))],
        input=json.dumps([r.text for r in rows]),
        capture_output=True,
        text=True,
        check=True,
    )
    out = json.loads(done.stdout)
    found: list[Spans] = [[(a, b) for a, b in spans] for spans in out["spans"]]
    return _with_rate(score_rows(rows, found), rows, out["seconds"])


def _with_rate(scores: Scores, rows: Sequence[Row], seconds: float) -> Scores:
    scores.megabytes = sum(len(r.text.encode()) for r in rows) / 1_000_000
    scores.seconds = seconds
    return scores


def failures(mine: Scores, theirs: Scores | None) -> list[str]:
    problems = [
        f"recall on {kind} is {mine.recall(kind):.2%} (must be >= {MIN_RECALL:.0%})"
        for kind in sorted(mine.labels)
        if mine.recall(kind) < MIN_RECALL
    ]
    if mine.kept_share("own") < 1.0:
        problems.append(f"the person's own data kept {mine.kept_share('own'):.2%} (must be 100%)")
    if mine.kept_share("trap") < MIN_TRAPS_KEPT:
        problems.append(f"non-personal values kept {mine.kept_share('trap'):.2%} (must be >= 99%)")
    if theirs is None:
        problems.append("Presidio is not installed (make bench-redaction creates bench/.venv-presidio)")
    elif mine.rate < MIN_SPEEDUP * theirs.rate:
        problems.append(
            f"throughput {mine.rate:.2f} MB/s is under {MIN_SPEEDUP:.0f}x Presidio's {theirs.rate:.3f} MB/s"
        )
    return problems


def report(mine: Scores, theirs: Scores | None) -> None:
    print(f"{'kind':<14}{'labels':>8}{'ours':>9}{'presidio':>10}")
    for kind in sorted(mine.labels):
        other = f"{theirs.recall(kind):>10.2%}" if theirs else f"{'-':>10}"
        print(f"{kind:<14}{mine.labels[kind]:>8}{mine.recall(kind):>9.2%}{other}")
    for what, title in (("own", "own kept"), ("trap", "non-personal kept")):
        if not mine.keep[what]:
            continue
        other = f"{theirs.kept_share(what):>10.2%}" if theirs else f"{'-':>10}"
        print(f"{title:<18}{mine.keep[what]:>4}{mine.kept_share(what):>9.2%}{other}")
    rate = f"{theirs.rate:>10.3f}" if theirs else f"{'-':>10}"
    print(f"{'MB/s':<14}{mine.megabytes:>8.2f}{mine.rate:>9.2f}{rate}")


def run(count: int) -> int:
    rows = generate(count)
    print(f"\nfree-text corpus (issue #17): {len(rows)} rows, {sum(len(r.labels) for r in rows)} labels")
    mine = ours(rows)
    theirs = presidio(rows)
    report(mine, theirs)
    problems = failures(mine, theirs)
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    return 1 if problems else 0

"""Precision, recall and throughput of `dsar.redaction` on the labelled synthetic corpus.

Run with `python -m bench.redaction_benchmark` (or `make bench-redaction`). Exits 1 when
recall on the checksummed kinds is below 100% or overall recall below 95%: a number with a
valid check digit left in a package is a disclosure, so those must never be missed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import redaction_freetext_bench
from bench.redaction_corpus import Corpus, Snippet, big_text, generate
from bench.redaction_freetext import Row
from bench.redaction_freetext import Span as FreeSpan
from bench.redaction_freetext_bench import ours, presidio, report
from dsar.redaction import CHECKSUMMED, Detector, Kind

MIN_OVERALL_RECALL = 0.95
MIN_CHECKSUMMED_RECALL = 1.0


@dataclass(frozen=True)
class Score:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def detector_for(corpus: Corpus) -> Detector:
    # As the product runs it: the known names first, then the lexicon and context rules (the
    # free-text corpus, `bench.redaction_freetext_bench`, measures those with no known name).
    return Detector(corpus.own, corpus.known_names)


def score(corpus: Corpus, snippets: Iterable[Snippet] | None = None) -> dict[str, Score]:
    """Per kind and overall; a finding counts only with the exact span and kind of a label."""
    detector = detector_for(corpus)
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for snippet in corpus.snippets if snippets is None else snippets:
        expected = {(label.start, label.end, label.kind) for label in snippet.labels}
        found = {(f.start, f.end, str(f.kind)) for f in detector.find(snippet.text)}
        for _, _, kind in expected & found:
            tp[kind] += 1
        for _, _, kind in found - expected:
            fp[kind] += 1
        for _, _, kind in expected - found:
            fn[kind] += 1
    scores = {k.value: Score(tp[k.value], fp[k.value], fn[k.value]) for k in Kind}
    scores["overall"] = Score(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    return scores


def failures(scores: dict[str, Score]) -> list[str]:
    problems = [
        f"recall on {kind} is {scores[kind].recall:.2%} (must be 100%)"
        for kind in sorted(str(k) for k in CHECKSUMMED)
        if scores[kind].recall < MIN_CHECKSUMMED_RECALL
    ]
    if scores["overall"].recall < MIN_OVERALL_RECALL:
        problems.append(f"overall recall is {scores['overall'].recall:.2%} (must be >= 95%)")
    return problems


def throughput(corpus: Corpus, megabytes: float, prose_per_snippet: int = 0) -> tuple[float, float, int]:
    """MB of free text per second, scanned the way records are: one field at a time."""
    text = big_text(corpus, megabytes, prose_per_snippet)
    fields = text.split("\n\n")
    size = len(text.encode()) / 1_000_000
    detector = detector_for(corpus)
    started = time.perf_counter()
    findings = sum(len(detector.find(field)) for field in fields)
    elapsed = time.perf_counter() - started
    return size, size / elapsed, findings


def side_by_side(corpus: Corpus) -> None:
    """The first corpus beside Presidio, scored as the second is (the value gone, whatever the
    finding's kind or span); Presidio knows none of the group's names, so it is no gate here."""
    rows = [
        Row(s.text, tuple(FreeSpan(label.start, label.end, label.kind) for label in s.labels), (), s.language)
        for s in corpus.snippets
    ]
    print(f"\nthe same corpus beside Presidio (values removed, any kind): {len(rows)} snippets")
    report(ours(rows, detector_for(corpus)), presidio(rows))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snippets", type=int, default=2000)
    parser.add_argument("--megabytes", type=float, default=20.0)
    parser.add_argument("--rows", type=int, default=1500, help="rows of the free-text corpus")
    args = parser.parse_args(argv)

    corpus = generate(args.snippets)
    labels = sum(len(s.labels) for s in corpus.snippets)
    print(f"labelled set: {len(corpus.snippets)} snippets, {labels} labelled identifiers")
    scores = score(corpus)
    print(f"{'kind':<14}{'labels':>8}{'tp':>7}{'fp':>6}{'fn':>6}{'precision':>11}{'recall':>9}")
    for kind, s in scores.items():
        print(f"{kind:<14}{s.tp + s.fn:>8}{s.tp:>7}{s.fp:>6}{s.fn:>6}{s.precision:>11.2%}{s.recall:>9.2%}")

    # The labelled snippets are dense (about two identifiers per line): a worst case. Real
    # tickets are mostly prose, so the same text diluted with prose is measured too.
    size, rate, found = throughput(corpus, args.megabytes)
    print(f"throughput, corpus as is: {size:.1f} MB, {rate:.2f} MB/s ({found} findings)")
    size, rate, found = throughput(corpus, args.megabytes, prose_per_snippet=9)
    print(f"throughput, 1 snippet in 10 with identifiers: {size:.1f} MB, {rate:.2f} MB/s ({found} findings)")

    problems = failures(scores)
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    side_by_side(corpus)
    second = redaction_freetext_bench.run(args.rows)
    return 1 if problems or second else 0


if __name__ == "__main__":
    sys.exit(main())

"""Scoring for the free-text corpus, the same for every detector (ours and Presidio).

A label counts as found when every letter and digit of it lies inside some finding: what
matters is that the value is gone from the package, whatever the finding's kind or exact
span. A kept span (the person's own data, or a non-personal value) counts as kept when no
finding touches any letter or digit of it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from bench.redaction_freetext import Row

Spans = Sequence[tuple[int, int]]


@dataclass
class Scores:
    found: Counter[str] = field(default_factory=Counter)
    labels: Counter[str] = field(default_factory=Counter)
    kept: Counter[str] = field(default_factory=Counter)  # "own", "trap"
    keep: Counter[str] = field(default_factory=Counter)
    megabytes: float = 0.0
    seconds: float = 0.0

    def recall(self, kind: str) -> float:
        return self.found[kind] / self.labels[kind] if self.labels[kind] else 1.0

    def kept_share(self, what: str) -> float:
        return self.kept[what] / self.keep[what] if self.keep[what] else 1.0

    @property
    def rate(self) -> float:
        return self.megabytes / self.seconds if self.seconds else 0.0


def _covered(text: str, start: int, end: int, marks: bytearray) -> bool:
    return all(marks[i] for i in range(start, end) if text[i].isalnum())


def _touched(text: str, start: int, end: int, marks: bytearray) -> bool:
    return any(marks[i] for i in range(start, end) if text[i].isalnum())


def score_rows(rows: Iterable[Row], findings: Iterable[Spans]) -> Scores:
    scores = Scores()
    for row, spans in zip(rows, findings, strict=True):
        marks = bytearray(len(row.text))
        for start, end in spans:
            marks[start:end] = b"\x01" * (end - start)
        for label in row.labels:
            scores.labels[label.kind] += 1
            scores.found[label.kind] += _covered(row.text, label.start, label.end, marks)
        for keep in row.keep:
            scores.keep[keep.kind] += 1
            scores.kept[keep.kind] += not _touched(row.text, keep.start, keep.end, marks)
    return scores


def timed(
    rows: Sequence[Row], find: Callable[[str], Spans], clock: Callable[[], float]
) -> tuple[list[Spans], float]:
    started = clock()
    found = [find(row.text) for row in rows]
    return found, clock() - started

"""Stored findings applied later, by JSON path.

Detection runs once, when collection is done; the package is built later, possibly after
reviewers have kept some findings and added their own. So findings are stored as spans
(record, JSON path, start, end) and applied here, by the same path scheme the detector
reports, for the package and for `dsar review`'s samples alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def child_path(path: str, key: object) -> str:
    name = str(key)
    if _PLAIN_KEY.match(name):
        return f"{path}.{name}"
    escaped = name.replace("\\", "\\\\").replace("'", "\\'")
    return f"{path}['{escaped}']"


def iter_strings(record: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(JSON path, text) of every string in a record, paths as the detector writes them."""

    def walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
        if isinstance(value, str):
            yield path, value
        elif isinstance(value, Mapping):
            for k, v in value.items():
                yield from walk(v, child_path(path, k))
        elif isinstance(value, list | tuple):
            for i, v in enumerate(value):
                yield from walk(v, f"{path}[{i}]")

    for k, v in record.items():
        yield from walk(v, child_path("$", k))


@dataclass(frozen=True)
class Span:
    """A stored removal: where, and the text a reader sees instead."""

    path: str
    start: int
    end: int
    replacement: str


class SpanMismatch(ValueError):
    """A stored span no longer fits its record; building a package from it could leak."""


def apply_spans(record: Mapping[str, Any], spans: Iterable[Span]) -> dict[str, Any]:
    """The record with every span replaced. Overlapping spans (a reviewer's manual span over
    a detected one) merge into one removal. A span whose path holds no string, or which
    reaches past its text, raises `SpanMismatch` (naming the path only): failing the
    build is better than sending text nobody checked."""
    by_path: dict[str, list[Span]] = {}
    for span in spans:
        by_path.setdefault(span.path, []).append(span)
    if not by_path:
        return dict(record)
    pending = set(by_path)

    def walk(value: Any, path: str) -> Any:
        if isinstance(value, str):
            if path not in by_path:
                return value
            pending.discard(path)
            return _apply_merged(value, path, by_path[path])
        if isinstance(value, Mapping):
            return {k: walk(v, child_path(path, k)) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [walk(v, f"{path}[{i}]") for i, v in enumerate(value)]
        return value

    redacted = {k: walk(v, child_path("$", k)) for k, v in record.items()}
    if pending:
        raise SpanMismatch(f"no text at {sorted(pending)[0]}")
    return redacted


def _apply_merged(text: str, path: str, spans: list[Span]) -> str:
    parts: list[str] = []
    at = 0
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if span.end > len(text) or span.start < 0:
            raise SpanMismatch(f"a span reaches past the text at {path}")
        if span.start < at:  # overlaps the removal before it: widen that one
            if span.end > at:
                at = span.end
            continue
        parts.append(text[at : span.start])
        parts.append(span.replacement)
        at = span.end
    parts.append(text[at:])
    return "".join(parts)


def occurrences(text: str, needle: str) -> list[tuple[int, int]]:
    """Where a reviewer's chosen text stands in a field, as spans: only the spans travel."""
    if not needle:
        return []
    return [(m.start(), m.end()) for m in re.finditer(re.escape(needle), text)]

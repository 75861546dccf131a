"""The redactions to apply to a request's records: the stored findings minus those a
reviewer kept, by record, with the text that stands in their place.

A read-side query of the case store, shared by the package build and `dsar review`, so
both show the records exactly as the person will read them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from casestore.db import Conn
from dsar.redaction import REPLACEMENTS, Span, apply_spans

# A reviewer's own removal (`dsar redact`), as opposed to the detector's ("auto").
MANUAL = "manual"
MANUAL_REPLACEMENT = "[redacted]"
_REPLACEMENT_TEXT = {kind.value: text for kind, text in REPLACEMENTS.items()}


def field_name(path: str) -> str:
    """`$.body` reads as `body` in the package and the CLI."""
    return path[2:] if path.startswith("$.") else path


@dataclass(frozen=True)
class Removal:
    """One span removed from a record, as the redaction log tells it (never the value)."""

    record_id: int
    finding_id: str
    source: str  # auto or manual
    kind: str
    path: str
    reason: str


@dataclass
class RedactionPlan:
    """The stored findings of a request minus those a reviewer kept, by record."""

    spans: dict[int, list[Span]] = field(default_factory=lambda: defaultdict(list))
    removals: dict[int, list[Removal]] = field(default_factory=lambda: defaultdict(list))

    def apply(self, record_id: int, data: Any) -> Any:
        spans = self.spans.get(record_id)
        if not spans or not isinstance(data, Mapping):
            return data
        return apply_spans(data, spans)


def marker(kind: str, strings: Mapping[str, str] | None) -> str:
    """The text in place of a removal, in the person's language when the report's strings are given."""
    if strings is None:
        return _REPLACEMENT_TEXT.get(kind, MANUAL_REPLACEMENT)
    word = strings["redacted_marker"]
    label = strings.get(f"redaction_kind_{kind}")
    return f"[{word}: {label.lower()}]" if label and kind != "manual" else f"[{word}]"


async def load_redaction_plan(
    conn: Conn, reference: str, strings: Mapping[str, str] | None = None
) -> RedactionPlan:
    rows = await conn.fetch(
        "SELECT record_id, finding_id, source, kind, path, span_start, span_end, reason"
        " FROM redactions WHERE reference = $1 AND kept_by IS NULL ORDER BY record_id, path, span_start",
        reference,
    )
    plan = RedactionPlan()
    for r in rows:
        replacement = marker(r["kind"], strings)
        plan.spans[r["record_id"]].append(Span(r["path"], r["span_start"], r["span_end"], replacement))
        plan.removals[r["record_id"]].append(
            Removal(r["record_id"], r["finding_id"], r["source"], r["kind"], r["path"], r["reason"])
        )
    return plan

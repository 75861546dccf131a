"""Stored findings: name candidates found by shape, spans applied by path, and a span that
no longer fits its record refused rather than applied somewhere else."""

from __future__ import annotations

import pytest

from dsar.redaction import (
    REPLACEMENTS,
    Detector,
    Kind,
    NameCandidate,
    OwnIdentifiers,
    Span,
    SpanMismatch,
    apply_spans,
    iter_strings,
    name_candidates,
    name_fingerprint,
    occurrences,
    redact_record,
)


def test_name_candidates_are_capitalised_phrases_within_a_run() -> None:
    found = name_candidates("My colleague Lars Ek will attend. Sanne de Vries, Emma")
    assert NameCandidate("lars ek", "lars") in found
    assert NameCandidate("sanne de vries", "sanne") in found
    # A comma or full stop ends a run; a lone word is no candidate; "May I" has no surname.
    assert not any(c.phrase.startswith("emma") for c in found)
    assert not name_candidates("May I ask, Astrid! Hej")


def test_three_capitalised_words_are_not_shaped_like_given_and_surname() -> None:
    found = name_candidates("Nordic ERP Forum")
    assert NameCandidate("nordic erp forum", None) in found
    assert NameCandidate("nordic erp", "nordic") in found


def test_fingerprints_are_keyed_and_normalised() -> None:
    assert name_fingerprint(b"k" * 32, "full", "Lars  Ek") == name_fingerprint(b"k" * 32, "full", "lars ek")
    assert name_fingerprint(b"k" * 32, "full", "lars ek") != name_fingerprint(b"j" * 32, "full", "lars ek")
    assert name_fingerprint(b"k" * 32, "full", "lars") != name_fingerprint(b"k" * 32, "given", "lars")


def test_stored_findings_applied_later_give_the_detectors_text() -> None:
    record = {
        "body": "Mail johan.berg@example.com or Lars Ek",
        "notes": [{"text": "ring 070-174 06 08"}],
        "n": 3,
    }
    detector = Detector(OwnIdentifiers.of(names=["Astrid Lindqvist"]), ["Lars Ek"])
    result = redact_record(record, detector)
    spans = [Span(f.path, f.start, f.end, f.replacement) for f in result.findings]
    assert apply_spans(record, spans) == result.record
    assert dict(iter_strings(record)) == {"$.body": record["body"], "$.notes[0].text": "ring 070-174 06 08"}


def test_overlapping_spans_merge_into_one_removal() -> None:
    record = {"body": "call Lars Ek today"}
    spans = [Span("$.body", 5, 12, REPLACEMENTS[Kind.NAME]), Span("$.body", 5, 9, "[redacted]")]
    assert apply_spans(record, spans) == {"body": "call [redacted: name] today"}
    manual = [Span("$.body", s, e, "[redacted]") for s, e in occurrences(record["body"], "a")]
    assert apply_spans(record, manual) == {"body": "c[redacted]ll L[redacted]rs Ek tod[redacted]y"}


def test_a_span_that_does_not_fit_fails_closed() -> None:
    with pytest.raises(SpanMismatch, match=r"\$\.missing"):
        apply_spans({"body": "text"}, [Span("$.missing", 0, 2, "[redacted]")])
    with pytest.raises(SpanMismatch) as err:
        apply_spans({"body": "text"}, [Span("$.body", 2, 9, "[redacted]")])
    assert "text" not in str(err.value).replace("the text at", "")

"""A quick subset of the free-text benchmark with its gates, for our detector (no Presidio)."""

from __future__ import annotations

from bench.redaction_freetext import generate
from bench.redaction_freetext_bench import MIN_RECALL, MIN_TRAPS_KEPT, ours


def test_the_free_text_corpus_meets_the_issue_gates_without_known_names() -> None:
    scores = ours(generate(300))
    assert set(scores.labels) >= {"name", "address", "vehicle", "ip", "dob", "orgnr", "nino", "phone"}
    low = {k: f"{scores.recall(k):.2%}" for k in scores.labels if scores.recall(k) < MIN_RECALL}
    assert not low
    assert scores.kept_share("own") == 1.0
    assert scores.kept_share("trap") >= MIN_TRAPS_KEPT

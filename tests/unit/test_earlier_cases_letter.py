"""The outcome letter's sentences about an erasure's earlier cases, in both languages."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from dsar.rendering import AuthorityView, render_mail


def context(**earlier: int) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "Astrid Lindqvist", "reference": "DSAR-2026-000042", "received_on": date(2026, 11, 2),
        "other_rights": ["Erasure"], "actions": [], "restricted": False, "objection": False,
        "suppressed": False, "text": None, "objection_upheld": None, "consent_withdrawn": False,
        "recipients_told": [], "privacy_email": "privacy@example.com",
        "authority": AuthorityView(name="IMY", address="Box 8114", website="https://www.imy.se", email=None),
    }  # fmt: skip
    return base | ({"earlier_cases": earlier} if earlier else {})


def body(language: str, **earlier: int) -> str:
    return " ".join(render_mail("outcome", language, context(**earlier)).body.split())


@pytest.mark.parametrize(
    ("language", "one", "many", "held"),
    [
        (
            "en",
            "Your erasure also covers your earlier request to us: we have deleted the copies",
            "Your erasure also covers your 3 earlier requests to us",
            "We keep an earlier request of yours whole for now",
        ),
        (
            "sv",
            "Din radering gäller också din tidigare begäran till oss: vi har raderat kopiorna",
            "Din radering gäller också dina 3 tidigare begäranden till oss",
            "Vi sparar en tidigare begäran från dig i sin helhet tills vidare",
        ),
    ],
)
def test_the_letter_says_what_happened_to_earlier_requests(
    language: str, one: str, many: str, held: str
) -> None:
    assert one in body(language, reduced=1, held=0) and held not in body(language, reduced=1, held=0)
    assert many in body(language, reduced=3, held=0)
    both = body(language, reduced=0, held=1)
    assert held in both and one not in both
    # No earlier cases (or a context without them): not a word about them.
    quiet = body(language, reduced=0, held=0)
    assert quiet == body(language) and "earlier" not in quiet and "tidigare" not in quiet

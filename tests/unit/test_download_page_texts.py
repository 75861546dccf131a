"""The download page's two "not there" answers read differently, in both languages.

"Deleted after the retention period" is final; "not available, please contact us" is a
fault on our side that the team can mend. The person reads no internal codes in either.
"""

from __future__ import annotations

import re

import pytest

from dsar.rendering import render_html

CONTEXT = {"privacy_email": "privacy@example.org", "reference": "DSAR-2026-000001", "max_attempts": 5}
INTERNAL = ("unavailable", "missing", "unreachable", "NoSuchKey", "retention_days", "artefact", "s3")


def notice(language: str, outcome: str) -> str:
    html = render_html(f"download/page.{language}.html.j2", {"lang": language, "outcome": outcome, **CONTEXT})
    found = re.findall(r'<p class="notice">(.*?)</p>', html, flags=re.S)
    assert len(found) == 1, html
    return " ".join(found[0].split())


@pytest.mark.parametrize("language", ["sv", "en"])
def test_deleted_and_not_available_are_told_apart(language: str) -> None:
    deleted, unavailable = notice(language, "deleted"), notice(language, "unavailable")
    assert deleted != unavailable
    assert CONTEXT["privacy_email"] in unavailable and CONTEXT["reference"] in unavailable
    for text in (deleted, unavailable):
        assert not any(code.lower() in text.lower() for code in INTERNAL), text


def test_each_language_says_it_in_its_own_words() -> None:
    assert "not available right now" in notice("en", "unavailable")
    assert "går inte att hämta just nu" in notice("sv", "unavailable")
    assert "raderar" in notice("sv", "deleted") and "delete" in notice("en", "deleted")

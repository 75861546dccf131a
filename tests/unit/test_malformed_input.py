"""Property-based hardening: thousands of hostile submissions are refused cleanly or kept
verbatim, and whatever is kept can never act as markup or template code."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from cli import UsageError, validate_submission
from dsar.privacy_notice import load_privacy_notice
from dsar.rendering import authority_view, render_html, render_mail
from tests.unit.test_privacy_notice import _context

FRAGMENTS = [
    "{{ 7*7 }}",
    "{% for x in range(3) %}x{% endfor %}",
    "<script>alert(1)</script>",
    "'; DROP TABLE requests; --",
    '" OR 1=1 --',
    "\r\nBcc: victim@example.com",
    "\x00",
    "\x1b[31m",
    "${jndi:ldap://x}",
    "../../etc/passwd",
    "Åsa Öberg-Ødegård",
]
hostile_text = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=20), max_size=6).map("".join),
    st.text(min_size=190, max_size=260),
)
emails = st.one_of(st.emails(), hostile_text, st.builds(lambda a, b: f"{a}@{b}", hostile_text, hostile_text))
FIELDS = ("RIGHTS", "--name", "--email", "--phone", "--customer-number", "--national-id", "--language",
          "--jurisdiction", "--channel", "--received")  # fmt: skip


def submit(**kwargs: Any) -> Any:
    base: dict[str, Any] = {
        "rights": ["access"], "name": "A", "email": "a@example.com", "phone": None,
        "customer_number": None, "national_id": None, "language": "en", "jurisdiction": "SE",
        "channel": "email", "received": "2026-11-20", "today": date(2026, 11, 25),
    }  # fmt: skip
    return validate_submission(**(base | kwargs))


@settings(max_examples=2500, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=hostile_text,
    email=emails,
    phone=st.none() | hostile_text,
    customer=st.none() | hostile_text,
    national_id=st.none() | hostile_text,
    received=st.sampled_from(["2026-11-20", "2026-13-01", "yesterday", "", "2026-11-26", "1900-01-01"]),
    rights=st.lists(st.sampled_from(["access", "erasure", "ACCESS", "", "{{x}}"]), max_size=3),
    jurisdiction=st.sampled_from(["SE", "GB", "gb", "XX", "", "<b>"]),
)
def test_every_submission_is_refused_cleanly_or_accepted_whole(
    name: str, email: str, phone: str | None, customer: str | None, national_id: str | None,
    received: str, rights: list[str], jurisdiction: str,
) -> None:  # fmt: skip
    try:
        sub = submit(
            name=name, email=email, phone=phone, customer_number=customer, national_id=national_id,
            received=received, rights=rights, jurisdiction=jurisdiction,
        )  # fmt: skip
    except UsageError as exc:
        field = str(exc).split(":", 1)[0]
        assert field in FIELDS, str(exc)
        return
    # Accepted: kept exactly (after Unicode normalisation and trimming), with no control characters.
    assert sub.subject.full_name == sub.subject.full_name.strip()
    assert not any(ord(ch) < 32 or ord(ch) == 127 for ch in sub.subject.full_name)
    assert "\n" not in sub.subject.email and "\r" not in sub.subject.email


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(name=hostile_text.filter(lambda s: s.strip() != ""), note=hostile_text)
def test_kept_values_never_act_as_markup_or_template_code(name: str, note: str) -> None:
    try:
        sub = submit(name=name)
    except UsageError:
        return
    kept = sub.subject.full_name
    mail = render_mail(
        "acknowledgement",
        "en",
        {
            "name": kept, "reference": "DSAR-2026-000001", "rights": ["access"],
            "received_on": date(2026, 11, 20), "due_on": date(2026, 12, 21),
            "authority": authority_view("SE", "en"), "privacy_email": "privacy@example.com",
        },
    )  # fmt: skip
    assert "\n" not in mail.subject and "\r" not in mail.subject
    # Verbatim, not evaluated as a template (the body is wrapped at 72 columns, so compared
    # with its line breaks folded).
    assert " ".join(f"Dear {kept},".split()) in " ".join(mail.body.split())
    context = _context(load_privacy_notice(), "en")
    context["subject_name"] = kept
    context["companies"][0].systems[0].categories[0].records[0]["note"] = note
    html = render_html("report/access_report.html.j2", context)
    assert str(escape(kept)) in html
    if "<script" in kept.lower() or "<script" in note.lower():
        assert html.lower().count("<script") == 0

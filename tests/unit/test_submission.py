"""Validation of a new request: every refusal names the field and the rule."""

from __future__ import annotations

from datetime import date

import pytest

from cli import UsageError, validate_submission
from dsar.domain import Right, parse_reference

GOOD = {
    "rights": ["access"],
    "name": "Astrid Lindqvist",
    "email": "Astrid.Lindqvist@Example.se",
    "phone": "070-123 45 67",
    "customer_number": None,
    "language": "sv",
    "jurisdiction": "se",
    "channel": "email",
    "received": "2026-11-20",
    "today": date(2026, 11, 25),
}


def test_a_good_submission_is_normalised() -> None:
    sub = validate_submission(**GOOD)  # type: ignore[arg-type]
    assert sub.rights == [Right.ACCESS]
    assert sub.subject.email == "astrid.lindqvist@example.se"
    assert sub.subject.phone == "+46701234567"
    assert sub.jurisdiction == "SE"


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        ({"rights": ["acess"]}, "RIGHTS", "unknown right 'acess'"),
        ({"email": "not-an-address"}, "--email", "not a valid e-mail address"),
        ({"email": "a@b"}, "--email", "not a valid e-mail address"),
        ({"phone": "12"}, "--phone", "phone number"),
        ({"name": "  "}, "--name", "must not be empty"),
        ({"name": "x" * 201}, "--name", "at most 200"),
        ({"name": "Eve\x07"}, "--name", "control characters"),
        # Direction controls: "Trojan Source" names that display as someone else's.
        ({"name": "Eve \u202eecilA"}, "--name", "text-direction control characters"),
        ({"name": "Eve\u2067Alice\u2069"}, "--name", "text-direction control characters"),
        ({"name": "\u200fEve"}, "--name", "text-direction control characters"),
        ({"language": "de"}, "--language", "'sv' or 'en'"),
        ({"jurisdiction": "XX"}, "--jurisdiction", "unknown jurisdiction"),
        ({"channel": "pigeon"}, "--channel", "Input should be"),
        ({"received": "2026-11-26"}, "--received", "cannot be in the future"),
        ({"received": "20/11/2026"}, "--received", "date like"),
        ({"rights": ["rectification"]}, "--correct", "at least one correction"),
        ({"rights": ["rectification"], "corrections": ["city"]}, "--correct", "FIELD=NEW VALUE"),
        ({"rights": ["rectification"], "corrections": ["shoe_size=44"]}, "--correct", "FIELD=NEW VALUE"),
        ({"rights": ["rectification"], "corrections": ["email=nope"]}, "--correct", "valid e-mail"),
        ({"rights": ["rectification"], "corrections": ["city=A", "city=B"]}, "--correct", "once"),
        ({"corrections": ["city=Uppsala"]}, "--correct", "only a rectification request"),
        ({"rights": ["objection"]}, "--objection-to", "direct marketing or to other"),
        ({"rights": ["objection"], "objection_to": "spam"}, "--objection-to", "Input should be"),
        ({"rights": ["objection"], "objection_to": "other"}, "--objection-to", "which processing"),
        ({"rights": ["portability"], "transmit_to": "ftp://x"}, "--transmit-to", "http(s) URL"),
        ({"transmit_to": "https://other.example/import"}, "--transmit-to", "only a portability"),
        ({"national_id": "780412-1238"}, "--national-id", "personnummer"),
        ({"national_id": "QQ12345"}, "--national-id", "National Insurance"),
    ],
)
def test_bad_input_names_field_and_rule(change: dict[str, object], field: str, rule: str) -> None:
    with pytest.raises(UsageError) as caught:
        validate_submission(**{**GOOD, **change})  # type: ignore[arg-type]
    message = str(caught.value)
    assert message.startswith(f"{field}:"), message
    assert rule in message, message


@pytest.mark.parametrize(
    ("given", "stored"),
    [("197804121239", "19780412-1239"), ("780412-1239", "19780412-1239"), ("qq 12 34 56 c", "QQ123456C")],
)
def test_national_ids_are_checked_and_normalised(given: str, stored: str) -> None:
    sub = validate_submission(**{**GOOD, "national_id": given})  # type: ignore[arg-type]
    assert sub.subject.national_id == stored


def test_every_right_is_accepted_with_its_details() -> None:
    sub = validate_submission(
        **{  # type: ignore[arg-type]
            **GOOD,
            "rights": ["rectification", "erasure", "objection", "portability", "consent_withdrawal"],
            "corrections": ["city=Uppsala", "email=New.Address@Example.se", "phone=070-123 45 68"],
            "objection_to": "direct_marketing",
            "transmit_to": "https://other-controller.example/import",
        }
    )
    assert [(c.field.value, c.value) for c in sub.corrections] == [
        ("city", "Uppsala"),
        ("email", "new.address@example.se"),
        ("phone", "+46701234568"),
    ]
    assert sub.objection is not None and sub.objection.scope.value == "direct_marketing"


def test_receipt_today_in_the_jurisdictions_zone_is_accepted() -> None:
    sub = validate_submission(**{**GOOD, "received": "2026-11-25"})  # type: ignore[arg-type]
    assert sub.received_on == date(2026, 11, 25)


@pytest.mark.parametrize("value", ["DSAR-2026-000042", " dsar-2026-000042 "])
def test_references_are_parsed(value: str) -> None:
    assert parse_reference(value) == "DSAR-2026-000042"


@pytest.mark.parametrize("value", ["DSAR-26-42", "dsar-2026-000042; DROP TABLE", "", "../etc"])
def test_bad_references_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="not a request reference"):
        parse_reference(value)

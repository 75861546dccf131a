"""Other people's data is found and redacted in collected records; the person's own is kept."""

from __future__ import annotations

import json

import pytest
from stdnum import iban, luhn

from bench.redaction_benchmark import failures, score
from bench.redaction_corpus import generate
from dsar.domain import SubjectIdentity
from dsar.redaction import Detector, Finding, Kind, finding_id, redact_record
from dsar.redaction.detector import resolve
from dsar.redaction.kinds import Hit

ASTRID = SubjectIdentity(
    full_name="Astrid Lindqvist",
    email="astrid.lindqvist@example.se",
    phone="+46701740605",
    customer_number="C-100001",
    national_id="19780412-1239",
)
KNOWN = ["Johan Berg", "Emma Clarke", "Lars Ek", "Astrid Lindqvist"]


@pytest.fixture(scope="module")
def detector() -> Detector:
    # These tests pin the rules for the group's known names and numbers; the lexicon rules
    # are tested in test_redaction_freetext.py.
    detector = Detector.for_subject(ASTRID, KNOWN, key=b"test-key")
    detector.lexicon_names = False
    return detector


def kinds(detector: Detector, text: str) -> list[tuple[Kind, str]]:
    return [(f.kind, text[f.start : f.end]) for f in detector.find(text)]


def _pnr(head: str, serial: str = "123") -> str:
    return f"{head}-{serial}{luhn.calc_check_digit(head + serial)}"


CENTENARIAN = _pnr("200101").replace("-", "+")  # aged 100 or more: "+" instead of "-"


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("Mejla johan.berg@example.com.", Kind.EMAIL, "johan.berg@example.com"),
        ("Ring honom på 070-174 06 07 i morgon.", Kind.PHONE, "070-174 06 07"),
        ("His mobile is +44 113 496 0001.", Kind.PHONE, "+44 113 496 0001"),
        ("UK landline 0113 496 0001 please", Kind.PHONE, "0113 496 0001"),
        ("Pnr " + _pnr("850709") + " saknas", Kind.PERSONNUMMER, _pnr("850709")),
        ("Pnr 19" + _pnr("850709") + ".", Kind.PERSONNUMMER, "19" + _pnr("850709")),
        ("Född 1920: " + CENTENARIAN, Kind.PERSONNUMMER, CENTENARIAN),
        ("Samordningsnummer " + _pnr("850769") + ".", Kind.PERSONNUMMER, _pnr("850769")),
        ("Leverantör 556036-0793 fakturerar", Kind.ORGNR, "556036-0793"),
        ("NI number QQ 12 34 56 C on file", Kind.NINO, "QQ 12 34 56 C"),
        ("NI number AB123456D on file", Kind.NINO, "AB123456D"),
        ("Pay to SE45 5000 0000 0583 9825 7466 TACK", Kind.IBAN, "SE45 5000 0000 0583 9825 7466"),
        ("Pay to GB29NWBK60161331926819 now", Kind.IBAN, "GB29NWBK60161331926819"),
        ("Card 4111 1111 1111 1111 declined", Kind.CARD, "4111 1111 1111 1111"),
        ("Amex 3782-822463-10005 used", Kind.CARD, "3782-822463-10005"),
        ("Kortet 5555555555554444 spärrat", Kind.CARD, "5555555555554444"),
    ],
)
def test_each_kind_is_found(detector: Detector, text: str, kind: Kind, value: str) -> None:
    assert kinds(detector, text) == [(kind, value)]


def test_personnummer_and_orgnr_are_told_apart_by_the_third_digit(detector: Detector) -> None:
    text = "Pnr " + _pnr("780412", "456") + " och org " + "556036-0793"
    assert [k for k, _ in kinds(detector, text)] == [Kind.PERSONNUMMER, Kind.ORGNR]


def test_known_names_in_any_case_with_possessives(detector: Detector) -> None:
    text = "JOHAN BERG ringde. Johan Bergs chef och emma clarke's team; Lars  Ek också. Johan Bergström inte."
    found = kinds(detector, text)
    assert found == [
        (Kind.NAME, "JOHAN BERG"),
        (Kind.NAME, "Johan Berg"),
        (Kind.NAME, "emma clarke"),
        (Kind.NAME, "Lars  Ek"),
    ]
    redacted, _, _ = detector.redact_text(text)
    assert "[redacted: name]s chef" in redacted and "[redacted: name]'s team" in redacted


def test_own_identifiers_are_never_redacted(detector: Detector) -> None:
    text = (
        "Astrid Lindqvist (ASTRID.LINDQVIST@example.se, 070-174 06 05, +46 70 174 06 05, 0701740605, "
        "780412-1239, 19780412-1239, 197804121239, kund C-100001). astrid lindqvists ärende."
    )
    assert detector.find(text) == []


def test_a_shorter_known_name_inside_the_own_name_is_not_reported() -> None:
    detector = Detector.for_subject(ASTRID, ["Astrid Lind", "Lindqvist"])
    assert detector.find("Hälsningar Astrid Lindqvist") == []


@pytest.mark.parametrize(
    "text",
    [
        "Pnr 780412-1238 är fel",  # wrong check digit
        "Card 4111 1111 1111 1112 declined",  # fails Luhn
        "Testkort 4859 2472 0609 0078 gick inte",  # fails Luhn; its tail is no phone number
        "Pay to SE46 5000 0000 0583 9825 7466",  # wrong IBAN check digits
        "Org 556036-0794",
        "Order ORD-2026-004512, invoice INV-2026-00042, #48213977, order 02107924",
        "Datum 2026-10-14, 14/10/2026, 09.02.2026, 20261014; belopp 12 500,00 kr och £1,249.99",
        "NI number ZZ123456A is not allocated",
        "Luhn-valid but no issuer: 1234 5678 9012 3452",
    ],
)
def test_look_alikes_are_not_flagged(detector: Detector, text: str) -> None:
    assert detector.find(text) == []


def test_digits_of_an_iban_or_card_are_not_also_a_phone_number(detector: Detector) -> None:
    bban = "50000000058398257466"
    number = "SE" + iban.calc_check_digits("SE00" + bban) + bban
    text = f"Konto {number} och kort 4111-1111-1111-1111"
    assert [k for k, _ in kinds(detector, text)] == [Kind.IBAN, Kind.CARD]
    redacted, _, _ = detector.redact_text(text)
    assert redacted == "Konto [redacted: bank account number] och kort [redacted: payment card number]"


def test_a_checksummed_number_wins_over_the_phone_number_its_digits_also_make(detector: Detector) -> None:
    # 010-325 12 37 is a valid Swedish number, and 0103251237 a valid personnummer (2001).
    assert kinds(detector, "Personnummer 0103251237.") == [(Kind.PERSONNUMMER, "0103251237")]
    # A bare 07... mobile number that also passes as a samordningsnummer is read as a phone.
    mobile = "0701740607"
    assert kinds(detector, f"Ring {mobile}") == [(Kind.PHONE, mobile)]


def test_overlapping_findings_merge_to_the_most_specific_then_longest() -> None:
    hits = [
        Hit(Kind.PHONE, 5, 20, "", ""),
        Hit(Kind.IBAN, 0, 30, "", ""),
        Hit(Kind.CARD, 10, 40, "", ""),  # overlaps the IBAN, shorter: loses
        Hit(Kind.PHONE, 45, 55, "", ""),
        Hit(Kind.NAME, 50, 60, "", ""),  # beats the phone it overlaps
    ]
    assert [(h.kind, h.start) for h in resolve(hits)] == [(Kind.IBAN, 0), (Kind.NAME, 50)]


def test_record_is_walked_and_paths_and_reasons_recorded(detector: Detector) -> None:
    record = {
        "subject": "Lönemodulen",
        "body": "Min kollega Lars Ek (070-174 06 08) har samma problem.",
        "replies": [{"text": "Ring Johan Berg på johan.berg@example.com"}, {"text": "Tack!"}],
        "meta": {"odd key": "emma.clarke@example.org", "count": 3},
    }
    result = redact_record(record, detector)
    expected = "Min kollega [redacted: name] ([redacted: phone number]) har samma problem."
    assert result.record["body"] == expected
    assert result.record["replies"][1] == {"text": "Tack!"}
    assert result.record["meta"] == {"odd key": "[redacted: e-mail address]", "count": 3}
    assert record["body"].startswith("Min kollega Lars Ek")  # the input is left alone
    paths = {(f.path, f.kind) for f in result.findings}
    assert ("$.replies[0].text", Kind.EMAIL) in paths
    assert ("$.meta['odd key']", Kind.EMAIL) in paths
    assert all(f.reason.endswith("of another person") for f in result.findings if f.kind is Kind.PHONE)


def test_findings_carry_no_raw_value(detector: Detector) -> None:
    values = ["Lars Ek", "070-174 06 08", "+46701740608", "johan.berg@example.com", "556036-0793"]
    text = "Lars Ek, 070-174 06 08, johan.berg@example.com, 556036-0793"
    result = redact_record({"body": text}, detector)
    dumped = json.dumps([f.__dict__ for f in result.findings], default=str).lower()
    assert len(result.findings) == 4
    for value in values:
        assert value.lower() not in dumped
    assert all(f.fingerprint and len(f.fingerprint) == 32 for f in result.findings)
    # Without a key there is no fingerprint at all: an unkeyed hash of a number is reversible.
    assert all(f.fingerprint is None for f in Detector.for_subject(ASTRID, KNOWN).find(text))


def test_finding_ids_are_stable_and_a_reviewer_can_keep_one(detector: Detector) -> None:
    record = {"body": "Ring Lars Ek på 070-174 06 08."}
    first = redact_record(record, detector)
    again = redact_record(record, detector)
    assert [f.id for f in first.findings] == [f.id for f in again.findings]
    name = next(f for f in first.findings if f.kind is Kind.NAME)
    assert name.id == finding_id("$.body", Kind.NAME, name.start, name.end)

    kept = redact_record(record, detector, keep={name.id})
    assert kept.record["body"] == "Ring Lars Ek på [redacted: phone number]."
    assert [f.id for f in kept.kept] == [name.id]
    assert name.id not in {f.id for f in kept.findings}


def test_a_reviewer_can_keep_a_value_everywhere_by_fingerprint(detector: Detector) -> None:
    record = {"a": "Växeln 08-123 456 78", "b": ["Ring växeln på 08-123 456 78"]}
    first = redact_record(record, detector)
    fingerprints = {f.fingerprint for f in first.findings}
    assert len(first.findings) == 2 and len(fingerprints) == 1
    kept = redact_record(record, detector, keep={f for f in fingerprints if f})
    assert kept.record == record and len(kept.kept) == 2


def test_finding_is_frozen() -> None:
    finding = Finding("f-1", Kind.NAME, "$.a", 0, 1, "r", "[redacted: name]")
    with pytest.raises(AttributeError):
        finding.start = 2  # type: ignore[misc]


def test_small_corpus_meets_the_thresholds() -> None:
    corpus = generate(300, seed=7)
    scores = score(corpus)
    assert failures(scores) == []
    assert scores["overall"].recall >= 0.97
    assert scores["overall"].precision >= 0.97
    for kind in ("personnummer", "orgnr", "iban", "card"):
        assert scores[kind].recall == 1.0 and scores[kind].precision >= 0.98

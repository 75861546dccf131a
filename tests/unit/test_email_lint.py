"""Every e-mail template, rendered in each of its languages with a realistic context and
built into the message that is sent (`activities._smtp.compose`), passes a linter:

- headers stay on one line when short, and the subject reads back without a leading space;
- body lines are at most 72 columns (a single unbreakable word, a link, may stand alone);
- the body is in the request's language only (no English sentence in a Swedish letter,
  no Swedish one in an English letter);
- the Swedish and English versions carry the same facts: the same numbers, links and
  addresses;
- an English letter names the supervisory authority with its article ("the Swedish
  Authority for Privacy Protection (IMY)").
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from activities._smtp import compose
from dsar.domain import SubjectIdentity
from dsar.group import load_group
from dsar.letters.action_labels import MANUAL_INSTRUCTIONS, MANUAL_VERBS, RECIPIENT_ASK, RECIPIENT_DONE
from dsar.letters.action_views import RecipientView, action_views, system_names
from dsar.messages.actions import Action
from dsar.rendering import MAIL_WIDTH, TEMPLATES_DIR, authority_view, render_mail

REFERENCE = "DSAR-2026-000123"
LINK = "https://dsar.example/d/eyJhbGciOiJIUzI1NiJ9.eyJsaW5rIjoiNDIifQ.c2lnbmF0dXJlLW9mLXRoZS1saW5r"
PERSON = SubjectIdentity(
    full_name="Anna Andersson",
    email="anna.andersson@example.se",
    phone="+46701740699",
    customer_number="C-100777",
)
BOOKKEEPING = "Bokföringslagen (1999:1078) 7 kap. 2 §"
KINDS = sorted({p.name.split(".")[0] for p in (TEMPLATES_DIR / "email").glob("*.txt.j2")})


def _languages(kind: str) -> list[str]:
    return [lang for lang in ("sv", "en") if (TEMPLATES_DIR / "email" / f"{kind}.{lang}.txt.j2").exists()]


CASES = [(kind, lang) for kind in KINDS for lang in _languages(kind)]
PAIRS = [kind for kind in KINDS if len(_languages(kind)) == 2]


def _outcome_rows(language: str) -> list[dict[str, Any]]:
    # The team writes the sentence for the person in the person's language.
    for_person = (
        "Pärmen innehåller ingen anmälningslista med dina uppgifter."
        if language == "sv"
        else "The binder holds no sign-up sheet with your details."
    )
    return [
        {
            "company": "se01", "system": "billing", "action": "erase", "status": "done", "changed": 3,
            "fields": [], "recipients": [], "note": "7 row(s) kept under a retention duty are now restricted",
            "note_for_person": None,
            "kept": [{"category": "billing", "items": 7, "legal_basis": BOOKKEEPING, "until": "2033-12-31"}],
        },
        {
            "company": "gb01", "system": "support", "action": "erase", "status": "done", "changed": 0,
            "fields": [], "recipients": [], "note": "legal hold: nothing erased", "note_for_person": None,
            "kept": [{"category": "support", "items": 4, "legal_basis": "legal hold: case 2026-17 vs ACME"}],
        },
        {
            "company": "gb01", "system": "signups", "action": "erase", "status": "not_applicable",
            "changed": 0, "fields": [], "recipients": [], "kept": [], "note": "no sheets for him",
            "note_for_person": for_person,
        },
        {
            "company": "gb01", "system": "crm", "action": "erase", "status": "done", "changed": 0,
            "fields": [], "recipients": [], "kept": [], "note": None, "note_for_person": None,
        },
    ]  # fmt: skip


def context(kind: str, language: str) -> dict[str, Any]:
    registry = load_group()
    base: dict[str, Any] = {
        "reference": REFERENCE,
        "name": PERSON.full_name,
        "rights": ["access", "erasure"],
        "received_on": date(2026, 11, 20),
        "due_on": date(2026, 12, 21),
        "authority": authority_view("SE", language),
        "privacy_email": "europe-privacy@ecisolutions.com",
        "occasion": "",
        "text": "",
        "status": "review",
        "extended": False,
        "code": "483 921",
        "link": LINK,
        "expires_on": date(2026, 12, 18),
        "expires_at": "18 December 2026, 10:30" if language == "en" else "18 december 2026 kl. 10:30",
        "minutes": 30,
        "max_attempts": 5,
        "link_days": 14,
        "retention_days": 30,
        "person": PERSON,
        "system": "gb01/signups",
    }
    if kind == "outcome":
        base |= {
            "actions": action_views(_outcome_rows(language), registry, language),
            "other_rights": ["Radering" if language == "sv" else "Erasure"],
            "recipients_told": [
                RecipientView("Stripe Payments Europe Ltd", "Payment providers", ["Erasure"])
            ],
            "objection": False,
            "objection_upheld": None,
            "suppressed": False,
            "restricted": False,
            "consent_withdrawn": False,
            "group_name": "ECI Software Solutions Europe Holdings Limited",
        }
    if kind == "restriction_lift":
        base["restricted_in"] = [system_names(registry, "se01", "crm", language)]
        base["text"] = (
            "Vi har nu kontrollerat att uppgifterna är riktiga."
            if language == "sv"
            else "The accuracy of the data has now been checked."
        )
    if kind in ("manual_action",):
        base |= {
            "action": "erase",
            "verb": MANUAL_VERBS[Action.ERASE],
            "instruction": MANUAL_INSTRUCTIONS[Action.ERASE],
            "reminder": False,
            "company_name": "ECI Software Solutions Europe Holdings Limited",
            "system_name": "Trade-fair sign-up sheets (paper binder)",
        }
    if kind == "recipient_notice":
        recipient = registry.recipient("stripe")
        base |= {
            "recipient": recipient,
            "actions": [Action.ERASE],
            "done": [RECIPIENT_DONE[Action.ERASE]],
            "asks": [RECIPIENT_ASK[Action.ERASE]],
            "rectified_fields": [],
            "companies": ["Skärgården Affärssystem AB"],
            "controller": "ECI Software Solutions Europe Holdings Limited",
            "group_name": registry.name,
        }
    if kind == "team_reminders":
        row = {"reference": REFERENCE, "rights": ["access", "erasure"], "status": "review", "extended": True}
        base |= {
            "jurisdiction": "SE",
            "day": date(2026, 12, 7),
            "count": 2,
            "by_due": [
                (date(2026, 12, 8), 1, [row]),
                (date(2026, 12, 14), 7, [row | {"reference": "DSAR-2026-000124", "extended": False}]),
            ],
        }
    return base


def sent_bytes(kind: str, language: str) -> tuple[bytes, str, str]:
    mail = render_mail(kind, language, context(kind, language))
    message = compose(
        mail,
        sender="ECI privacy team <europe-privacy@ecisolutions.com>",
        to=PERSON.email,
        message_id="<0123456789abcdef@dsar.local>",
        headers={"X-DSAR-Reference": REFERENCE, "X-DSAR-Kind": kind},
    )
    return message.as_bytes(), mail.subject, mail.body


@pytest.mark.parametrize(("kind", "language"), CASES)
def test_headers_are_unfolded_and_the_subject_has_no_leading_space(kind: str, language: str) -> None:
    raw, subject, _ = sent_bytes(kind, language)
    head = raw.split(b"\n\n", 1)[0].decode("ascii")
    for line in head.split("\n"):
        assert not line[:1].isspace(), f"folded header line {line!r}"
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == subject
    assert not str(parsed["Subject"])[:1].isspace()


@pytest.mark.parametrize(("kind", "language"), CASES)
def test_body_lines_are_at_most_72_columns(kind: str, language: str) -> None:
    _, _, body = sent_bytes(kind, language)
    for line in body.splitlines():
        if len(line) > MAIL_WIDTH:
            assert " " not in line.strip(), f"{kind}.{language}: {len(line)} columns: {line!r}"


ENGLISH_WORDS = re.compile(r"\b(the|and|your|you|we|with|please|request)\b")
SWEDISH_WORDS = re.compile(r"\b(och|din|dina|vi|att|som|för|med|eller)\b")


@pytest.mark.parametrize(("kind", "language"), CASES)
def test_the_body_is_in_the_requests_language_only(kind: str, language: str) -> None:
    ctx = context(kind, language)
    _, subject, body = sent_bytes(kind, language)
    text = f"{subject}\n{body}"
    # The values come from elsewhere (a law's Swedish name, a company's): take them out.
    for value in (BOOKKEEPING, "Skärgården Affärssystem AB", LINK):
        text = text.replace(value, "")
    if language == "sv":
        found = ENGLISH_WORDS.findall(text.replace(ctx["authority"].website, ""))
        assert not found, f"{kind}.sv has English words {found}"
    else:
        found = SWEDISH_WORDS.findall(text)
        assert not found, f"{kind}.en has Swedish words {found}"


def _facts(text: str) -> set[str]:
    """The numbers, links and addresses a letter states: what both versions must carry."""
    links = set(re.findall(r"https?://\S+?(?=[\s),]|$)", text))
    addresses = set(re.findall(r"[\w.+-]+@[\w-]+\.[\w.-]+\w", text))
    stripped = text
    for item in links | addresses:
        stripped = stripped.replace(item, " ")
    return links | addresses | set(re.findall(r"\d+", stripped))


@pytest.mark.parametrize("kind", PAIRS)
def test_swedish_and_english_versions_carry_the_same_facts(kind: str) -> None:
    facts = {}
    for language in ("sv", "en"):
        _, subject, body = sent_bytes(kind, language)
        facts[language] = _facts(f"{subject}\n{body}")
    assert facts["sv"] == facts["en"], (
        f"{kind}: only sv {facts['sv'] - facts['en']}, only en {facts['en'] - facts['sv']}"
    )


@pytest.mark.parametrize(("kind", "language"), [c for c in CASES if c[1] == "en"])
def test_the_authority_is_named_with_its_article(kind: str, language: str) -> None:
    _, _, body = sent_bytes(kind, language)
    name = authority_view("SE", "en").name
    folded = " ".join(body.split())
    for match in re.finditer(re.escape(name), folded):
        before = folded[: match.start()]
        assert before.endswith(("the ", "authority, ")), f"{kind}: ...{before[-30:]}{name}"


def test_a_subject_that_would_fold_right_after_the_colon_reads_back_whole() -> None:
    """The case the default policy got wrong: a 77-column subject with no early break."""
    mail = render_mail("manual_task", "en", context("manual_task", "en"))
    message = compose(mail, sender="a@example.com", to="b@example.com", message_id="<x@dsar.local>")
    raw = message.as_bytes()
    assert b"Subject: Request " in raw
    assert message_from_bytes(raw, policy=policy.default)["Subject"] == mail.subject


def test_every_template_is_linted() -> None:
    names = {p.name for p in Path(TEMPLATES_DIR / "email").glob("*.txt.j2")}
    assert {f"{k}.{lang}.txt.j2" for k, lang in CASES} == names
    _ = datetime.now(UTC)


@pytest.mark.parametrize(("kind", "language"), CASES)
def test_paragraphs_wrap_evenly(kind: str, language: str) -> None:
    """No sentence broken early: where a line stops mid-sentence, the next word would not
    have fitted on it (the "short remainder" a template wrapped at another width leaves)."""
    _, _, body = sent_bytes(kind, language)
    lines = body.splitlines()
    for line, following in pairwise(lines):
        if len(line) < MAIL_WIDTH // 2 or not following.strip():
            continue  # a short line is a deliberate break (a heading, a signature)
        if line.rstrip().endswith((".", ":", "!", "?", ",")) or line[:1].isspace() or following[:1].isspace():
            continue  # a sentence's end, or an indented block laid out by hand
        word = following.split()[0]
        assert len(line.rstrip()) + 1 + len(word) > MAIL_WIDTH, f"{kind}.{language}: {line!r} / {following!r}"

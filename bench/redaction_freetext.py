"""A second labelled corpus, written independently of the detector: free text as people write it.

The first corpus (`bench.redaction_corpus`) was written alongside the detector and quotes
only names the group knows. This one was written from the list of what a reviewer found
missed in real tickets (issue #17), before any rule was tuned: support tickets, e-mails with
signatures and quoted replies, chat logs, CRM notes and invoices, Swedish and English, several
identifiers a row, and traps (company, product and place names, dates, times, amounts, order
and ticket numbers) that must stay.

Names are held out from the detector: they come from Faker's locale lists and from short
hand-written lists below for the populations Faker has only in other scripts (Arabic,
Persian, Somali, Greek, Chinese), never from the detector's lexicon, and the detector is
never given them as known names. A fixed seed makes the corpus the same in every run.

Labels mark other people's identifiers by kind; `keep` spans mark the person's own data
("own") and non-personal values ("trap"). Scoring (`bench.redaction_score`) counts a label
as found when every letter and digit of it is inside some finding, so detectors whose spans
or kind names differ (Presidio's) are scored alike.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from bench.redaction_freetext_values import COMPANIES, PLACES, PRODUCTS, SEED, Values
from dsar.domain import SubjectIdentity

__all__ = ["OWN", "SEED", "Row", "Span", "generate"]

# The requesting person: her own data appears in the text and must all stay.
OWN = SubjectIdentity(
    full_name="Lovisa Bergkvist",
    email="lovisa.bergkvist@example.se",
    phone="+46703318842",
    customer_number="K-558210",
    national_id="19810923-4404",
    postcode="41664",
)
OWN_ADDRESS = "Vallgatan 14B, 416 64 Göteborg"
OWN_DOB = ("1981-09-23", "23 September 1981", "23.09.1981")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str  # a Kind value for labels; "own" or "trap" for what must stay


@dataclass(frozen=True)
class Row:
    text: str
    labels: tuple[Span, ...]
    keep: tuple[Span, ...]
    shape: str


class _Text:
    """Builds a row piece by piece, remembering where each labelled value went."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.at = 0
        self.labels: list[Span] = []
        self.keep: list[Span] = []

    def add(self, text: str, kind: str | None = None) -> _Text:
        if kind is not None:
            target = self.keep if kind in ("own", "trap") else self.labels
            target.append(Span(self.at, self.at + len(text), kind))
        self.parts.append(text)
        self.at += len(text)
        return self

    def row(self, shape: str) -> Row:
        return Row("".join(self.parts), tuple(self.labels), tuple(self.keep), shape)


Piece = Callable[[_Text, Values], None]


def _other(t: _Text, v: Values, kind: str, en: bool) -> None:
    """One identifier of another person, in a phrase of its own."""
    given, surname = v.person()
    if kind == "email":
        t.add(" Mail " if not en else " Write to ").add(v.email(given, surname), "email").add(".")
    elif kind == "phone":
        t.add(" Ring " if not en else " Call back on ").add(v.phone(), "phone").add(".")
    elif kind == "personnummer":
        t.add(" Medsökandes pnr " if not en else " Co-applicant's personnummer ").add(
            v.personnummer(), "personnummer"
        ).add(".")
    elif kind == "orgnr":
        t.add(" Momsreg.nr " if not en else " His firm's VAT no. ").add(v.orgnr(), "orgnr").add(".")
    elif kind == "nino":
        t.add(" Her NI number: " if en else " NI-nummer: ").add(v.nino(), "nino").add(".")
    elif kind == "iban":
        t.add(" Refund went to " if en else " Återbetalning till ").add(v.iban(), "iban").add(" by mistake.")
    elif kind == "card":
        t.add(" Card used: " if en else " Kortet som användes: ").add(v.card(), "card").add(".")
    elif kind == "address":
        t.add(" Deliver to her neighbour at " if en else " Leverera till grannen på ").add(
            v.address(), "address"
        ).add(".")
    elif kind == "vehicle":
        t.add(" Reg " if en else " Bilen med reg.nr ").add(v.vehicle(), "vehicle").add(
            " blocked the gate." if en else " stod i vägen."
        )
    elif kind == "ip":
        t.add(" Login from " if en else " Inloggning från ").add(v.ip(), "ip").add(".")
    elif kind == "dob":
        word = (
            v.rng.choice(("DOB", "born", "date of birth:"))
            if en
            else v.rng.choice(("född", "f.", "födelsedatum"))
        )
        t.add(f" Son {given} " if not en else f" Her son {given} ").labels.append(
            Span(t.at - len(given) - 1, t.at - 1, "name")
        )
        t.add(f"{word} ").add(v.dob(), "dob").add(".")


def _name(t: _Text, v: Values, en: bool) -> None:
    """A name in one of the ways the issue lists: given alone, title, initials, inverted, possessive."""
    given, surname = v.person()
    style = v.rng.randrange(15)
    if style == 0:
        t.add(" Please ask " if en else " Fråga ").add(given, "name").add(
            " in billing." if en else " på ekonomi."
        )
    elif style == 1:
        title = (
            v.rng.choice(("Dr.", "Dr", "Mr", "Mrs", "Ms."))
            if en
            else v.rng.choice(("fru", "herr", "Dr.", "Fru"))
        )
        t.add(f" Spoke to {title} " if en else f" Pratade med {title} ").add(surname, "name").add(
            " today." if en else " idag."
        )
    elif style == 2:
        t.add(" Approved by " if en else " Godkänt av ").add(f"{given[0]}. {surname}", "name").add(".")
    elif style == 3:
        t.add(" Contact: " if en else " Kontakt: ").add(f"{surname}, {given}", "name").add(".")
    elif style == 4:
        t.add(" ").add(given, "name").add("'s mother called." if en else "s mamma ringde.")
    elif style == 5:
        t.add(" My colleague " if en else " Min kollega ").add(f"{given} {surname}", "name").add(
            " has the keys." if en else " har nycklarna."
        )
    elif style == 6:
        t.add(" cc ").add(f"{given} {surname}", "name").add(",")
    elif style == 7:
        t.add(" ").add(given, "name").add(" said it was fine." if en else " sa att det var okej.")
    elif style == 8:
        t.add(" Handled by " if en else " Handläggare: ").add(f"{given} {surname}", "name").add(".")
    elif style == 9:
        t.add(" Thanks to " if en else " Tack till ").add(given, "name").add(
            " for the help." if en else " för hjälpen."
        )
    elif style == 10:
        other, _ = v.person()
        t.add(" ").add(given, "name").add(" and " if en else " och ").add(other, "name")
        t.add(" from the warehouse came by." if en else " från lagret kom förbi.")
    elif style == 11:
        t.add(" According to " if en else " Enligt ").add(f"{given} {surname}", "name")
        t.add(", the box was empty." if en else " var lådan tom.")
    elif style == 12:
        t.add(" Her husband, " if en else " Hennes man, ").add(given, "name")
        t.add(", picked it up." if en else ", hämtade det.")
    elif style == 13:
        t.add(" Spoke with " if en else " Talade med ").add(f"{given} {surname}", "name")
        t.add(" (her brother) by phone." if en else " (hennes bror) per telefon.")
    else:
        t.add("\n– " if en else "\n/").add(given, "name").add("\n")


def _own(t: _Text, v: Values, en: bool) -> None:
    pick = v.rng.randrange(6)
    if pick == 0:
        t.add(" Customer lives at " if en else " Kunden bor på ").add(OWN_ADDRESS, "own").add(".")
    elif pick == 1:
        t.add(" Customer DOB " if en else " Kunden född ").add(v.rng.choice(OWN_DOB), "own").add(".")
    elif pick == 2:
        t.add(" Reach Lovisa on " if en else " Nå Lovisa på ").add("070-331 88 42", "own").add(".")
    elif pick == 3:
        t.add(" Customer: ").add("Lovisa Bergkvist", "own").add(" (").add(
            "lovisa.bergkvist@example.se", "own"
        ).add(").")
    elif pick == 4:
        t.add(" Pnr ").add("19810923-4404", "own").add(".")
    else:
        t.add(" Kundnr ").add("K-558210", "own").add(".")


def _traps(t: _Text, v: Values, en: bool) -> None:
    t.add(" Re: " if v.rng.random() < 0.5 else " ").add(v.trap(), "trap").add(", ").add(v.trap(), "trap").add(
        "."
    )


_KINDS = (
    "email",
    "phone",
    "personnummer",
    "orgnr",
    "nino",
    "iban",
    "card",
    "address",
    "vehicle",
    "ip",
    "dob",
)


def _body(t: _Text, v: Values, en: bool, identifiers: int) -> None:
    for _ in range(identifiers):
        if v.rng.random() < 0.4:
            _name(t, v, en)
        else:
            _other(t, v, v.rng.choice(_KINDS), en)
        if v.rng.random() < 0.5:
            _traps(t, v, en)
        if v.rng.random() < 0.3:
            _own(t, v, en)


def _ticket(v: Values, en: bool) -> Row:
    t = _Text().add(f"[{v.reference() if v.rng.random() < 0.5 else 'Ticket'}] ")
    t.add("Note ").add(v.when(), "trap").add(" ")
    t.add("Customer reports a problem with " if en else "Kunden har problem med ").add(
        v.rng.choice(PRODUCTS), "trap"
    ).add(".")
    _body(t, v, en, v.rng.randint(2, 4))
    return t.row("ticket")


def _email(v: Values, en: bool) -> Row:
    given, surname = v.person()
    t = (
        _Text()
        .add("From: " if en else "Från: ")
        .add(f"{given} {surname}", "name")
        .add(" <")
        .add(v.email(given, surname), "email")
        .add(">\n")
    )
    t.add("Subject: " if en else "Ämne: ").add("Order ").add(v.reference(), "trap").add("\n\n")
    t.add("Hi,\n" if en else "Hej,\n")
    _body(t, v, en, v.rng.randint(1, 3))
    t.add("\n\nBest regards,\n" if en else "\n\nMed vänliga hälsningar\n")
    sign_given, sign_surname = v.person()
    t.add(f"{sign_given} {sign_surname}", "name").add("\n")
    t.add(v.rng.choice(("Customer Success", "Säljare", "Account Manager", "Inköp"))).add(" | ").add(
        v.rng.choice(COMPANIES), "trap"
    ).add("\n")
    t.add("Mob: " if v.rng.random() < 0.5 else "Tel. ").add(v.phone(), "phone").add("\n")
    if v.rng.random() < 0.6:
        q_given, q_surname = v.person()
        when = v.when()
        t.add("\nOn " if en else "\nDen ").add(when, "trap").add(", " if en else " skrev ").add(
            f"{q_given} {q_surname}", "name"
        )
        t.add(" wrote:\n> " if en else ":\n> ")
        _body(t, v, en, 1)
    return t.row("email")


def _chat(v: Values, en: bool) -> Row:
    t = _Text()
    agent_given, _ = v.person()
    for i in range(v.rng.randint(2, 4)):
        t.add(f"[{v.rng.randint(8, 20):02d}:{v.rng.randint(0, 59):02d}] ")
        if i % 2:
            t.add(agent_given, "name").add(": ")
        else:
            t.add("Lovisa", "own").add(": ")
        _body(t, v, en, 1)
        t.add("\n")
    return t.row("chat")


def _crm(v: Values, en: bool) -> Row:
    t = _Text().add("CRM note ").add(v.when(), "trap").add(" – ")
    t.add("Meeting at " if en else "Möte hos ").add(v.rng.choice(COMPANIES), "trap").add(
        " in " if en else " i "
    ).add(v.rng.choice(PLACES), "trap").add(".")
    _body(t, v, en, v.rng.randint(2, 4))
    return t.row("crm")


def _invoice(v: Values, en: bool) -> Row:
    given, surname = v.person()
    t = _Text().add("INVOICE " if en else "FAKTURA ").add(f"F{v.digits(7)}", "trap").add("\n")
    t.add("Bill to: " if en else "Fakturamottagare: ").add(f"{given} {surname}", "name").add("\n").add(
        v.address(), "address"
    ).add("\n")
    t.add("Amount due " if en else "Att betala ").add(v.amount(), "trap").add(
        " by " if en else " senast "
    ).add(v.when(), "trap").add("\n")
    t.add("Seller: " if en else "Säljare: ").add(v.rng.choice(COMPANIES), "trap").add("\n")
    _body(t, v, en, v.rng.randint(1, 2))
    return t.row("invoice")


_SHAPES = (_ticket, _email, _chat, _crm, _invoice)


def generate(count: int = 1500, seed: int = SEED) -> list[Row]:
    rng = random.Random(seed)
    values = Values(rng)
    return [rng.choice(_SHAPES)(values, rng.random() < 0.5) for _ in range(count)]

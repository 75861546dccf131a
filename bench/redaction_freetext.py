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
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import phonenumbers
from faker import Faker
from stdnum import iban, luhn

from dsar.domain import _NINO, SubjectIdentity

SEED = 17_2026

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

_LOCALES = (
    "sv_SE",
    "da_DK",
    "fi_FI",
    "en_GB",
    "en_IE",
    "pl_PL",
    "tr_TR",
    "hr_HR",
    "es_ES",
    "en_IN",
    "de_DE",
    "it_IT",
    "nl_NL",
    "hu_HU",
    "sl_SI",
)
# Romanised names as people in Sweden and the UK write them (not taken from any lexicon file).
_HAND = {
    "arabic": (
        "Yousef Haddad",
        "Layla Mansour",
        "Omar Khalil",
        "Rania Saleh",
        "Tariq Nasser",
        "Huda Karim",
        "Bilal Qasim",
        "Noor Hamdan",
        "Samir Barakat",
        "Amal Ibrahim",
        "Khaled Azzam",
        "Mariam Darwish",
    ),
    "persian": (
        "Dariush Tehrani",
        "Shirin Moradi",
        "Babak Rahimi",
        "Parisa Jafari",
        "Reza Karimi",
        "Nasrin Ahmadi",
        "Kian Sadeghi",
        "Leila Hosseini",
        "Farhad Rostami",
        "Mina Ghorbani",
    ),
    "somali": (
        "Abdirahman Warsame",
        "Hodan Farah",
        "Ayaan Hirsi",
        "Mahad Jama",
        "Faadumo Abdi",
        "Liban Egal",
        "Sahra Nur",
        "Abdullahi Dirie",
        "Ifrah Osman",
        "Guled Hassan",
    ),
    "greek": (
        "Nikos Papadopoulos",
        "Eleni Georgiou",
        "Dimitris Konstantinou",
        "Katerina Nikolaidou",
        "Giorgos Pappas",
        "Sofia Antonopoulou",
        "Yannis Vlachos",
        "Despina Karagianni",
    ),
    "chinese": (
        "Wei Zhang",
        "Li Na Wang",
        "Jun Chen",
        "Xiao Liu",
        "Mei Huang",
        "Hao Zhou",
        "Yan Wu",
        "Ming Xu",
        "Lin Zhao",
        "Qiang Sun",
    ),
}
_DOMAINS = ("example.com", "example.org", "post.example.se", "mail.example.co.uk", "example.net")
_COMPANIES = (
    "John Lewis",
    "Marks & Spencer",
    "Clas Ohlson",
    "Lindex AB",
    "Nordic Freight Ltd",
    "Brightwater plc",
    "Dansk Logistik A/S",
    "Van Dijk B.V.",
    "Müller Technik GmbH",
    "Kesko Oy",
    "Fjord Data AS",
    "Acme Inc",
    "Sainsbury's",
    "Hemköp",
    "Ben Sherman Ltd",
    "Jack Wills",
    "Ted Baker plc",
    "Paul Smith Ltd",
    "Karen Millen",
    "Stena Line",
    "Jernhusen AB",
)
_PRODUCTS = (
    "iPhone 15 Pro",
    "Galaxy S23",
    "ThinkPad X1 Carbon",
    "Model Y",
    "Kindle Paperwhite",
    "Sonos Era 100",
    "Bosch Serie 6",
    "PlayStation 5",
    "Microsoft Teams",
    "Jira",
    "Dyson V15",
    "AirPods Pro",
    "Volvo XC60",
    "Philips Hue",
    "Nintendo Switch",
)
_PLACES = (
    "Malmö",
    "Göteborg",
    "Uppsala",
    "Leeds",
    "Manchester",
    "Bristol",
    "Norrköping",
    "Helsingborg",
    "Kista",
    "Lund",
    "Cardiff",
    "Edinburgh",
    "Jönköping",
    "Sundsvall",
    "Birmingham",
    "Solna",
)
_STREETS_SE = (
    "Storgatan",
    "Kungsgatan",
    "Drottninggatan",
    "Sveavägen",
    "Linnégatan",
    "Järnvägsgatan",
    "Skolgatan",
    "Björkvägen",
    "Parkvägen",
    "Östra Hamngatan",
    "Stora Nygatan",
    "Tallstigen",
)
_STREETS_UK = (
    "High Street",
    "Station Road",
    "Church Lane",
    "Victoria Road",
    "Mill Lane",
    "Park Avenue",
    "Kings Road",
    "Queen's Drive",
    "Elm Grove",
    "Manor Close",
    "Oakfield Crescent",
)
_TOWNS_UK = ("London", "Leeds", "Bristol", "Reading", "York", "Derby", "Bath", "Norwich")
_UK_POSTCODES = (
    "SW1A 2AA",
    "LS1 4AP",
    "BS8 1TH",
    "RG1 8EQ",
    "YO1 7HH",
    "DE1 3AH",
    "BA1 1LZ",
    "NR2 4TZ",
    "M14 5RT",
    "EH3 9DR",
    "CF10 3NQ",
    "B15 2TT",
    "N1 9GU",
    "E14 5AB",
    "W1F 0DL",
)


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


class _Values:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.fakers = {loc: Faker(loc) for loc in _LOCALES}
        for i, f in enumerate(self.fakers.values()):
            f.seed_instance(SEED + i)
        self.zh = Faker("zh_CN")
        self.zh.seed_instance(SEED)

    def person(self) -> tuple[str, str]:
        """(given, surname), from Faker's locales or the hand-written lists."""
        roll = self.rng.random()
        if roll < 0.25:
            full = self.rng.choice(self.rng.choice(list(_HAND.values())))
            given, _, surname = full.rpartition(" ")
            return given, surname
        if roll < 0.3:
            return self.zh.first_romanized_name(), self.zh.last_romanized_name()
        f = self.fakers[self.rng.choice(_LOCALES)]
        return f.first_name(), f.last_name()

    def digits(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(n))

    def email(self, given: str, surname: str) -> str:
        local = self.rng.choice(
            (f"{given}.{surname}", f"{given[0]}{surname}", f"{given}{self.rng.randint(1, 99)}")
        )
        decomposed = unicodedata.normalize("NFKD", local.lower().replace("ł", "l").replace("ı", "i"))
        ascii_local = "".join(c for c in decomposed if c.isascii() and (c.isalnum() or c == ".")) or "x"
        return f"{ascii_local}@{self.rng.choice(_DOMAINS)}"

    def phone(self) -> str:
        roll = self.rng.random()
        if roll < 0.3:
            return "07700 900" + self.digits(3)  # Ofcom drama range: unallocated, still a phone
        if roll < 0.45:
            return "+44 7700 900" + self.digits(3)
        if roll < 0.7:
            text = "07" + self.rng.choice("0236") + self.digits(7)
            number = phonenumbers.parse(text, "SE")
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        if roll < 0.85:
            return (
                "+46 7"
                + self.rng.choice("0236")
                + " "
                + self.digits(3)
                + " "
                + self.digits(2)
                + " "
                + self.digits(2)
            )
        return "020 7946 0" + self.digits(3)  # London drama range

    def personnummer(self) -> str:
        born = date(1940, 1, 1) + timedelta(days=self.rng.randrange(365 * 60))
        head = f"{born:%y%m%d}"
        serial = self.digits(3)
        tail = serial + luhn.calc_check_digit(head + serial)
        return self.rng.choice(
            (f"{head}-{tail}", f"{born:%Y}{head[2:]}-{tail}", f"{born:%Y}{head[2:]}{tail}")
        )

    def orgnr(self) -> str:
        body = self.rng.choice(("556", "559", "969")) + self.digits(6)
        number = body + luhn.calc_check_digit(body)
        return self.rng.choice((f"SE{number}01", f"SE{number} 01", f"{number[:6]}-{number[6:]}"))

    def nino(self) -> str:
        while True:
            n = (
                "".join(self.rng.choice("ABCEGHJKLMNPRSTWXYZ") for _ in range(2))
                + self.digits(6)
                + self.rng.choice("ABCD")
            )
            if _NINO.match(n):
                break
        text = self.rng.choice((n, f"{n[:2]} {n[2:4]} {n[4:6]} {n[6:8]} {n[8]}"))
        return text.lower() if self.rng.random() < 0.4 else text

    def iban(self) -> str:
        bban = self.rng.choice(("500", "800", "600")) + self.digits(17)
        number = "SE" + iban.calc_check_digits("SE00" + bban) + bban
        return " ".join(number[i : i + 4] for i in range(0, len(number), 4))

    def card(self) -> str:
        body = "4" + self.digits(14)
        number = body + luhn.calc_check_digit(body)
        return " ".join(number[i : i + 4] for i in range(0, 16, 4))

    def address(self) -> str:
        if self.rng.random() < 0.55:
            letter = self.rng.choice(("", "", "A", "B"))
            street = f"{self.rng.choice(_STREETS_SE)} {self.rng.randint(1, 120)}{letter}"
            post = f"{self.rng.randint(100, 984)} {self.digits(2)}"
            town = self.rng.choice((*_PLACES[:4], "Stockholm", "Västerås", "Örebro"))
            sep = self.rng.choice((", ", "\n", ", "))
            return f"{street}{sep}{post} {town}"
        street = f"{self.rng.randint(1, 240)} {self.rng.choice(_STREETS_UK)}"
        sep = self.rng.choice((", ", "\n"))
        return f"{street}{sep}{self.rng.choice(_TOWNS_UK)}{sep}{self.rng.choice(_UK_POSTCODES)}"

    def vehicle(self) -> str:
        if self.rng.random() < 0.6:
            letters = "".join(self.rng.choice("ABCDEFGHJKLMNOPRSTUWXYZ") for _ in range(3))
            tail = self.digits(2) + self.rng.choice(("0", "4", "7", "A", "C", "K", "T"))
            return self.rng.choice((f"{letters} {tail}", f"{letters}{tail}"))
        area = "".join(self.rng.choice("ABCDEFGHKLMNOPRSVWY") for _ in range(2))
        rest = "".join(self.rng.choice("ABCDEFGHJKLMNOPRSTUVWXYZ") for _ in range(3))
        return self.rng.choice(
            (f"{area}{self.rng.randint(51, 73)} {rest}", f"{area}{self.rng.randint(10, 24):02d} {rest}")
        )

    def ip(self) -> str:
        if self.rng.random() < 0.75:
            return ".".join(str(self.rng.randint(1, 254)) for _ in range(4))
        groups = [f"{self.rng.randint(1, 65535):x}" for _ in range(6)]
        return "2001:db8:" + (":".join(groups) if self.rng.random() < 0.5 else ":" + ":".join(groups[:2]))

    def dob(self) -> str:
        born = date(1945, 1, 1) + timedelta(days=self.rng.randrange(365 * 70))
        return self.rng.choice(
            (f"{born:%Y-%m-%d}", f"{born:%d.%m.%Y}", f"{born.day} {born:%B %Y}", f"{born:%d/%m/%Y}")
        )

    # -- non-personal traps --------------------------------------------------------------

    def when(self) -> str:
        day = date(2021, 1, 1) + timedelta(days=self.rng.randrange(1500))
        return self.rng.choice(
            (
                f"{day:%d.%m.%Y} {self.rng.randint(7, 22):02d}:{self.rng.choice(('00', '15', '30', '45'))}",
                f"{day:%Y-%m-%d}",
                f"{day.day} {day:%B %Y}",
                f"{day:%d/%m/%Y}",
            )
        )

    def amount(self) -> str:
        whole = self.rng.randint(10, 99999)
        return self.rng.choice(
            (
                f"{whole:,}".replace(",", " ") + ",00 kr",
                f"£{whole:,}.{self.rng.randint(0, 99):02d}",
                f"SEK {whole}",
                f"€{whole},50",
            )
        )

    def reference(self) -> str:
        return self.rng.choice(
            (
                f"ORD-{self.digits(7)}",
                f"#{self.digits(8)}",
                f"INC{self.digits(7)}",
                f"SR-2024-{self.digits(5)}",
                f"ordernr {self.digits(9)}",
                f"ärende {self.digits(6)}",
            )
        )

    def trap(self) -> str:
        pick = self.rng.random()
        if pick < 0.2:
            return self.rng.choice(_COMPANIES)
        if pick < 0.35:
            return self.rng.choice(_PRODUCTS)
        if pick < 0.5:
            return self.rng.choice(_PLACES)
        if pick < 0.7:
            return self.when()
        if pick < 0.85:
            return self.amount()
        return self.reference()


Piece = Callable[[_Text, _Values], None]


def _other(t: _Text, v: _Values, kind: str, en: bool) -> None:
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


def _name(t: _Text, v: _Values, en: bool) -> None:
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


def _own(t: _Text, v: _Values, en: bool) -> None:
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


def _traps(t: _Text, v: _Values, en: bool) -> None:
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


def _body(t: _Text, v: _Values, en: bool, identifiers: int) -> None:
    for _ in range(identifiers):
        if v.rng.random() < 0.4:
            _name(t, v, en)
        else:
            _other(t, v, v.rng.choice(_KINDS), en)
        if v.rng.random() < 0.5:
            _traps(t, v, en)
        if v.rng.random() < 0.3:
            _own(t, v, en)


def _ticket(v: _Values, en: bool) -> Row:
    t = _Text().add(f"[{v.reference() if v.rng.random() < 0.5 else 'Ticket'}] ")
    t.add("Note ").add(v.when(), "trap").add(" ")
    t.add("Customer reports a problem with " if en else "Kunden har problem med ").add(
        v.rng.choice(_PRODUCTS), "trap"
    ).add(".")
    _body(t, v, en, v.rng.randint(2, 4))
    return t.row("ticket")


def _email(v: _Values, en: bool) -> Row:
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
        v.rng.choice(_COMPANIES), "trap"
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


def _chat(v: _Values, en: bool) -> Row:
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


def _crm(v: _Values, en: bool) -> Row:
    t = _Text().add("CRM note ").add(v.when(), "trap").add(" – ")
    t.add("Meeting at " if en else "Möte hos ").add(v.rng.choice(_COMPANIES), "trap").add(
        " in " if en else " i "
    ).add(v.rng.choice(_PLACES), "trap").add(".")
    _body(t, v, en, v.rng.randint(2, 4))
    return t.row("crm")


def _invoice(v: _Values, en: bool) -> Row:
    given, surname = v.person()
    t = _Text().add("INVOICE " if en else "FAKTURA ").add(f"F{v.digits(7)}", "trap").add("\n")
    t.add("Bill to: " if en else "Fakturamottagare: ").add(f"{given} {surname}", "name").add("\n").add(
        v.address(), "address"
    ).add("\n")
    t.add("Amount due " if en else "Att betala ").add(v.amount(), "trap").add(
        " by " if en else " senast "
    ).add(v.when(), "trap").add("\n")
    t.add("Seller: " if en else "Säljare: ").add(v.rng.choice(_COMPANIES), "trap").add("\n")
    _body(t, v, en, v.rng.randint(1, 2))
    return t.row("invoice")


_SHAPES = (_ticket, _email, _chat, _crm, _invoice)


def generate(count: int = 1500, seed: int = SEED) -> list[Row]:
    rng = random.Random(seed)
    values = _Values(rng)
    return [rng.choice(_SHAPES)(values, rng.random() < 0.5) for _ in range(count)]

"""A labelled, seeded corpus of free text for measuring `dsar.redaction`.

Real tickets cannot be shared, so snippets are generated from templates in the styles the
group's systems hold (support tickets, notes, attendee lists; Swedish and English). Every
identifier of another person is labelled with its exact span and kind; the requesting
person's own identifiers and look-alikes (order and invoice numbers, dates, amounts,
numbers with a wrong check digit) are mixed in unlabelled, since flagging them is an error.

Valid numbers are made with python-stdnum's check-digit functions and phone numbers are
kept only when phonenumbers calls them valid, so the labels agree with the maintained rules.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import phonenumbers
from stdnum import iban, luhn

from dsar.domain import _NINO, SubjectIdentity
from dsar.redaction import OwnIdentifiers

SEED = 20261120

OWN = SubjectIdentity(
    full_name="Astrid Lindqvist",
    email="astrid.lindqvist@example.se",
    phone="+46701740605",
    customer_number="C-100001",
    national_id="19780412-1239",
)
OWN_NINO = "QQ123456C"


@dataclass(frozen=True)
class Label:
    start: int
    end: int
    kind: str


@dataclass(frozen=True)
class Snippet:
    text: str
    labels: tuple[Label, ...]
    language: str


@dataclass(frozen=True)
class Corpus:
    own: OwnIdentifiers  # SubjectIdentity holds one national id; she also has a NINO
    known_names: tuple[str, ...]
    snippets: tuple[Snippet, ...]


_FIRST = (
    "Johan Emma Lars Anna Maria Erik Karin Sofia Oskar Fredrik Ingrid Björn Åsa Märta Nils Elin "
    "Oliver Fiona George Harriet Jack Chloe Thomas Priya Mohammed Leila Örjan Gösta Frida Maja"
).split()
_LAST = (
    "Berg Clarke Ek Andersson Johansson Karlsson Nilsson Eriksson Svensson Ödmark Holm Sandberg "
    "Lundqvist Bennett Walker Patel Hughes Edwards Khan Murphy Wright Björklund Strand Dahl Engström"
).split()
_DOMAINS = ("example.com", "example.org", "example.net", "bygg.example.se", "mail.example.co.uk")


class _Gen:
    """One random source for every value, so a seed fixes the whole corpus."""

    def __init__(self, rng: random.Random, known: tuple[str, ...]) -> None:
        self.rng = rng
        self.known = known

    # -- other people's identifiers ----------------------------------------------------

    def name(self) -> str:
        name = self.rng.choice(self.known)
        roll = self.rng.random()
        return name.upper() if roll < 0.08 else name.lower() if roll < 0.15 else name

    def email(self) -> str:
        first, last = self.rng.choice(self.known).split(" ", 1)
        local = _ascii(f"{first}.{last}".lower()).replace(" ", "")
        if self.rng.random() < 0.3:
            local += str(self.rng.randint(1, 99))
        return f"{local}@{self.rng.choice(_DOMAINS)}"

    def phone(self) -> str:
        while True:
            kind = self.rng.random()
            if kind < 0.45:
                text, region = "07" + self.rng.choice("02369") + _digits(self.rng, 7), "SE"
            elif kind < 0.6:
                text, region = "08" + _digits(self.rng, 7), "SE"
            elif kind < 0.85:
                text, region = "07" + self.rng.choice("45789") + _digits(self.rng, 8), "GB"
            else:
                text, region = "0113496" + _digits(self.rng, 4), "GB"
            number = phonenumbers.parse(text, region)
            if number.national_number == 701740605 or not phonenumbers.is_valid_number(number):
                continue
            style = self.rng.random()
            if style < 0.4:
                return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
            if style < 0.75:
                return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
            if style < 0.9:
                return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            return text  # national digits, no spaces

    def personnummer(self, coordination: bool = False) -> str:
        born = date(1930, 1, 1) + timedelta(days=self.rng.randrange(365 * 75))
        day = born.day + 60 if coordination else born.day
        head = f"{born:%y%m}{day:02d}"
        serial = _digits(self.rng, 3)
        check = luhn.calc_check_digit(head + serial)
        tail = serial + check
        style = self.rng.random()
        if style < 0.55:
            return f"{head}-{tail}"
        if style < 0.8:
            return f"{born:%Y}{head[2:]}-{tail}"
        if style < 0.9:
            return f"{born:%Y}{head[2:]}{tail}"
        if born.year < 1926:
            return f"{head}+{tail}"
        return f"{head}{tail}" if not head.startswith("07") else f"{head}-{tail}"

    def orgnr(self) -> str:
        body = self.rng.choice(("556", "559", "802", "716", "969")) + _digits(self.rng, 6)
        number = body + luhn.calc_check_digit(body)
        return f"{number[:6]}-{number[6:]}" if self.rng.random() < 0.8 else number

    def nino(self) -> str:
        while True:
            letters = "".join(self.rng.choice("ABCEGHJKLMNPRSTWXYZ") for _ in range(2))
            number = letters + _digits(self.rng, 6) + self.rng.choice("ABCD")
            if _NINO.match(number):
                break
        if self.rng.random() < 0.5:
            return " ".join((number[:2], number[2:4], number[4:6], number[6:8], number[8]))
        return number

    def iban(self) -> str:
        country = self.rng.choice(("SE", "GB", "DE"))
        if country == "SE":
            bban = self.rng.choice(("500", "800", "600", "300")) + _digits(self.rng, 17)
        elif country == "GB":
            bban = self.rng.choice(("NWBK", "BARC", "LOYD", "HBUK")) + _digits(self.rng, 14)
        else:
            bban = _digits(self.rng, 18)
        number = country + iban.calc_check_digits(country + "00" + bban) + bban
        if self.rng.random() < 0.7:
            return " ".join(number[i : i + 4] for i in range(0, len(number), 4))
        return number

    def card(self) -> str:
        brand = self.rng.random()
        if brand < 0.4:
            body = "4" + _digits(self.rng, 14)
        elif brand < 0.75:
            body = str(self.rng.randint(51, 55)) + _digits(self.rng, 13)
        elif brand < 0.85:
            body = str(self.rng.randint(2221, 2720)) + _digits(self.rng, 11)
        else:
            body = self.rng.choice(("34", "37")) + _digits(self.rng, 12)
        number = body + luhn.calc_check_digit(body)
        sep = self.rng.choice((" ", "-", ""))
        if len(number) == 15:
            return sep.join((number[:4], number[4:10], number[10:]))
        return sep.join(number[i : i + 4] for i in range(0, 16, 4))

    # -- look-alikes that must not be flagged ------------------------------------------

    def order(self) -> str:
        return self.rng.choice(
            (f"ORD-2026-{_digits(self.rng, 6)}", f"#{_digits(self.rng, 8)}", f"{_digits(self.rng, 8)}")
        )

    def invoice(self) -> str:
        return self.rng.choice((f"INV-2026-{_digits(self.rng, 5)}", f"F{_digits(self.rng, 7)}"))

    def when(self) -> str:
        day = date(2026, 1, 1) + timedelta(days=self.rng.randrange(365))
        return self.rng.choice((f"{day:%Y-%m-%d}", f"{day:%d/%m/%Y}", f"{day:%d.%m.%Y}", f"{day:%Y%m%d}"))

    def amount(self) -> str:
        whole = self.rng.randint(10, 99999)
        pence = self.rng.randint(0, 99)
        swedish = f"{whole:,}".replace(",", " ") + ",00 kr"
        return self.rng.choice((swedish, f"£{whole:,}.{pence:02d}", f"SEK {whole}"))

    def bad_personnummer(self) -> str:
        # Not bare and starting with 0: "0108210802" is a valid Swedish phone number, so a
        # mistyped personnummer of someone born in the 2000s written so is no fair trap.
        while True:
            good = self.personnummer()
            if not (good.startswith("0") and good.isdigit()):
                return good[:-1] + str((int(good[-1]) + self.rng.randint(1, 9)) % 10)

    def bad_card(self) -> str:
        body = "4" + _digits(self.rng, 14)
        bad = str((int(luhn.calc_check_digit(body)) + self.rng.randint(1, 9)) % 10)
        number = body + bad
        return " ".join(number[i : i + 4] for i in range(0, 16, 4))

    def bad_iban(self) -> str:
        good = self.iban().replace(" ", "")
        wrong = f"{(int(good[2:4]) + self.rng.randint(1, 90)) % 97 + 2:02d}"
        number = good[:2] + wrong + good[4:]
        if iban.is_valid(number):
            number = good[:2] + f"{(int(wrong) + 1) % 97 + 2:02d}" + good[4:]
        return " ".join(number[i : i + 4] for i in range(0, len(number), 4))

    def bad_orgnr(self) -> str:
        good = self.orgnr().replace("-", "")
        return f"{good[:6]}-{good[6:9]}{(int(good[9]) + self.rng.randint(1, 9)) % 10}"


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


# Slots: labelled (other people), own (never flagged) and look-alikes (never flagged).
_LABELLED: dict[str, str] = {
    "name": "name",
    "name_pos": "name",
    "email": "email",
    "phone": "phone",
    "pnr": "personnummer",
    "samordning": "personnummer",
    "orgnr": "orgnr",
    "nino": "nino",
    "iban": "iban",
    "card": "card",
}

_SV = (
    "Hej!\n\nMin kollega {name} ({phone}, personnummer {pnr}) kommer inte åt lönemodulen sedan {date}. "
    "Ring mig på {own_phone}.\n\nHälsningar\n{own_name}",
    "{name_pos} chef ringde om order {order}. Nå honom på {email} eller {phone}.",
    "Anteckning: kunden {own_name} ({own_pnr}) vill att återbetalningen på {amount} går till "
    "{iban}, kontot tillhör hennes make {name}.",
    "Faktura {invoice} avser {orgnr}. Kontaktperson {name}, {email}. Förfallodag {date}.",
    "Deltagarlista {date}: {own_name} ({own_email}), {name} ({email}), {name} ({phone}).",
    "Kortet {card} som {name} använde spärrades {date}. Kundnummer {own_cust}.",
    "Samordningsnummer {samordning} för {name} saknas i ärendet. Fel nummer angavs: {bad_pnr}.",
    "Betalning på {amount} från {bad_iban} avvisades; ny betalning från {iban} ({name}).",
    "Ordernummer {order}, faktura {invoice}, belopp {amount}, datum {date}. Inga övriga uppgifter.",
    "Jag, {own_name}, nås på {own_email} och {own_phone}. Mitt personnummer är {own_pnr}.",
    "Testkort {bad_card} gick inte igenom, så {name} betalade med {card} i stället.",
    "Fel organisationsnummer {bad_orgnr} angavs; rätt är {orgnr} enligt {name_pos} mejl.",
)
_EN = (
    "Hello,\n\nOn the attendee list from {date}, {name} ({email}) is listed under my company. "
    "Please also send the slides to {name}.\n\nKind regards,\n{own_name}",
    "My colleague {name} will attend in my place; his mobile is {phone}. My number is {own_phone}.",
    "Note: caller gave NI number {nino} for {name}; our records show {own_name}, customer {own_cust}.",
    "Refund of {amount} for order {order} to be paid to {iban} ({name_pos} account).",
    "Card ending in {card} was used by {name} on {date}; invoice {invoice}.",
    "Please update {name_pos} phone to {phone} and e-mail to {email}.",
    "Order {order} of {date}: total {amount}, invoice {invoice}. No further details.",
    "I, {own_name}, can be reached at {own_email} or {own_phone}; NI number on file: {own_nino}.",
    "The payment from {bad_iban} bounced; {name} then paid by card {card}.",
    "Supplier {orgnr} (contact {name}, {phone}) sent invoice {invoice} for {amount}.",
    "Declined card {bad_card} on {date}. Customer {own_name} confirmed by phone {own_phone}.",
    "{name}, {nino}, {email}",
)

_SLOT = re.compile(r"\{(\w+)\}")


def _filler(gen: _Gen, own_nino: str) -> dict[str, Callable[[], str]]:
    own = OWN
    assert own.phone and own.national_id and own.customer_number
    own_phone = own.phone

    def own_phone_text() -> str:
        number = phonenumbers.parse(own_phone)
        return gen.rng.choice(
            (
                phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL),
                phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
                own_phone,
                "0701740605",
            )
        )

    pnr = own.national_id
    return {
        "name": gen.name,
        "name_pos": gen.name,
        "email": gen.email,
        "phone": gen.phone,
        "pnr": gen.personnummer,
        "samordning": lambda: gen.personnummer(coordination=True),
        "orgnr": gen.orgnr,
        "nino": gen.nino,
        "iban": gen.iban,
        "card": gen.card,
        "own_name": lambda: gen.rng.choice((own.full_name, own.full_name.upper(), "astrid lindqvist")),
        "own_email": lambda: gen.rng.choice((own.email, own.email.upper(), "Astrid.Lindqvist@Example.se")),
        "own_phone": own_phone_text,
        "own_pnr": lambda: gen.rng.choice((pnr, pnr[2:], pnr.replace("-", ""))),
        "own_cust": lambda: own.customer_number or "",
        "own_nino": lambda: own_nino,
        "order": gen.order,
        "invoice": gen.invoice,
        "date": gen.when,
        "amount": gen.amount,
        "bad_pnr": gen.bad_personnummer,
        "bad_card": gen.bad_card,
        "bad_iban": gen.bad_iban,
        "bad_orgnr": gen.bad_orgnr,
    }


def _possessive(language: str, name: str) -> str:
    if language == "sv":
        return "" if name.lower().endswith("s") else "s"
    return "'" if name.lower().endswith("s") else "'s"


def generate(count: int = 1200, seed: int = SEED, known_names: int = 120) -> Corpus:
    """`count` snippets, half Swedish and half English, the same for the same seed."""
    rng = random.Random(seed)
    pairs = sorted({f"{f} {s}" for f in _FIRST for s in _LAST} - {OWN.full_name})
    known = tuple(rng.sample(pairs, known_names))
    gen = _Gen(rng, known)
    fill = _filler(gen, own_nino=OWN_NINO)
    snippets: list[Snippet] = []
    for i in range(count):
        language = "sv" if i % 2 == 0 else "en"
        template = rng.choice(_SV if language == "sv" else _EN)
        parts: list[str] = []
        labels: list[Label] = []
        at = 0
        for piece in _SLOT.split(template):
            # split() alternates literal text and slot names.
            if piece in fill and len(parts) % 2 == 1:
                value = fill[piece]()
                if piece in _LABELLED:
                    labels.append(Label(at, at + len(value), _LABELLED[piece]))
                if piece == "name_pos":
                    value += _possessive(language, value)
                parts.append(value)
            else:
                parts.append(piece)
            at += len(parts[-1])
        snippets.append(Snippet("".join(parts), tuple(labels), language))
    own = OwnIdentifiers.from_identity(OWN)
    own = OwnIdentifiers.of(
        emails=own.emails,
        phones=own.phones,
        national_ids=[*own.national_ids, OWN_NINO],
        customer_numbers=own.customer_numbers,
        names=own.names,
    )
    return Corpus(own, known, tuple(snippets))


# Ordinary ticket prose with no identifiers: most collected text looks like this.
_PROSE = (
    "Tack för snabbt svar, nu fungerar inloggningen igen och vi kan fortsätta med bokslutet.",
    "Vi har uppdaterat systemet till version 4.2 och startat om tjänsten under natten.",
    "Kunden önskar få fakturorna per e-post i stället för per post från och med nästa månad.",
    "Thanks for the quick reply; the export now runs every night at 02:00 as agreed.",
    "The customer asked us to close the ticket as the issue no longer occurs after the update.",
    "Please find the minutes of Tuesday's workshop attached, including the action points for Q3.",
)


def big_text(corpus: Corpus, megabytes: float, prose_per_snippet: int = 0) -> str:
    """Free text of at least `megabytes` MB (UTF-8), repeated from the corpus, for throughput;
    `prose_per_snippet` dilutes it with identifier-free prose, as real tickets are."""
    rng = random.Random(SEED)
    texts: list[str] = []
    for snippet in corpus.snippets:
        texts.append(snippet.text)
        texts.extend(rng.choice(_PROSE) for _ in range(prose_per_snippet))
    one = "\n\n".join(texts)
    size = len(one.encode())
    return "\n\n".join([one] * (int(megabytes * 1_000_000 // size) + 1))

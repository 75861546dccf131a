"""The values the free-text corpus (`bench.redaction_freetext`) writes: other people's
identifiers, valid by their maintained rules, and the non-personal traps around them.

Names come from Faker's locale lists and, for populations Faker writes only in other
scripts, from the short hand-written lists below; never from the detector's lexicon.
"""

from __future__ import annotations

import random
import unicodedata
from datetime import date, timedelta

import phonenumbers
from faker import Faker
from stdnum import iban, luhn

from dsar.domain import _NINO

SEED = 17_2026

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
COMPANIES = (
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
PRODUCTS = (
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
PLACES = (
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


class Values:
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
            town = self.rng.choice((*PLACES[:4], "Stockholm", "Västerås", "Örebro"))
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
            return self.rng.choice(COMPANIES)
        if pick < 0.35:
            return self.rng.choice(PRODUCTS)
        if pick < 0.5:
            return self.rng.choice(PLACES)
        if pick < 0.7:
            return self.when()
        if pick < 0.85:
            return self.amount()
        return self.reference()

"""The rules issue #17 asks for, one case each: what must go and what must stay.

No name here is known to any company: the detector finds them from the lexicon and context.
"""

from __future__ import annotations

import pytest

from dsar.redaction import Detector, Kind, OwnIdentifiers

OWN = OwnIdentifiers.of(
    emails=["lovisa.bergkvist@example.se"],
    names=["Lovisa Bergkvist"],
    national_ids=["19810923-4404"],
    postcodes=["416 64"],
)


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(OWN)


def removed(detector: Detector, text: str) -> list[tuple[str, str]]:
    return [(str(f.kind), text[f.start : f.end]) for f in detector.find(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Could you ask Fatima in billing to call me?", [("name", "Fatima")]),
        ("Örjan och Åsa från lagret var här.", [("name", "Örjan"), ("name", "Åsa")]),
        ("Mohammed said the parcel was open.", [("name", "Mohammed")]),
        ("Seen by Dr. Okafor on Monday.", [("name", "Okafor")]),
        ("Jag pratade med fru Lind om saken.", [("name", "Lind")]),
        ("Passed to Mrs Nowak for approval.", [("name", "Nowak")]),
        ("Signed off by K. Andersson.", [("name", "K. Andersson")]),
        ("Attendees: Hosseini, Shirin and me.", [("name", "Hosseini, Shirin")]),
        ("Ingrids mamma ringde igen.", [("name", "Ingrid")]),
        ("Tomasz's van blocked the drive.", [("name", "Tomasz")]),
        (
            "From: Aleksandra Wiśniewska <ola@example.pl>",
            [("name", "Aleksandra Wiśniewska"), ("email", "ola@example.pl")],
        ),
        ("Thanks,\nNiamh Gallagher\nTeam lead", [("name", "Niamh Gallagher")]),
        ("[09:14] Ayaan: is the order here?", [("name", "Ayaan")]),
        ("Den 2 maj skrev Kerstin Holm:\n> hej", [("name", "Kerstin Holm")]),
    ],
)
def test_names_without_known_names(detector: Detector, text: str, expected: list[tuple[str, str]]) -> None:
    assert removed(detector, text) == expected


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("Skicka till Sveavägen 44, 113 50 Stockholm.", Kind.ADDRESS, "Sveavägen 44, 113 50 Stockholm"),
        ("Ship to 12 Church Lane\nYork\nYO1 7HH please", Kind.ADDRESS, "12 Church Lane\nYork\nYO1 7HH"),
        ("Bilen MLB 43K stod kvar.", Kind.VEHICLE, "MLB 43K"),
        ("His car, BD51 SMR, was towed.", Kind.VEHICLE, "BD51 SMR"),
        ("Failed logins from 203.0.113.77 overnight.", Kind.IP, "203.0.113.77"),
        ("Session from 2001:db8::8a2e:370:7334 ended.", Kind.IP, "2001:db8::8a2e:370:7334"),
        ("Dottern är född 2009-03-14.", Kind.DOB, "2009-03-14"),
        ("The tenant, DOB 04/11/1962, moved out.", Kind.DOB, "04/11/1962"),
        ("Momsnr SE556036079301 på fakturan.", Kind.ORGNR, "SE556036079301"),
        ("Momsnr SE5560360793 01 på fakturan.", Kind.ORGNR, "SE5560360793 01"),
        ("his NI number is ab 12 34 56 c", Kind.NINO, "ab 12 34 56 c"),
        ("Call her on 07700 900123 after six.", Kind.PHONE, "07700 900123"),
    ],
)
def test_new_kinds(detector: Detector, text: str, kind: Kind, value: str) -> None:
    assert (str(kind), value) in removed(detector, text)


@pytest.mark.parametrize(
    "text",
    [
        "Bought at John Lewis and Marks & Spencer last week.",
        "Supplier: Nordhavn Shipping A/S, invoice to Berg & Söner AB.",
        "Invoices from Erik Lundgren AB, Maria Berg Ltd and Jensen Hansen A/S.",
        "Note 07.07.2021 17:30 customer called about the iPhone 15 Pro.",
        "Order ORD-2024-118822, ticket INC0045122, total 1 249,00 kr on 2024-05-02.",
        "Delivered to the Malmö and Leeds warehouses by Volvo trucks.",
        "Release 4.2.1.7 is out; see version 10.0.0.1 notes.",
        "device 19781212-1239-4a5b-8c9d-0123456789ab opened the app",  # a UUID, not a personnummer
        "Kunden bor på Vallgatan 14B, 416 64 Göteborg.",  # her own address
        "Kunden är född 1981-09-23.",  # her own birth date (from her personnummer)
        "Lovisa wrote back on Tuesday.",  # her own given name
        "Nordea is closed today and Tesla has a new model.",  # names of firms, not people
    ],
)
def test_what_stays(detector: Detector, text: str) -> None:
    assert removed(detector, text) == []

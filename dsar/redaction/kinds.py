"""What the detector finds: the kinds, what replaces them, the reason the person reads,
and which kind wins an overlap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """What a finding is; also the key the benchmark reports precision and recall by."""

    EMAIL = "email"
    PHONE = "phone"
    PERSONNUMMER = "personnummer"
    ORGNR = "orgnr"
    NINO = "nino"
    IBAN = "iban"
    CARD = "card"
    NAME = "name"
    ADDRESS = "address"
    VEHICLE = "vehicle"
    IP = "ip"
    DOB = "dob"


# The text a reader of the package sees in place of the value.
REPLACEMENTS: Mapping[Kind, str] = {
    Kind.EMAIL: "[redacted: e-mail address]",
    Kind.PHONE: "[redacted: phone number]",
    Kind.PERSONNUMMER: "[redacted: personal identity number]",
    Kind.ORGNR: "[redacted: organisation number]",
    Kind.NINO: "[redacted: National Insurance number]",
    Kind.IBAN: "[redacted: bank account number]",
    Kind.CARD: "[redacted: payment card number]",
    Kind.NAME: "[redacted: name]",
    Kind.ADDRESS: "[redacted: postal address]",
    Kind.VEHICLE: "[redacted: vehicle registration]",
    Kind.IP: "[redacted: IP address]",
    Kind.DOB: "[redacted: date of birth]",
}
# The reason recorded in the redaction log (Art. 15(4) asks for one the person can follow).
REASONS: Mapping[Kind, str] = {
    Kind.EMAIL: "e-mail address of another person",
    Kind.PHONE: "phone number of another person",
    Kind.PERSONNUMMER: "Swedish personal identity number of another person",
    Kind.ORGNR: "Swedish organisation number of another party (may identify a sole trader)",
    Kind.NINO: "UK National Insurance number of another person",
    Kind.IBAN: "bank account number (IBAN) of another person",
    Kind.CARD: "payment card number of another person",
    Kind.NAME: "name of another person",
    Kind.ADDRESS: "postal address of another person",
    Kind.VEHICLE: "vehicle registration number of another person",
    Kind.IP: "IP address of another person",
    Kind.DOB: "date of birth of another person",
}
DIGITS_ONLY = frozenset({Kind.PHONE, Kind.CARD})
COORDINATION_REASON = "Swedish coordination number (samordningsnummer) of another person"

# Kinds whose value is confirmed by a checksum or a strict allocation rule: when they
# overlap a looser match (a phone number read out of an IBAN's digits) they win.
CHECKSUMMED = frozenset({Kind.PERSONNUMMER, Kind.ORGNR, Kind.IBAN, Kind.CARD})
TIER: Mapping[Kind, int] = {
    Kind.PERSONNUMMER: 4,
    Kind.ORGNR: 4,
    Kind.IBAN: 4,
    Kind.CARD: 4,
    Kind.NINO: 4,
    Kind.EMAIL: 3,
    Kind.IP: 3,
    Kind.ADDRESS: 3,
    Kind.DOB: 3,
    Kind.VEHICLE: 2,
    Kind.NAME: 2,
    Kind.PHONE: 1,
}

# Regions whose national spellings ("070-...", "0113 ...") are read; numbers written with
# a country code are read whatever the region.
PHONE_REGIONS: tuple[str, ...] = ("SE", "GB")


@dataclass(frozen=True)
class Hit:
    """A match before it becomes a `Finding`: it still holds the normalised value, which
    the own-identifier check and the fingerprint need and which is never stored."""

    kind: Kind
    start: int
    end: int
    value: str  # normalised; used for own-identifier checks and fingerprints, never stored
    reason: str

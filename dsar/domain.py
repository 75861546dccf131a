"""Domain types shared by the CLI, the workflows and the activities.

They are pydantic models so that one definition validates the privacy team's input,
travels through Temporal (the pydantic data converter) and is read back by activities.
Nothing here does I/O, so the workflow sandbox can import it.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from enum import StrEnum
from typing import Annotated
from urllib.parse import urlsplit

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from dsar.email_address import mail_address


class Right(StrEnum):
    """The seven rights the group's privacy notice promises."""

    ACCESS = "access"  # Art. 15
    RECTIFICATION = "rectification"  # Art. 16
    ERASURE = "erasure"  # Art. 17
    RESTRICTION = "restriction"  # Art. 18
    PORTABILITY = "portability"  # Art. 20
    OBJECTION = "objection"  # Art. 21
    CONSENT_WITHDRAWAL = "consent_withdrawal"  # Art. 7(3)


class Status(StrEnum):
    """Where a request stands; mirrored into the `DsarStatus` search attribute."""

    RECEIVED = "received"
    IDENTITY = "identity"
    COLLECTING = "collecting"
    REVIEW = "review"
    PACKAGING = "packaging"
    DELIVERY = "delivery"
    # The rights other than access: erasing, correcting, flagging in every company.
    EXECUTING = "executing"
    DELIVERED = "delivered"
    CLOSED = "closed"
    REJECTED = "rejected"

    @property
    def is_open(self) -> bool:
        return self not in (Status.DELIVERED, Status.CLOSED, Status.REJECTED)


class Language(StrEnum):
    SV = "sv"
    EN = "en"


class Channel(StrEnum):
    """How the request reached the group; recorded because the reply may go the same way."""

    EMAIL = "email"
    WEB = "web"
    LETTER = "letter"
    PHONE = "phone"
    IN_PERSON = "in_person"


class IdentityKey(StrEnum):
    """Keys the group's systems can be searched by."""

    EMAIL = "email"
    PHONE = "phone"
    CUSTOMER_NUMBER = "customer_number"
    NATIONAL_ID = "national_id"


# C0 and C1 controls (line breaks included) and the Unicode line/paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Direction controls (embeddings, overrides, isolates, marks) make a name display as something
# other than what is stored ("Trojan Source"): a letter or a screen would show a different name.
_BIDI = re.compile(r"[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
MAX_NAME = 200


def normalise_email(value: str) -> str:
    """E-mail addresses are matched case-insensitively, so one canonical form is stored.

    Internationalised addresses are accepted when some relay can deliver them (the domain by
    IDNA, a non-ASCII local part by SMTPUTF8); what no relay can take is refused with the rule.
    """
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError("is not a valid e-mail address") from exc
    normalised = result.normalized.lower()
    mail_address(normalised)
    return normalised


def normalise_phone(value: str, region: str = "SE") -> str:
    """Systems store phones in many spellings; E.164 is the one form every connector matches on."""
    try:
        parsed = phonenumbers.parse(value.strip(), region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("is not a phone number") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError("is not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


# HMRC's allocation rules, plus the QQ prefix HMRC reserves for examples and tests.
_NINO = re.compile(r"^(?:QQ|(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z])\d{6}[A-D]$")


def normalise_national_id(value: str) -> str:
    """A Swedish personnummer (check digit verified) or a UK National Insurance number."""
    from stdnum.exceptions import ValidationError as NumberError
    from stdnum.se import personnummer

    compact = re.sub(r"[\s]", "", value).upper()
    if _NINO.match(compact):
        return compact
    try:
        number = personnummer.validate(compact)
    except NumberError:
        raise ValueError(
            "is neither a valid Swedish personnummer nor a UK National Insurance number"
        ) from None
    # One unambiguous stored form, with the century: YYYYMMDD-NNNN.
    born = personnummer.get_birth_date(number)
    return f"{born:%Y%m%d}-{personnummer.compact(number)[-4:]}"


def _clean_text(value: str) -> str:
    value = unicodedata.normalize("NFC", value).strip()
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    if _BIDI.search(value):
        raise ValueError(
            "must not contain text-direction control characters (U+200E, U+200F, U+202A to U+202E,"
            " U+2066 to U+2069)"
        )
    return value


def _name(value: str) -> str:
    value = _clean_text(value)
    if not value:
        raise ValueError("must not be empty")
    if len(value) > MAX_NAME:
        raise ValueError(f"must be at most {MAX_NAME} characters")
    return value


Name = Annotated[str, AfterValidator(_name)]


class SubjectIdentity(BaseModel):
    """Who the person claims to be. Personal data: it only travels encrypted."""

    model_config = ConfigDict(frozen=True)

    full_name: Name
    email: str
    phone: str | None = None
    customer_number: str | None = Field(default=None, max_length=64)
    national_id: str | None = None
    postcode: str | None = Field(default=None, max_length=16)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return normalise_email(value)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return normalise_phone(value) if value else None

    @field_validator("national_id")
    @classmethod
    def _national_id(cls, value: str | None) -> str | None:
        return normalise_national_id(value) if value else None

    @field_validator("customer_number", "postcode")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return _clean_text(value) or None if value else None

    def search_keys(self) -> dict[IdentityKey, str]:
        """The exact keys collection may match on."""
        keys = {IdentityKey.EMAIL: self.email}
        if self.phone:
            keys[IdentityKey.PHONE] = self.phone
        if self.customer_number:
            keys[IdentityKey.CUSTOMER_NUMBER] = self.customer_number
        if self.national_id:
            keys[IdentityKey.NATIONAL_ID] = self.national_id
        return keys


class Agent(BaseModel):
    """Someone making the request for the person (a relative, a lawyer, a claims company).

    Their authorisation from the person is a file in the case bucket; the workflow only
    knows whether it is attached, and refuses to confirm identity until it is.
    """

    model_config = ConfigDict(frozen=True)

    name: Name
    authorisation_key: str | None = Field(default=None, max_length=300)
    authorisation_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


class CorrectableField(StrEnum):
    """Fields a person may have corrected (Art. 16); the registry maps each to its columns."""

    FULL_NAME = "full_name"
    EMAIL = "email"
    PHONE = "phone"
    STREET = "street"
    POSTCODE = "postcode"
    CITY = "city"
    COMPANY_NAME = "company_name"
    JOB_TITLE = "job_title"


class Correction(BaseModel):
    """One correction the person asks for. Personal data: it only travels encrypted."""

    model_config = ConfigDict(frozen=True)

    field: CorrectableField
    value: str = Field(min_length=1, max_length=300)

    @model_validator(mode="after")
    def _normalised(self) -> Correction:
        # The new value is stored the way the systems store it: e-mails lower-cased, phones E.164.
        clean = _clean_text(self.value)
        if self.field is CorrectableField.EMAIL:
            clean = normalise_email(clean)
        elif self.field is CorrectableField.PHONE:
            clean = normalise_phone(clean)
        elif not clean:
            raise ValueError("value: must not be empty")
        if clean != self.value:
            object.__setattr__(self, "value", clean)
        return self


class ObjectionScope(StrEnum):
    """Art. 21: direct marketing is stopped at once (21(3)); other processing is weighed."""

    DIRECT_MARKETING = "direct_marketing"
    OTHER = "other"


class Objection(BaseModel):
    model_config = ConfigDict(frozen=True)

    scope: ObjectionScope
    # For other processing: what the person objects to, in their words (for the reviewer).
    processing: str | None = Field(default=None, max_length=2000)


class RequestSubmission(BaseModel):
    """A request as the privacy team records it, before it has a reference."""

    rights: list[Right] = Field(min_length=1)
    subject: SubjectIdentity
    agent: Agent | None = None
    language: Language
    jurisdiction: str
    channel: Channel
    received_on: date
    # Rectification: what to correct, and to what.
    corrections: list[Correction] = Field(default_factory=list, max_length=20)
    # Objection: to what.
    objection: Objection | None = None
    # Portability: the other controller's endpoint to transmit the data to (Art. 20(2)).
    transmit_to: str | None = Field(default=None, max_length=500)

    @field_validator("transmit_to")
    @classmethod
    def _transmit_to(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("must be an http(s) URL of the other controller's endpoint")
        return value.strip()

    @model_validator(mode="after")
    def _right_details(self) -> RequestSubmission:
        rights = set(self.rights)
        if Right.RECTIFICATION in rights and not self.corrections:
            raise ValueError("corrections: rectification needs at least one correction (field and new value)")
        if self.corrections and Right.RECTIFICATION not in rights:
            raise ValueError("corrections: only a rectification request carries corrections")
        fields = [c.field for c in self.corrections]
        if len(fields) != len(set(fields)):
            raise ValueError("corrections: each field may be corrected once")
        if Right.OBJECTION in rights and self.objection is None:
            raise ValueError(
                "objection: say whether the objection is to direct marketing or to other processing"
            )
        if self.objection is not None and Right.OBJECTION not in rights:
            raise ValueError("objection: only an objection request carries one")
        if (
            self.objection is not None
            and self.objection.scope is ObjectionScope.OTHER
            and not (self.objection.processing or "").strip()
        ):
            raise ValueError("objection: say which processing the person objects to")
        if self.transmit_to is not None and Right.PORTABILITY not in rights:
            raise ValueError("transmit_to: only a portability request is transmitted to another controller")
        return self

    @field_validator("rights")
    @classmethod
    def _unique_rights(cls, value: list[Right]) -> list[Right]:
        # Order is kept as given so letters list rights the way the person asked.
        return list(dict.fromkeys(value))

    @field_validator("jurisdiction")
    @classmethod
    def _jurisdiction(cls, value: str) -> str:
        return value.strip().upper()


REFERENCE_PATTERN = re.compile(r"^DSAR-\d{4}-\d{6}$")


def format_reference(year: int, number: int) -> str:
    return f"DSAR-{year:04d}-{number:06d}"


def parse_reference(value: str) -> str:
    """References arrive from people typing them; accept any case, refuse anything else."""
    candidate = value.strip().upper()
    if not REFERENCE_PATTERN.match(candidate):
        raise ValueError("is not a request reference like DSAR-2026-000042")
    return candidate


def workflow_id_for(reference: str) -> str:
    return f"dsar-{reference}"


def company_workflow_id(reference: str, company: str, round: int = 0) -> str:
    """The child collecting one company; each re-collection the team asks for is a new round."""
    base = f"{workflow_id_for(reference)}-company-{company}"
    return base if round == 0 else f"{base}-r{round}"


def company_action_workflow_id(reference: str, company: str, action: str, round: int = 0) -> str:
    """The child taking one action (erase, rectify, ...) in one company; a retry is a new round."""
    base = f"{workflow_id_for(reference)}-{action.replace('_', '-')}-{company}"
    return base if round == 0 else f"{base}-r{round}"

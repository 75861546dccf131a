"""Identity: how it is confirmed, the evidence the privacy team attaches, and the one-time codes."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from dsar.messages.decision import Decision


class IdentityMethod(StrEnum):
    """How identity was confirmed, weakest first; the request's risk decides which are enough."""

    # The person entered the one-time code sent to an e-mail address the group already holds.
    EMAIL_CODE = "email_code"
    # The privacy team matched the claimed identity against an existing customer record.
    CUSTOMER_RECORD = "customer_record"
    # The privacy team checked an identity document (and, for an agent, the authorisation).
    DOCUMENT_CHECK = "document_check"


class SensitiveReason(StrEnum):
    """Why a request needs a document check: a mistake here would hurt the person most."""

    ERASURE = "erasure"  # an account would be erased
    NEW_CONTACT = "new_contact"  # the request's e-mail is not one the group holds
    AGENT = "agent"  # someone acts for the person


class IdentityDecision(Decision):
    """A confirmation that the requester is who they claim to be, and how it was confirmed.

    The note may say which document was seen, never its number: it stays in the (encrypted)
    workflow history, and the audit trail records only that there was one.
    """

    method: str = Field(default=IdentityMethod.CUSTOMER_RECORD.value, max_length=50)
    note: str | None = Field(default=None, max_length=2000)
    # For `email_code`: the id of the code the CLI or the verification page found right.
    challenge: str | None = Field(default=None, max_length=64)


class AuthorisationFile(BaseModel):
    """The person's written authorisation for an agent, already in the case bucket (claim-check)."""

    object_key: str = Field(max_length=300)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    bytes: int = Field(ge=0)
    media_type: str = Field(default="application/octet-stream", max_length=100)


class AttachAuthorisation(Decision):
    file: AuthorisationFile


class SendIdentityCode(Decision):
    """A new one-time code (the last one expired, was locked, or never arrived)."""


class FindHeldContactsInput(BaseModel):
    reference: str
    company: str


class HeldContacts(BaseModel):
    """What one company's customer records say about the claimed identity: counts, no values."""

    company: str
    # Customer records matching any key the person gave (e-mail, phone, number, national id).
    customer_records: int = 0
    # Whether the request's e-mail address is among the addresses those records hold.
    email_held: bool = False
    # The company's worker did not answer in time; it counts as "nothing found".
    unavailable: bool = False


class ConfirmIdentityCodeInput(BaseModel):
    reference: str
    challenge: str


class IdentityProgress(BaseModel):
    """The identity stage as `dsar status` shows it: which methods are open, and why."""

    searched: bool = False
    customer_records: int = 0
    email_held: bool = False
    companies_unavailable: list[str] = Field(default_factory=list)
    sensitive: list[SensitiveReason] = Field(default_factory=list)
    agent: bool = False
    authorisation_attached: bool = False
    codes_sent: int = 0
    method: str | None = None

    @property
    def allowed_methods(self) -> list[IdentityMethod]:
        if self.agent and not self.authorisation_attached:
            return []
        if self.sensitive:
            return [IdentityMethod.DOCUMENT_CHECK]
        allowed = [IdentityMethod.DOCUMENT_CHECK]
        if self.customer_records:
            allowed.insert(0, IdentityMethod.CUSTOMER_RECORD)
        if self.codes_sent:
            allowed.insert(0, IdentityMethod.EMAIL_CODE)
        return allowed

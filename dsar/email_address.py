"""How a person's e-mail address goes on the wire: one rule for the submission and the sender.

An internationalised address is mailable in two ways. A non-ASCII domain (`exämple.org`)
is written as its IDNA A-label (`xn--exmple-cua.org`), which every relay understands. A
non-ASCII local part (`evé@`) has no ASCII spelling: it needs a relay that offers SMTPUTF8
(RFC 6531). The submission accepts both and refuses only what no relay can ever take; the
sender uses the A-label where it can and asks for SMTPUTF8 only where it must.

Every refusal names the rule and never the address, so it can be logged and raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.headerregistry import Address

from email_validator import EmailNotValidError, validate_email

# RFC 5321 4.5.3.1: octets, not characters; UTF-8 octets under SMTPUTF8 (RFC 6531 3.3).
MAX_LOCAL_OCTETS = 64


class UnmailableAddress(ValueError):
    """An address no relay can ever deliver to; the message states the rule only."""


@dataclass(frozen=True)
class MailAddress:
    """An address as it goes on the envelope and in the header."""

    local_part: str
    domain: str
    # True when the local part is not ASCII: only a relay offering SMTPUTF8 can take it.
    needs_smtputf8: bool

    @property
    def addr_spec(self) -> str:
        return f"{self.local_part}@{self.domain}"

    def header(self, display_name: str = "") -> Address:
        """`Name <addr>` for a To header; a non-ASCII name is encoded by the mail policy."""
        # Built from its parts: parsing a non-ASCII local part would be flagged as a defect.
        return Address(display_name=display_name, username=self.local_part, domain=self.domain)


def mail_address(address: str) -> MailAddress:
    """The wire form of `address`, or `UnmailableAddress` naming the rule it breaks."""
    try:
        checked = validate_email(address.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise UnmailableAddress("is not a valid e-mail address") from None
    local = checked.local_part
    if len(local.encode("utf-8")) > MAX_LOCAL_OCTETS:
        raise UnmailableAddress(
            f"the part before the @ must be at most {MAX_LOCAL_OCTETS} bytes (UTF-8);"
            " mail relays refuse longer"
        )
    utf8 = checked.ascii_email is None
    # ASCII local part: the domain as its A-label, so any relay takes it; otherwise SMTPUTF8
    # carries the whole address as the person wrote it.
    # (email-validator already counts the whole address in octets and the domain as A-labels.)
    return MailAddress(local, checked.domain if utf8 else checked.ascii_domain, utf8)

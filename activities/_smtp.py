"""The mail relay: one message per connection, internationalised addresses included.

`smtplib.send_message` asks for SMTPUTF8 by itself when an envelope address is not ASCII;
the sender checks first that the relay offers it. A relay that does not can never take
that address, however often we try, so that is a permanent error. Every other failure
(refused, unreachable, a 4xx) is transient and retried by Temporal. Errors keep only
their class: the relay's reply may quote an address.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from temporalio.exceptions import ApplicationError

from dsar.email_address import MailAddress, UnmailableAddress, mail_address
from dsar.rendering import RenderedMail

# The default policy folds any header over 78 columns, and for a subject without a good
# break it folds right after "Subject:", so readers see a leading space. Headers are
# short here (a subject line, one address); they stay on one line up to RFC 5322's hard
# limit of 998, and the body is wrapped by the template renderer.
MAIL_POLICY = policy.default.clone(max_line_length=998)

# The ApplicationError type of a mail that no retry can deliver (`dsar status` shows its message).
UNDELIVERABLE = "UndeliverableAddress"


class NoSmtpUtf8(Exception):
    """The relay does not offer SMTPUTF8, and the message's recipient needs it."""


class SmtpSender:
    """Sends through the relay named by DSAR_SMTP_URL (smtp://, smtp+starttls:// or smtps://)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps", "smtp+starttls"):
            raise ValueError("DSAR_SMTP_URL must start with smtp://, smtp+starttls:// or smtps://")
        self._scheme = parts.scheme
        self._host = parts.hostname or "localhost"
        self._port = parts.port or (465 if parts.scheme == "smtps" else 25)
        self._user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None

    def _open(self, timeout: float) -> smtplib.SMTP:
        """A greeted (and, where asked, encrypted and logged-in) connection to the relay."""
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self._scheme == "smtps":
            smtp = smtplib.SMTP_SSL(self._host, self._port, context=context, timeout=timeout)
        else:
            smtp = smtplib.SMTP(self._host, self._port, timeout=timeout)
        try:
            if self._scheme == "smtp+starttls":
                smtp.starttls(context=context)
            if self._user and self._password:
                smtp.login(self._user, self._password)
            smtp.ehlo_or_helo_if_needed()
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, message: EmailMessage, needs_smtputf8: bool = False) -> None:
        # Well inside the step's 30 s: a relay that stalls is given up and retried.
        with self._open(timeout=20) as smtp:
            if needs_smtputf8 and not smtp.has_extn("smtputf8"):
                raise NoSmtpUtf8()
            # With a non-ASCII address, send_message adds SMTPUTF8 and sends the headers as UTF-8.
            smtp.send_message(message)

    def offers_smtputf8(self, timeout: float = 5) -> bool | None:
        """Whether the relay can take a non-ASCII address: asked at intake, so an address
        that could never be mailed is refused before anything is stored. None when the
        relay cannot be asked now (down, unreachable): then nothing is refused, and the
        sending step retries and, if the relay turns out not to offer it, says so."""
        try:
            with self._open(timeout=timeout) as smtp:
                return bool(smtp.has_extn("smtputf8"))
        except (OSError, smtplib.SMTPException):
            return None


def compose(
    mail: RenderedMail, *, sender: str, to: str | Address, message_id: str, headers: Mapping[str, str] = {}
) -> EmailMessage:
    """The one way a letter becomes a message: the same headers and policy for every kind,
    so the e-mail linter test checks what is sent."""
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = mail.subject
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name] = value
    message.set_content(mail.body)
    return message


def recipient(address: str) -> MailAddress:
    """The wire form of a stored address; one no relay can take fails the step for good."""
    try:
        return mail_address(address)
    except UnmailableAddress as exc:
        raise ApplicationError(
            f"the recipient's e-mail address cannot be mailed: {exc}", type=UNDELIVERABLE, non_retryable=True
        ) from None


def send_or_raise(sender: SmtpSender, message: EmailMessage, to: MailAddress) -> None:
    """Send `message` to `to`; a failure becomes an ApplicationError that names no address."""
    try:
        sender.send(message, needs_smtputf8=to.needs_smtputf8)
    except NoSmtpUtf8:
        raise ApplicationError(
            "the mail relay does not offer SMTPUTF8, which an address with non-ASCII characters"
            " before the @ needs; use a relay that offers it, or ask the person for another address",
            type=UNDELIVERABLE,
            non_retryable=True,
        ) from None
    except (OSError, smtplib.SMTPException) as exc:
        raise ApplicationError(f"mail relay refused or unreachable: {type(exc).__name__}") from None

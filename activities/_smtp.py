"""The mail relay: pooled connections, internationalised addresses included.

A connection is opened once and reused for the messages after it (at most
DSAR_SMTP_CONNECTIONS at once, each carrying one message at a time), and closed after
DSAR_SMTP_IDLE_SECONDS unused: a TLS handshake and login per message cost more than the
message on a remote relay. A relay may close a connection while it lies idle; a message
whose MAIL or RCPT meets a closed connection has not been handed over, so it goes once more
on a fresh connection. Once DATA has begun, nothing is re-sent here: the relay may have the
message, and only the notification's row and Message-ID decide a retry
(activities/notifications.py).

`smtplib.send_message` asks for SMTPUTF8 by itself when an envelope address is not ASCII;
the sender checks first that the relay offers it. A relay that does not can never take
that address, however often we try, so that is a permanent error. Every other failure
(refused, unreachable, a 4xx) is transient and retried by Temporal. Errors keep only
their class: the relay's reply may quote an address.
"""

from __future__ import annotations

import asyncio
import functools
import smtplib
import ssl
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Any
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

# Well inside the sending step's 30 s: a relay that stalls is given up and retried.
SEND_TIMEOUT = 20.0


class NoSmtpUtf8(Exception):
    """The relay does not offer SMTPUTF8, and the message's recipient needs it."""


class _Connection(smtplib.SMTP):
    """A relay connection that knows whether the current message reached DATA."""

    data_started = False

    def data(self, msg: Any) -> tuple[int, bytes]:
        self.data_started = True  # from here on the relay may hold the message
        return super().data(msg)


class _TlsConnection(_Connection, smtplib.SMTP_SSL):
    pass


def _lost(exc: BaseException) -> bool:
    """The connection was gone (closed by the relay, reset, or 421 "closing channel")."""
    if isinstance(exc, smtplib.SMTPServerDisconnected | ConnectionError):
        return True
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code == 421


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


class SmtpSender:
    """Sends through the relay named by DSAR_SMTP_URL (smtp://, smtp+starttls:// or smtps://),
    over at most `connections` connections kept open until `idle_seconds` unused."""

    def __init__(self, url: str, *, connections: int = 4, idle_seconds: float = 10) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps", "smtp+starttls"):
            raise ValueError("DSAR_SMTP_URL must start with smtp://, smtp+starttls:// or smtps://")
        self._scheme = parts.scheme
        self._host = parts.hostname or "localhost"
        self._port = parts.port or (465 if parts.scheme == "smtps" else 25)
        self._user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._size = connections
        self._idle_seconds = idle_seconds
        self._slots = threading.BoundedSemaphore(connections)
        self._lock = threading.Lock()
        self._idle: list[tuple[float, _Connection]] = []  # (last used, connection), newest last
        self._reaper: threading.Timer | None = None
        self._threads: ThreadPoolExecutor | None = None
        self.opened = 0  # connections opened so far

    @functools.cached_property
    def _tls(self) -> ssl.SSLContext:
        """Made once: loading the system's CA certificates took a tenth of the control
        worker's CPU while it made one per message (py-spy, `make bench-pipeline`)."""
        return ssl.create_default_context()

    def _open(self, timeout: float) -> _Connection:
        """A greeted (and, where asked, encrypted and logged-in) connection to the relay."""
        smtp: _Connection
        if self._scheme == "smtps":
            smtp = _TlsConnection(self._host, self._port, context=self._tls, timeout=timeout)
        else:
            smtp = _Connection(self._host, self._port, timeout=timeout)
        try:
            if self._scheme == "smtp+starttls":
                smtp.starttls(context=self._tls)
            if self._user and self._password:
                smtp.login(self._user, self._password)
            smtp.ehlo_or_helo_if_needed()
        except BaseException:
            smtp.close()
            raise
        with self._lock:
            self.opened += 1
        return smtp

    def send(self, message: EmailMessage, needs_smtputf8: bool = False) -> None:
        """Send on an idle connection, else a new one; blocks while all connections are busy."""
        with self._slots:
            smtp = self._take_idle()
            if smtp is not None:
                try:
                    self._transmit(smtp, message, needs_smtputf8)
                except BaseException as exc:
                    smtp.close()
                    if smtp.data_started or not _lost(exc):
                        raise
                    # Closed while idle, before the relay had the message: once more, fresh.
                else:
                    self._put_back(smtp)
                    return
            smtp = self._open(SEND_TIMEOUT)
            try:
                self._transmit(smtp, message, needs_smtputf8)
            except BaseException:
                smtp.close()  # any error: the next message gets a fresh connection
                raise
            self._put_back(smtp)

    async def send_async(self, message: EmailMessage, needs_smtputf8: bool = False) -> None:
        """`send` on the sender's own threads, one per connection: messages waiting for a
        connection wait in its queue, not on threads of the event loop's default executor."""
        with self._lock:
            if self._threads is None:
                self._threads = ThreadPoolExecutor(self._size, thread_name_prefix="smtp")
            threads = self._threads
        await asyncio.get_running_loop().run_in_executor(threads, self.send, message, needs_smtputf8)

    @staticmethod
    def _transmit(smtp: _Connection, message: EmailMessage, needs_smtputf8: bool) -> None:
        smtp.data_started = False
        if needs_smtputf8 and not smtp.has_extn("smtputf8"):
            raise NoSmtpUtf8()
        # With a non-ASCII address, send_message adds SMTPUTF8 and sends the headers as UTF-8.
        smtp.send_message(message)

    def _take_idle(self) -> _Connection | None:
        """The most recently used idle connection (the others age out); None if there is none."""
        with self._lock:
            stale = self._expire()
            taken = self._idle.pop()[1] if self._idle else None
        for smtp in stale:
            _quit(smtp)
        return taken

    def _put_back(self, smtp: _Connection) -> None:
        with self._lock:
            self._idle.append((time.monotonic(), smtp))
            if self._reaper is None:
                self._schedule(self._idle_seconds)

    def _expire(self) -> list[_Connection]:
        """Remove (under the lock) and return the connections idle for too long."""
        cutoff = time.monotonic() - self._idle_seconds
        stale = [smtp for used, smtp in self._idle if used <= cutoff]
        self._idle = [(used, smtp) for used, smtp in self._idle if used > cutoff]
        return stale

    def _schedule(self, delay: float) -> None:
        self._reaper = threading.Timer(delay, self._reap)
        self._reaper.daemon = True
        self._reaper.start()

    def _reap(self) -> None:
        """Close what has been idle too long, so the relay is not left holding it open."""
        with self._lock:
            self._reaper = None
            stale = self._expire()
            if self._idle:
                oldest = self._idle[0][0]
                self._schedule(max(0.05, oldest + self._idle_seconds - time.monotonic()))
        for smtp in stale:
            _quit(smtp)

    def close(self) -> None:
        """Close every idle connection (at worker shutdown)."""
        with self._lock:
            idle, self._idle = [smtp for _, smtp in self._idle], []
            if self._reaper is not None:
                self._reaper.cancel()
                self._reaper = None
            threads, self._threads = self._threads, None
        for smtp in idle:
            _quit(smtp)
        if threads is not None:
            threads.shutdown(wait=False)

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
    except (NoSmtpUtf8, OSError, smtplib.SMTPException) as exc:
        raise _as_application_error(exc) from None


async def deliver(sender: SmtpSender, message: EmailMessage, to: MailAddress) -> None:
    """`send_or_raise` for the activities: on the sender's pooled connections and threads."""
    try:
        await sender.send_async(message, needs_smtputf8=to.needs_smtputf8)
    except (NoSmtpUtf8, OSError, smtplib.SMTPException) as exc:
        raise _as_application_error(exc) from None


def _as_application_error(exc: Exception) -> ApplicationError:
    if isinstance(exc, NoSmtpUtf8):
        return ApplicationError(
            "the mail relay does not offer SMTPUTF8, which an address with non-ASCII characters"
            " before the @ needs; use a relay that offers it, or ask the person for another address",
            type=UNDELIVERABLE,
            non_retryable=True,
        )
    return ApplicationError(f"mail relay refused or unreachable: {type(exc).__name__}")

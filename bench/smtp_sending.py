"""How long 200 e-mails take to hand to the relay: one connection per message (as before
pooling) against the pooled sender (`activities._smtp.SmtpSender`), plain and with STARTTLS.

The relay is a real SMTP server on loopback (aiosmtpd, as the mail catcher), with a
self-signed certificate for STARTTLS that this process trusts through SSL_CERT_FILE. Each
way sends the same composed messages, one at a time and all at once (a reminder storm: in
the worker, concurrent activities). A benchmark to run by hand, not a timed test:

    python -m bench.smtp_sending [--messages 200] [--connections 4]

Loopback has no network latency: against a remote relay each connection also costs round
trips (greeting, EHLO, STARTTLS, EHLO, AUTH, QUIT), so the gap only grows.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import ipaddress
import os
import smtplib
import ssl
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from activities._smtp import SmtpSender, compose, deliver, recipient
from devstack.local_servers import LOOPBACK, free_port
from dsar.rendering import RenderedMail


class _Counter:
    def __init__(self) -> None:
        self.messages = 0
        self.connections = 0
        self._lock = threading.Lock()

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        if not session.ssl:  # with STARTTLS a connection greets twice: count it once
            with self._lock:
                self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.messages += 1
        return "250 OK"


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, trusted by this process (SSL_CERT_FILE)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "smtp bench")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(LOOPBACK))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


def _messages(count: int) -> list[EmailMessage]:
    mail = RenderedMail(subject="Reminder: request DSR-2026-000001 is due in 3 days", body="Hello\n" * 20)
    return [
        compose(mail, sender="privacy@example.org", to="team@example.org", message_id=f"<b{n}@dsar.local>")
        for n in range(count)
    ]


def _one_connection_per_message(url: str) -> Callable[[EmailMessage], Awaitable[None]]:
    """The sender before pooling: open (STARTTLS), send, QUIT, on the loop's default threads."""
    tls = url.startswith("smtp+starttls")
    port = int(url.rsplit(":", 1)[1])

    def send(message: EmailMessage) -> None:
        with smtplib.SMTP(LOOPBACK, port, timeout=20) as smtp:
            if tls:
                smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo_or_helo_if_needed()
            smtp.send_message(message)

    async def run(message: EmailMessage) -> None:
        await asyncio.to_thread(send, message)

    return run


def _pooled(url: str, connections: int) -> tuple[Callable[[EmailMessage], Awaitable[None]], SmtpSender]:
    sender = SmtpSender(url, connections=connections)
    to = recipient("team@example.org")

    async def run(message: EmailMessage) -> None:
        await deliver(sender, message, to)

    return run, sender


async def _time(
    send: Callable[[EmailMessage], Awaitable[None]], messages: list[EmailMessage], storm: bool
) -> float:
    started = time.perf_counter()
    if storm:
        await asyncio.gather(*(send(m) for m in messages))
    else:
        for message in messages:
            await send(message)
    return time.perf_counter() - started


async def main(count: int, connections: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="smtp-bench-"))
    cert_file, key_file = _certificate(folder)
    os.environ["SSL_CERT_FILE"] = str(cert_file)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert_file, key_file)
    print(f"{count} messages, pooled sender with {connections} connections; seconds (messages/s)")
    for scheme, tls in (("smtp", None), ("smtp+starttls", server_tls)):
        counter = _Counter()
        port = free_port()
        controller = Controller(counter, hostname=LOOPBACK, port=port, tls_context=tls)
        controller.start()
        url = f"{scheme}://{LOOPBACK}:{port}"
        try:
            for storm in (False, True):
                way = "all at once" if storm else "one at a time"
                before = await _time(_one_connection_per_message(url), _messages(count), storm)
                opened = counter.connections
                pooled, sender = _pooled(url, connections)
                after = await _time(pooled, _messages(count), storm)
                sender.close()
                pooled_opened = counter.connections - opened
                print(
                    f"{scheme:14} {way:13}  per message {before:5.2f} s ({count / before:4.0f}/s,"
                    f" {opened} connections)   pooled {after:5.2f} s ({count / after:4.0f}/s,"
                    f" {pooled_opened} connections)   {before / after:4.1f}x"
                )
                counter.connections = 0
            assert counter.messages == 4 * count, "every message arrived exactly once"
        finally:
            controller.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.connections))

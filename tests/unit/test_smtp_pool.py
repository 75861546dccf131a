"""Pooled relay connections: many messages over few connections, each message exactly once
when the relay closes a connection between messages, none re-sent once DATA has begun, and
idle connections closed. The relay is a real SMTP server (aiosmtpd on loopback) that counts
connections (one EHLO each), QUITs and messages."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from temporalio.exceptions import ApplicationError

from activities._smtp import SmtpSender, deliver, recipient, send_or_raise
from devstack.local_servers import LOOPBACK, free_port


class CountingRelay:
    """aiosmtpd handler: keeps each message's Message-ID; can drop the connection after a
    message (between messages) or in the middle of one (after DATA, before its reply)."""

    def __init__(self) -> None:
        self.connections = 0
        self.quits = 0
        self.message_ids: list[str] = []
        self.drop_after_next = False
        self.drop_in_data = False
        self._lock = threading.Lock()

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        with self._lock:
            self.connections += 1
        session.host_name = hostname  # a handler's EHLO hook greets in the server's stead
        return responses

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.quits += 1
        return "221 Bye"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        message_id = next(
            line.split(b":", 1)[1].strip().decode()
            for line in content.splitlines()
            if line.lower().startswith(b"message-id:")
        )
        with self._lock:
            self.message_ids.append(message_id)
        if self.drop_in_data:
            self.drop_in_data = False
            server.transport.close()  # the relay has it, but the client never hears so
        elif self.drop_after_next:
            self.drop_after_next = False
            asyncio.get_running_loop().call_later(0.05, server.transport.close)
        return "250 OK"


@pytest.fixture
def relay() -> Iterator[tuple[CountingRelay, str]]:
    handler = CountingRelay()
    port = free_port()
    controller = Controller(handler, hostname=LOOPBACK, port=port)
    controller.start()
    yield handler, f"smtp://{LOOPBACK}:{port}"
    controller.stop()


def _message(n: int) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "privacy@example.org"
    message["To"] = "person@example.org"
    message["Subject"] = f"Your request {n}"
    message["Message-ID"] = f"<m{n}@dsar.local>"
    message.set_content("Hello")
    return message


TO = recipient("person@example.org")


def test_messages_one_after_another_share_one_connection(relay: tuple[CountingRelay, str]) -> None:
    handler, url = relay
    sender = SmtpSender(url)
    for n in range(20):
        send_or_raise(sender, _message(n), TO)
    sender.close()
    assert handler.message_ids == [f"<m{n}@dsar.local>" for n in range(20)]
    assert handler.connections == 1 and sender.opened == 1


async def test_concurrent_messages_use_at_most_the_pool(relay: tuple[CountingRelay, str]) -> None:
    handler, url = relay
    sender = SmtpSender(url, connections=3)
    await asyncio.gather(*(deliver(sender, _message(n), TO) for n in range(60)))
    sender.close()
    assert sorted(handler.message_ids) == sorted(f"<m{n}@dsar.local>" for n in range(60))
    assert 1 <= handler.connections <= 3


def test_a_connection_the_relay_dropped_between_messages_is_replaced_and_nothing_doubles(
    relay: tuple[CountingRelay, str],
) -> None:
    handler, url = relay
    sender = SmtpSender(url)
    handler.drop_after_next = True
    send_or_raise(sender, _message(1), TO)
    time.sleep(0.3)  # the relay closes the connection, which the sender still holds as idle
    send_or_raise(sender, _message(2), TO)
    send_or_raise(sender, _message(3), TO)
    sender.close()
    assert handler.message_ids == ["<m1@dsar.local>", "<m2@dsar.local>", "<m3@dsar.local>"]
    assert handler.connections == 2


def test_a_relay_that_times_idle_connections_out_still_gets_each_message_once() -> None:
    handler = CountingRelay()
    port = free_port()
    controller = Controller(handler, hostname=LOOPBACK, port=port, timeout=0.3)  # the relay's idle limit
    controller.start()
    try:
        sender = SmtpSender(f"smtp://{LOOPBACK}:{port}", idle_seconds=60)
        for n in range(3):
            send_or_raise(sender, _message(n), TO)
            time.sleep(0.6)
        sender.close()
    finally:
        controller.stop()
    assert handler.message_ids == ["<m0@dsar.local>", "<m1@dsar.local>", "<m2@dsar.local>"]
    assert handler.connections == 3


def test_a_connection_lost_after_data_began_is_not_sent_again(relay: tuple[CountingRelay, str]) -> None:
    handler, url = relay
    sender = SmtpSender(url)
    send_or_raise(sender, _message(1), TO)
    handler.drop_in_data = True
    with pytest.raises(ApplicationError) as failed:
        send_or_raise(sender, _message(2), TO)
    # Transient: Temporal's retry and the notification's row decide, with the same Message-ID.
    assert not failed.value.non_retryable
    assert str(failed.value) == "mail relay refused or unreachable: SMTPServerDisconnected"
    assert handler.message_ids == ["<m1@dsar.local>", "<m2@dsar.local>"]
    assert handler.connections == 1, "no second connection was opened to re-send it"
    send_or_raise(sender, _message(3), TO)  # the next message gets a fresh connection
    sender.close()
    assert handler.message_ids[-1] == "<m3@dsar.local>" and handler.connections == 2


def test_idle_connections_are_closed(relay: tuple[CountingRelay, str]) -> None:
    handler, url = relay
    sender = SmtpSender(url, idle_seconds=0.3)
    send_or_raise(sender, _message(1), TO)
    deadline = time.monotonic() + 5
    while handler.quits < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert handler.quits == 1, "the idle connection was closed with QUIT"
    send_or_raise(sender, _message(2), TO)
    sender.close()
    assert handler.connections == 2 and handler.quits == 2

"""Internationalised addresses: accepted when some relay can mail them, refused with the rule
when none can, and sent with IDNA for the domain and SMTPUTF8 only where the local part needs it.

The relays are real SMTP servers (aiosmtpd on loopback), one offering SMTPUTF8 and one not.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from temporalio.exceptions import ApplicationError

from activities._smtp import UNDELIVERABLE, SmtpSender, recipient, send_or_raise
from cli import UsageError, validate_submission
from cli.submit import refuse_unmailable
from devstack.local_servers import LOOPBACK, MailCatcher, free_port
from dsar.config import Settings
from dsar.email_address import UnmailableAddress, mail_address

SUBMISSION = {
    "rights": ["access"],
    "name": "Evé Ünder",
    "phone": None,
    "customer_number": None,
    "language": "en",
    "jurisdiction": "SE",
    "channel": "email",
    "received": "2026-11-20",
    "today": date(2026, 11, 25),
}


def test_a_non_ascii_domain_goes_as_its_a_label() -> None:
    address = mail_address("eve@exämple.org")
    assert address.addr_spec == "eve@xn--exmple-cua.org"
    assert not address.needs_smtputf8


def test_a_non_ascii_local_part_needs_smtputf8() -> None:
    address = mail_address("evé@exämple.org")
    assert address.addr_spec == "evé@exämple.org"
    assert address.needs_smtputf8
    assert str(address.header("Evé Ünder")) == "Evé Ünder <evé@exämple.org>"


@pytest.mark.parametrize(
    ("address", "rule"),
    [
        ("é" * 33 + "@example.org", "at most 64 bytes"),  # 33 characters, 66 bytes
        ("é" * 32 + "@" + "b" * 60 + ".c" * 80 + ".org", "not a valid e-mail address"),  # 282 bytes
        ("nope", "not a valid e-mail address"),
    ],
)
def test_an_address_no_relay_can_take_is_refused_with_the_rule(address: str, rule: str) -> None:
    with pytest.raises(UnmailableAddress) as refused:
        mail_address(address)
    assert rule in str(refused.value)
    assert address not in str(refused.value)


def test_submission_accepts_what_can_be_mailed() -> None:
    accepted = validate_submission(email="Evé@Exämple.ORG", **SUBMISSION)  # type: ignore[arg-type]
    assert accepted.subject.email == "evé@exämple.org"
    assert validate_submission(email="eve@xn--exmple-cua.org", **SUBMISSION).subject.email == (  # type: ignore[arg-type]
        "eve@exämple.org"
    )


def test_submission_refuses_what_can_never_be_mailed_naming_flag_and_rule() -> None:
    address = "é" * 33 + "@example.org"
    with pytest.raises(UsageError) as refused:
        validate_submission(email=address, **SUBMISSION)  # type: ignore[arg-type]
    assert str(refused.value).startswith("--email: the part before the @ must be at most 64 bytes")
    assert address not in str(refused.value)


@pytest.fixture
def catcher(tmp_path: Path) -> Iterator[MailCatcher]:
    mail = MailCatcher(tmp_path / "mail", free_port())
    mail.start()
    yield mail
    mail.stop()


class _Accept:
    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        return "250 OK"


@pytest.fixture
def relay_without_smtputf8() -> Iterator[str]:
    port = free_port()
    controller = Controller(_Accept(), hostname=LOOPBACK, port=port, enable_SMTPUTF8=False)
    controller.start()
    yield f"smtp://{LOOPBACK}:{port}"
    controller.stop()


def _message(to: str, name: str = "Evé Ünder") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "privacy@ecisolutions.com"
    message["To"] = recipient(to).header(name)
    message["Subject"] = "We have received your request"
    message.set_content("Hej Evé")
    return message


@pytest.mark.parametrize(
    ("stored", "on_the_wire"),
    [("evé@exämple.org", "evé@exämple.org"), ("eve@exämple.org", "eve@xn--exmple-cua.org")],
)
def test_the_relay_receives_the_address_with_the_right_to_header(
    catcher: MailCatcher, stored: str, on_the_wire: str
) -> None:
    send_or_raise(SmtpSender(catcher.url), _message(stored), recipient(stored))
    [received] = catcher.messages()
    assert getaddresses([str(received["To"])]) == [("Evé Ünder", on_the_wire)]
    assert received.get_content().strip() == "Hej Evé"


def test_a_relay_without_smtputf8_is_a_permanent_error_naming_no_address(relay_without_smtputf8: str) -> None:
    with pytest.raises(ApplicationError) as failed:
        send_or_raise(
            SmtpSender(relay_without_smtputf8), _message("evé@exämple.org"), recipient("evé@exämple.org")
        )
    assert failed.value.non_retryable and failed.value.type == UNDELIVERABLE
    assert "SMTPUTF8" in failed.value.message and "evé" not in failed.value.message
    # An ASCII local part with an internationalised domain still goes through that relay.
    send_or_raise(
        SmtpSender(relay_without_smtputf8), _message("eve@exämple.org"), recipient("eve@exämple.org")
    )


def test_an_unreachable_relay_is_transient() -> None:
    with pytest.raises(ApplicationError) as failed:
        send_or_raise(
            SmtpSender(f"smtp://{LOOPBACK}:{free_port()}"),
            _message("eve@example.org"),
            recipient("eve@example.org"),
        )
    assert not failed.value.non_retryable and "ConnectionRefusedError" in failed.value.message


def _settings(smtp_url: str) -> Settings:
    return Settings.from_env({"DSAR_SMTP_URL": smtp_url})


def test_intake_refuses_a_non_ascii_local_part_our_relay_cannot_carry(relay_without_smtputf8: str) -> None:
    with pytest.raises(UsageError) as refused:
        refuse_unmailable(_settings(relay_without_smtputf8), "evé@exämple.org")
    assert str(refused.value).startswith("--email: ") and "SMTPUTF8" in str(refused.value)
    assert "evé" not in str(refused.value)
    # Only the local part needs SMTPUTF8: an internationalised domain goes as its A-label.
    refuse_unmailable(_settings(relay_without_smtputf8), "eve@exämple.org")


def test_intake_accepts_it_when_the_relay_offers_smtputf8_or_cannot_be_asked(catcher: MailCatcher) -> None:
    refuse_unmailable(_settings(catcher.url), "evé@exämple.org")
    # A relay that is down refuses nothing: the sending step retries, and says so if it must.
    refuse_unmailable(_settings(f"smtp://{LOOPBACK}:{free_port()}"), "evé@exämple.org")

"""Download-link tokens and codes: what the download page trusts, checked without servers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from dsar.config import Settings
from dsar.download_links import (
    InvalidToken,
    LinkClaims,
    LinkSigner,
    TokenProblem,
    code_matches,
    display_code,
    hash_code,
    new_code,
    new_signing_key,
    normalise_code,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
KEY = "k" * 40


def claims(days: int = 7) -> LinkClaims:
    return LinkClaims(link_id=uuid.uuid4(), artefact_id=uuid.uuid4(), expires_at=NOW + timedelta(days=days))


def test_a_signed_token_carries_only_ids_and_expiry_and_verifies() -> None:
    signer = LinkSigner([KEY])
    original = claims()
    token = signer.sign(original)
    assert signer.verify(token, NOW) == original
    assert signer.verify(token, NOW + timedelta(days=6, hours=23)) == original
    # Signing is deterministic, so a retried e-mail carries the same link.
    assert signer.sign(original) == token


def test_a_token_expires() -> None:
    signer = LinkSigner([KEY])
    original = claims(days=7)
    token = signer.sign(original)
    with pytest.raises(InvalidToken) as refused:
        signer.verify(token, NOW + timedelta(days=7))
    assert refused.value.problem is TokenProblem.EXPIRED
    # The signature was good, so the page may still say which request the link was for.
    assert refused.value.claims == original


@pytest.mark.parametrize("position", [0, 10, 30, -5, -1])
def test_a_changed_character_is_refused(position: int) -> None:
    signer = LinkSigner([KEY])
    token = signer.sign(claims())
    changed = token[position]
    replacement = "A" if changed != "A" else "B"
    tampered = token[:position] + replacement + (token[position + 1 :] if position != -1 else "")
    with pytest.raises(InvalidToken) as refused:
        signer.verify(tampered, NOW)
    assert refused.value.problem is TokenProblem.TAMPERED and refused.value.claims is None


def test_a_token_signed_with_another_key_or_garbage_is_refused() -> None:
    token = LinkSigner(["x" * 40]).sign(claims())
    for candidate in (token, "", "nonsense", "a.b", "eyJsIjoxfQ.abc"):
        with pytest.raises(InvalidToken) as refused:
            LinkSigner([KEY]).verify(candidate, NOW)
        assert refused.value.problem is TokenProblem.TAMPERED


def test_a_forged_payload_with_a_later_expiry_is_refused() -> None:
    signer = LinkSigner([KEY])
    token = signer.sign(claims(days=1))
    payload, _, signature = token.rpartition(".")
    other = signer.sign(claims(days=90)).rpartition(".")[0]
    with pytest.raises(InvalidToken):
        signer.verify(f"{other}.{signature}", NOW)
    assert payload != other


def test_keys_rotate_newest_first() -> None:
    old, new = "o" * 40, "n" * 40
    before = LinkSigner([old]).sign(original := claims())
    rotated = LinkSigner.from_setting(f"{new},{old}")
    assert rotated.verify(before, NOW) == original  # links already e-mailed keep working
    after = rotated.sign(original)
    assert LinkSigner([new]).verify(after, NOW) == original  # new links use the new key
    with pytest.raises(InvalidToken):
        LinkSigner([old]).verify(after, NOW)


def test_missing_or_weak_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="not set"):
        LinkSigner.from_setting(None)
    with pytest.raises(ValueError, match="32"):
        LinkSigner.from_setting("short")
    assert len(new_signing_key()) >= 32


def test_codes_are_eight_random_digits_stored_as_salted_hashes() -> None:
    codes = {new_code() for _ in range(50)}
    assert len(codes) > 45 and all(len(c) == 8 and c.isdigit() for c in codes)
    code = "01234567"
    stored = hash_code(code)
    assert code not in stored and stored != hash_code(code)  # salted
    assert code_matches(code, stored)
    assert not code_matches("01234568", stored)
    assert not code_matches(code, "not-a-hash")


def test_what_people_type_is_normalised() -> None:
    assert display_code("01234567") == "0123 4567"
    assert normalise_code(" 0123 4567 ") == "01234567"
    assert normalise_code("0123-4567") == "01234567"
    for wrong in (None, "", "1234", "012345678", "abcdefgh", "٠١٢٣٤٥٦٧"):
        assert normalise_code(wrong) is None


def test_download_settings() -> None:
    settings = Settings.from_env({})
    assert settings.download_link_days == 7 and settings.package_retention_days == 30
    assert settings.download_base_url == "http://localhost:8090"
    custom = Settings.from_env(
        {"DSAR_DOWNLOAD_LINK_DAYS": "14", "DSAR_DOWNLOAD_BASE_URL": "https://privacy.example.com/"}
    )
    assert custom.download_link_days == 14 and custom.download_base_url == "https://privacy.example.com"
    for env in (
        {"DSAR_DOWNLOAD_LINK_DAYS": "0"},
        {"DSAR_DOWNLOAD_LINK_DAYS": "seven"},
        {"DSAR_PACKAGE_RETENTION_DAYS": "3"},  # shorter than the 7-day link
        {"DSAR_DOWNLOAD_BASE_URL": "ftp://example.com"},
    ):
        with pytest.raises(ValueError, match="DSAR_"):
            Settings.from_env(env)

"""The audit MAC keys: parsed with a clear message, rotated without losing old entries."""

from __future__ import annotations

import pytest

from casestore.audit import MacKeys


def test_keys_parse_and_the_first_one_macs_new_entries() -> None:
    keys = MacKeys.parse("new:" + "n" * 32 + ", old:" + "o" * 32)
    assert keys.current == "new"
    mac = keys.mac(b"abc")
    assert keys.check("new", b"abc", mac) is True
    assert keys.check("new", b"abd", mac) is False
    assert keys.check("old", b"abc", keys.mac(b"abc", "old")) is True  # entries MACed before a rotation
    assert keys.check("gone", b"abc", mac) is None


@pytest.mark.parametrize("text", ["", None, "short:abc", "no-colon" + "x" * 40, "9bad:" + "x" * 40])
def test_bad_keys_are_refused_naming_the_variable(text: str | None) -> None:
    with pytest.raises(ValueError, match="DSAR_AUDIT_MAC_KEYS"):
        MacKeys.parse(text)

"""Log lines never carry personal data, whatever an activity passes by mistake."""

from __future__ import annotations

from dsar.logs import MASK, mask_personal_data


def test_personal_fields_and_embedded_contacts_are_masked() -> None:
    event = mask_personal_data(
        None,
        "info",
        {
            "event": "mail to astrid.lindqvist@example.se failed",
            "email": "astrid.lindqvist@example.se",
            "name": "Astrid Lindqvist",
            "reference": "DSAR-2026-000001",
            "detail": "call +46 70 123 45 67 back",
            "records": 12,
        },
    )
    assert event["email"] == MASK and event["name"] == MASK and event["records"] == MASK
    assert "example.se" not in event["event"]
    assert "+46" not in event["detail"]
    assert event["reference"] == "DSAR-2026-000001"

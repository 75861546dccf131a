"""Retention's settings: defaults, each variable's rule named, and the rules the purge uses."""

from __future__ import annotations

import pytest

from dsar.config import Settings
from dsar.messages.retention import RetentionRules


def test_defaults_are_30_days_for_copies_and_3_years_for_the_record() -> None:
    settings = Settings.from_env({})
    assert (settings.retention_copies_days, settings.retention_record_days) == (30, 1095)
    assert settings.retention_schedule == "17 3 * * *" and settings.retention_batch == 50
    assert RetentionRules.from_settings(settings) == RetentionRules(copies_days=30, record_days=1095)


def test_copies_stay_at_least_as_long_as_the_package_they_rebuild() -> None:
    settings = Settings.from_env({"DSAR_PACKAGE_RETENTION_DAYS": "60", "DSAR_RETENTION_COPIES_DAYS": "14"})
    assert RetentionRules.from_settings(settings).copies_days == 60


def test_the_cron_is_normalised() -> None:
    assert Settings.from_env({"DSAR_RETENTION_SCHEDULE": " 0  2 * * 1 "}).retention_schedule == "0 2 * * 1"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"DSAR_RETENTION_COPIES_DAYS": "0"},
            "DSAR_RETENTION_COPIES_DAYS must be a whole number of days from 1",
        ),
        (
            {"DSAR_RETENTION_RECORD_DAYS": "30"},
            "DSAR_RETENTION_RECORD_DAYS must be a whole number of days from 365",
        ),
        (
            {"DSAR_RETENTION_BATCH": "5000"},
            "DSAR_RETENTION_BATCH must be a whole number of cases from 1 to 1000",
        ),
        (
            {"DSAR_RETENTION_SCHEDULE": "nightly"},
            "DSAR_RETENTION_SCHEDULE must be a cron expression of five fields",
        ),
        (
            {"DSAR_RETENTION_COPIES_DAYS": "800", "DSAR_RETENTION_RECORD_DAYS": "400"},
            "DSAR_RETENTION_RECORD_DAYS must not be shorter than DSAR_RETENTION_COPIES_DAYS",
        ),
    ],
)
def test_a_bad_retention_value_is_named_with_its_rule(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}"):
        Settings.from_env(env)

"""Settings from the environment: variable names, defaults, and a message naming each variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsar.config import Settings


def test_defaults_and_every_kind_of_variable() -> None:
    assert Settings.from_env({}).team_reminder_days == (14, 7, 3, 1)
    settings = Settings.from_env(
        {
            "DSAR_TEMPORAL_ADDRESS": "temporal:7233",
            "DSAR_S3_BUCKET": "",  # empty is unset: the default stands
            "AWS_ACCESS_KEY_ID": "key",
            "DSAR_DOWNLOAD_SIGNING_KEY": "signing",
            "DSAR_USER": "privacy-officer",
            "DSAR_TEAM_REMINDER_DAYS": "10, 5",
            "DSAR_IDENTITY_TIMEOUT_DAYS": "20",
            "DSAR_IDENTITY_CODE_ATTEMPTS": "3",
            "DSAR_CONN_GB01_DB": "postgresql://gb01",
        }
    )
    assert settings.temporal_address == "temporal:7233" and settings.s3_bucket == "dsar-packages"
    assert settings.s3_access_key_id == "key" and settings.download_signing_keys == "signing"
    assert settings.actor == "privacy-officer"
    assert settings.team_reminder_days == (10, 5) and settings.identity_timeout_days == 20
    assert settings.identity_code_attempts == 3
    assert settings.connection("GB01_DB") == "postgresql://gb01"
    with pytest.raises(ValueError, match=r"^DSAR_CONN_NL01_DB is not set"):
        settings.connection("NL01_DB")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"DSAR_TEAM_REMINDER_DAYS": "7,x"},
            "DSAR_TEAM_REMINDER_DAYS must be whole numbers of days from 1 to 365, separated by commas",
        ),
        (
            {"DSAR_IDENTITY_CODE_MINUTES": "10"},
            "DSAR_IDENTITY_CODE_MINUTES must be a whole number of minutes from 30 to 1440",
        ),
        (
            {"DSAR_IDENTITY_CODE_ATTEMPTS": "0"},
            "DSAR_IDENTITY_CODE_ATTEMPTS must be a whole number of attempts from 1 to 10",
        ),
        (
            {"DSAR_PACKAGE_RETENTION_DAYS": "3"},
            "DSAR_PACKAGE_RETENTION_DAYS must not be shorter than DSAR_DOWNLOAD_LINK_DAYS",
        ),
        # Worker tuning and the reminder time (tests/unit/test_worker_tuning.py).
        (
            {"DSAR_WORKFLOW_CACHE": "-1"},
            "DSAR_WORKFLOW_CACHE must be a whole number of workflows from 0 to 100000",
        ),
        ({"DSAR_WORKFLOW_TASKS": "1"}, "DSAR_WORKFLOW_TASKS must be a whole number of tasks from 2 to 1000"),
        (
            {"DSAR_WORKFLOW_POLLERS": "x"},
            "DSAR_WORKFLOW_POLLERS must be a whole number of pollers from 2 to 100",
        ),
        (
            {"DSAR_ACTIVITY_POLLERS": "0"},
            "DSAR_ACTIVITY_POLLERS must be a whole number of pollers from 1 to 100",
        ),
        (
            {"DSAR_COMPANY_ACTIVITY_SLOTS": "8.5"},
            "DSAR_COMPANY_ACTIVITY_SLOTS must be a whole number of activities from 1 to 1000",
        ),
        (
            {"DSAR_CONTROL_ACTIVITY_SLOTS": "0"},
            "DSAR_CONTROL_ACTIVITY_SLOTS must be a whole number of activities from 1 to 1000",
        ),
        ({"DSAR_DB_POOL_SIZE": "0"}, "DSAR_DB_POOL_SIZE must be a whole number of connections from 1 to 500"),
        (
            {"DSAR_SMTP_CONNECTIONS": "65"},
            "DSAR_SMTP_CONNECTIONS must be a whole number of connections from 1 to 64",
        ),
        (
            {"DSAR_SMTP_IDLE_SECONDS": "0"},
            "DSAR_SMTP_IDLE_SECONDS must be a whole number of seconds from 1 to 3600",
        ),
        (
            {"DSAR_REMINDER_TIME": "24:00"},
            "DSAR_REMINDER_TIME must be a time of day as HH:MM, from 00:00 to 23:59",
        ),
        (
            {"DSAR_REMINDER_TIME": "9"},
            "DSAR_REMINDER_TIME must be a time of day as HH:MM, from 00:00 to 23:59",
        ),
        (
            {"DSAR_REMINDER_TIME": "09:60"},
            "DSAR_REMINDER_TIME must be a time of day as HH:MM, from 00:00 to 23:59",
        ),
    ],
)
def test_a_bad_value_is_named_with_its_rule(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError) as caught:
        Settings.from_env(env)
    assert str(caught.value) == message


def test_the_local_stack_file_fills_in_under_the_real_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "local.env").write_text(
        "# Written by `dsar dev`\nDSAR_TEMPORAL_ADDRESS=127.0.0.1:7999\nDSAR_S3_BUCKET=local\n"
        "DSAR_MAIL_FROM=Privacy team <privacy@example.com>\nDSAR_CONN_SE01_DB=postgresql://u:p$1@h/db\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("DSAR_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("DSAR_S3_BUCKET", "real")
    settings = Settings.from_env()
    assert settings.temporal_address == "127.0.0.1:7999" and settings.s3_bucket == "real"
    assert settings.mail_from == "Privacy team <privacy@example.com>"
    assert settings.connections["SE01_DB"] == "postgresql://u:p$1@h/db"

"""Settings, read only from the environment, so production needs no file on disk.

The local stack writes the same variables into `<state dir>/local.env`; when a variable is
not set in the environment, that file supplies it, so `dsar` in a second terminal talks to
the running stack without exports. Real environment variables always win.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOCAL_ENV_FILE = "local.env"


def state_dir() -> Path:
    return Path(os.environ.get("DSAR_STATE_DIR", PROJECT_ROOT / ".dsar")).resolve()


def _local_env() -> dict[str, str]:
    path = state_dir() / LOCAL_ENV_FILE
    if not path.is_file():
        return {}
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def environment() -> dict[str, str]:
    """The effective settings: the stack's local.env under the real environment."""
    merged = _local_env()
    merged.update({k: v for k, v in os.environ.items() if k.startswith(("DSAR_", "AWS_"))})
    return merged


def _days(name: str, value: str | None, default: tuple[int, ...]) -> tuple[int, ...]:
    if value is None:
        return default
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if not parts or not all(p.isdigit() and 0 < int(p) <= 365 for p in parts):
        raise ValueError(f"{name} must be whole numbers of days from 1 to 365, separated by commas")
    return tuple(int(p) for p in parts)


def _whole(name: str, value: str | None, default: int, low: int, high: int) -> int:
    if value is None:
        return default
    if not value.strip().isdigit() or not low <= int(value) <= high:
        raise ValueError(f"{name} must be a whole number of days from {low} to {high}")
    return int(value)


def _whole_in(name: str, value: str | None, default: int, low: int, high: int, unit: str) -> int:
    if value is None:
        return default
    if not value.strip().isdigit() or not low <= int(value) <= high:
        raise ValueError(f"{name} must be a whole number of {unit} from {low} to {high}")
    return int(value)


@dataclass(frozen=True)
class Settings:
    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    database_url: str = "postgresql://dsar@localhost:5432/dsar"
    migration_database_url: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str = "eu-north-1"
    s3_bucket: str = "dsar-packages"
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    smtp_url: str = "smtp://localhost:1025"
    mail_from: str = "Privacy team <europe-privacy@ecisolutions.com>"
    privacy_team_email: str = "europe-privacy@ecisolutions.com"
    escalation_email: str = "europe-privacy-escalation@ecisolutions.com"
    team_reminder_days: tuple[int, ...] = (14, 7, 3, 1)
    identity_reminder_days: tuple[int, ...] = (7, 14)
    identity_timeout_days: int = 30
    # One-time identity codes: how long a code works, and how many wrong tries lock it.
    identity_code_minutes: int = 60
    identity_code_attempts: int = 5
    codec_keys: str | None = None
    codec_key_file: str | None = None
    roles_file: str | None = None
    codec_tokens: str | None = None
    codec_ui_origin: str = "http://localhost:8233"
    codec_listen: str = "127.0.0.1:8081"
    # The download page (web/download.py).
    download_signing_keys: str | None = None
    download_base_url: str = "http://localhost:8090"
    download_listen: str = "127.0.0.1:8090"
    download_link_days: int = 7
    package_retention_days: int = 30
    metrics_bind: str | None = None
    otel_endpoint: str | None = None
    log_format: str = "console"
    log_level: str = "INFO"
    actor: str = "unknown"
    connections: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = environment() if env is None else env

        def get(name: str, default: str | None = None) -> str | None:
            value = env.get(name)
            return value if value not in (None, "") else default

        link_days = _whole("DSAR_DOWNLOAD_LINK_DAYS", get("DSAR_DOWNLOAD_LINK_DAYS"), 7, 1, 90)
        retention = _whole("DSAR_PACKAGE_RETENTION_DAYS", get("DSAR_PACKAGE_RETENTION_DAYS"), 30, 1, 3650)
        if retention < link_days:
            # A link that outlives its package would only ever lead to "no longer available".
            raise ValueError("DSAR_PACKAGE_RETENTION_DAYS must not be shorter than DSAR_DOWNLOAD_LINK_DAYS")
        base_url = (get("DSAR_DOWNLOAD_BASE_URL", cls.download_base_url) or "").rstrip("/")
        if not base_url.startswith(("https://", "http://")):
            raise ValueError(
                "DSAR_DOWNLOAD_BASE_URL must be an http(s) URL, e.g. https://privacy.example.com"
            )
        return cls(
            temporal_address=get("DSAR_TEMPORAL_ADDRESS", cls.temporal_address) or "",
            temporal_namespace=get("DSAR_TEMPORAL_NAMESPACE", cls.temporal_namespace) or "",
            database_url=get("DSAR_DATABASE_URL", cls.database_url) or "",
            migration_database_url=get("DSAR_MIGRATION_DATABASE_URL"),
            s3_endpoint_url=get("DSAR_S3_ENDPOINT_URL"),
            s3_region=get("DSAR_S3_REGION", cls.s3_region) or "",
            s3_bucket=get("DSAR_S3_BUCKET", cls.s3_bucket) or "",
            s3_access_key_id=get("AWS_ACCESS_KEY_ID"),
            s3_secret_access_key=get("AWS_SECRET_ACCESS_KEY"),
            smtp_url=get("DSAR_SMTP_URL", cls.smtp_url) or "",
            mail_from=get("DSAR_MAIL_FROM", cls.mail_from) or "",
            privacy_team_email=get("DSAR_PRIVACY_TEAM_EMAIL", cls.privacy_team_email) or "",
            escalation_email=get("DSAR_ESCALATION_EMAIL", cls.escalation_email) or "",
            team_reminder_days=_days(
                "DSAR_TEAM_REMINDER_DAYS", get("DSAR_TEAM_REMINDER_DAYS"), (14, 7, 3, 1)
            ),
            identity_reminder_days=_days(
                "DSAR_IDENTITY_REMINDER_DAYS", get("DSAR_IDENTITY_REMINDER_DAYS"), (7, 14)
            ),
            identity_timeout_days=_days(
                "DSAR_IDENTITY_TIMEOUT_DAYS", get("DSAR_IDENTITY_TIMEOUT_DAYS"), (30,)
            )[0],
            identity_code_minutes=_whole_in(
                "DSAR_IDENTITY_CODE_MINUTES", get("DSAR_IDENTITY_CODE_MINUTES"), 60, 30, 1440, "minutes"
            ),
            identity_code_attempts=_whole_in(
                "DSAR_IDENTITY_CODE_ATTEMPTS", get("DSAR_IDENTITY_CODE_ATTEMPTS"), 5, 1, 10, "attempts"
            ),
            codec_keys=get("DSAR_CODEC_KEYS"),
            codec_key_file=get("DSAR_CODEC_KEY_FILE"),
            roles_file=get("DSAR_ROLES_FILE"),
            codec_tokens=get("DSAR_CODEC_TOKENS"),
            codec_ui_origin=get("DSAR_CODEC_UI_ORIGIN", cls.codec_ui_origin) or "",
            codec_listen=get("DSAR_CODEC_LISTEN", cls.codec_listen) or "",
            download_signing_keys=get("DSAR_DOWNLOAD_SIGNING_KEY"),
            download_base_url=base_url,
            download_listen=get("DSAR_DOWNLOAD_LISTEN", cls.download_listen) or "",
            download_link_days=link_days,
            package_retention_days=retention,
            metrics_bind=get("DSAR_METRICS_BIND"),
            otel_endpoint=get("DSAR_OTEL_ENDPOINT"),
            log_format=get("DSAR_LOG_FORMAT", cls.log_format) or "console",
            log_level=get("DSAR_LOG_LEVEL", cls.log_level) or "INFO",
            actor=get("DSAR_USER") or os.environ.get("USER") or "unknown",
            connections={
                k.removeprefix("DSAR_CONN_"): v for k, v in env.items() if k.startswith("DSAR_CONN_")
            },
        )

    def connection(self, name: str) -> str:
        try:
            return self.connections[name]
        except KeyError:
            raise ValueError(f"DSAR_CONN_{name} is not set (connection setting of a system)") from None

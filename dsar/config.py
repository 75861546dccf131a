"""Settings, read only from the environment, so production needs no file on disk.

The local stack writes the same variables into `<state dir>/local.env`; when a variable is
not set in the environment, that file supplies it, so `dsar` in a second terminal talks to
the running stack without exports. Real environment variables always win.

pydantic-settings maps the `DSAR_*` variables (and the two `AWS_*` keys) onto the fields
and treats an empty value as unset; the rules below keep each variable's own message
("DSAR_X must be ..."), which `from_env` raises as a plain ValueError so the CLI and the
workers can print it as it stands.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import time
from pathlib import Path
from typing import Annotated, Any

from dotenv import dotenv_values
from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOCAL_ENV_FILE = "local.env"
ENV_PREFIX = "DSAR_"
CONNECTION_PREFIX = "DSAR_CONN_"


def state_dir() -> Path:
    return Path(os.environ.get("DSAR_STATE_DIR", PROJECT_ROOT / ".dsar")).resolve()


def _local_env() -> dict[str, str]:
    path = state_dir() / LOCAL_ENV_FILE
    if not path.is_file():
        return {}
    # No ${VAR} expansion: values are DSNs and keys, taken as written.
    return {k: v for k, v in dotenv_values(path, interpolate=False).items() if v is not None}


def environment() -> dict[str, str]:
    """The effective settings: the stack's local.env under the real environment."""
    merged = _local_env()
    merged.update({k: v for k, v in os.environ.items() if k.startswith((ENV_PREFIX, "AWS_"))})
    return merged


# The variables `Settings.from_env` was given; unset, the process's `environment()`.
_GIVEN: ContextVar[Mapping[str, str] | None] = ContextVar("dsar_settings_env", default=None)


class _MappingSource(EnvSettingsSource):
    """pydantic-settings' environment source, reading a given mapping instead of os.environ."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        given = _GIVEN.get()
        self._given: Mapping[str, str] = environment() if given is None else given
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        fold = (lambda k: k) if self.case_sensitive else str.lower
        return {fold(k): v for k, v in self._given.items() if not (self.env_ignore_empty and v == "")}

    def __call__(self) -> dict[str, Any]:
        values = super().__call__()
        # Each system's connection setting is its own variable: DSAR_CONN_<name>.
        given = self._given.items()
        values["connections"] = {
            k.removeprefix(CONNECTION_PREFIX): v for k, v in given if k.startswith(CONNECTION_PREFIX)
        }
        return values


def _variable(field: str) -> str:
    """The environment variable a field is read from, for messages."""
    info: FieldInfo | None = Settings.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    return alias if isinstance(alias, str) else ENV_PREFIX + field.upper()


def _days(name: str, value: Any) -> tuple[int, ...]:
    if isinstance(value, tuple | list):
        return tuple(int(v) for v in value)
    parts = [p.strip() for p in str(value).split(",") if p.strip()]
    if not parts or not all(p.isdigit() and 0 < int(p) <= 365 for p in parts):
        raise ValueError(f"{name} must be whole numbers of days from 1 to 365, separated by commas")
    return tuple(int(p) for p in parts)


def _whole(name: str, value: Any, low: int, high: int, unit: str = "days") -> int:
    text = str(value)
    if not text.strip().isdigit() or not low <= int(text) <= high:
        raise ValueError(f"{name} must be a whole number of {unit} from {low} to {high}")
    return int(text)


# The whole-number settings and their bounds: (lowest, highest, unit of the message).
WHOLE_NUMBERS: dict[str, tuple[int, int, str]] = {
    "download_link_days": (1, 90, "days"),
    "package_retention_days": (1, 3650, "days"),
    "retention_copies_days": (1, 3650, "days"),
    "retention_record_days": (365, 3650, "days"),
    "retention_batch": (1, 1000, "cases"),
    "audit_anchor_retention_days": (1, 36500, "days"),
    "audit_anchor_minutes": (1, 60, "minutes"),
    "identity_code_minutes": (30, 1440, "minutes"),
    "identity_code_attempts": (1, 10, "attempts"),
    # Worker tuning (docs/settings.md#worker-tuning); the defaults below say why.
    "workflow_cache": (0, 100_000, "workflows"),
    "workflow_tasks": (2, 1000, "tasks"),
    "workflow_pollers": (2, 100, "pollers"),
    "activity_pollers": (1, 100, "pollers"),
    "control_activity_slots": (1, 1000, "activities"),
    "company_activity_slots": (1, 1000, "activities"),
    "packaging_slots": (1, 64, "packages"),
    "db_pool_size": (1, 500, "connections"),
    "smtp_connections": (1, 64, "connections"),
    "smtp_idle_seconds": (1, 3600, "seconds"),
}

# Unset DSAR_DB_POOL_SIZE: a pool as large as the worker's activity slots, at most this many.
# The control worker (16) and four companies' case pools (4 x 16) then use 80 of PostgreSQL's
# default 100 connections on the case store, leaving room for the CLI, the public pages and
# the setup job; the dev stack's one server (200) also holds the four source pools: 144.
DB_POOL_CAP = 16

_CLOCK_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})")


Days = Annotated[tuple[int, ...], NoDecode]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_ignore_empty=True, extra="ignore", frozen=True
    )

    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    # mTLS to Temporal (production): each component has its own client certificate, so the
    # server's authoriser can tell the control worker from a company's (docs/containers.md).
    # Unset: plain gRPC, as the local dev server speaks.
    temporal_tls_cert: str | None = None
    temporal_tls_key: str | None = None
    temporal_tls_ca: str | None = None
    temporal_tls_server_name: str | None = None
    # This component's own access token for Temporal's authoriser (a JWT file, re-read while
    # the client runs); unset: no token, as the local dev server expects.
    temporal_token_file: str | None = None
    # Sealed payloads without a workflow binding (from before it existed): accept or refuse.
    codec_unbound_payloads: str = "accept"
    # Deflate large payloads before sealing them; off only while workers of a version that
    # cannot open them still run (a rolling upgrade, CHANGELOG).
    codec_compress: bool = True
    database_url: str = "postgresql://dsar@localhost:5432/dsar"
    migration_database_url: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str = "eu-north-1"
    s3_bucket: str = "dsar-packages"
    s3_access_key_id: str | None = Field(default=None, validation_alias="AWS_ACCESS_KEY_ID")
    s3_secret_access_key: str | None = Field(default=None, validation_alias="AWS_SECRET_ACCESS_KEY")
    smtp_url: str = "smtp://localhost:1025"
    mail_from: str = "Privacy team <europe-privacy@ecisolutions.com>"
    privacy_team_email: str = "europe-privacy@ecisolutions.com"
    escalation_email: str = "europe-privacy-escalation@ecisolutions.com"
    team_reminder_days: Days = (14, 7, 3, 1)
    identity_reminder_days: Days = (7, 14)
    # Read like the reminder days; the first figure counts.
    identity_timeout_days: Annotated[int, NoDecode] = 30
    # One-time identity codes: how long a code works, and how many wrong tries lock it.
    identity_code_minutes: int = 60
    identity_code_attempts: int = 5
    # When team reminders and escalations fall due, on their day, in the jurisdiction's zone.
    reminder_time: time = time(9, 0)
    codec_keys: str | None = None
    codec_key_file: str | None = None
    roles_file: str | None = None
    codec_tokens: str | None = None
    # The codec server's operators: JWTs from the organisation's identity provider.
    codec_jwt_issuer: str | None = None
    codec_jwt_audience: str | None = None
    codec_jwks_url: str | None = None
    codec_jwt_public_key_file: str | None = None
    codec_jwt_name_claim: str = "preferred_username"
    codec_ui_origin: str = "http://localhost:8233"
    codec_listen: str = "127.0.0.1:8081"
    # The download page (web/download.py).
    download_signing_keys: str | None = Field(default=None, validation_alias="DSAR_DOWNLOAD_SIGNING_KEY")
    download_base_url: str = "http://localhost:8090"
    download_listen: str = "127.0.0.1:8090"
    download_link_days: int = 7
    # Proxies (an ingress) in front of the public pages whose X-Forwarded-For is believed,
    # for the per-address rate limit; 0: the peer's address.
    pages_trusted_proxy_hops: int = 0
    package_retention_days: int = 30
    # The case store's own copies and records (docs/retention.md): copies go this long after
    # closure, the accountability record is pseudonymised this long after it; the purge runs
    # on this cron (UTC) as a Temporal Schedule, this many cases per batch.
    retention_copies_days: int = 30
    retention_record_days: int = 1095
    retention_schedule: str = "17 3 * * *"
    retention_batch: int = 50
    # The audit trail (casestore/audit.py, casestore/anchor.py): the MAC keys only the
    # appending components hold, and the bucket its head is anchored in outside the database.
    audit_mac_keys: str | None = None
    audit_anchor_bucket: str = "dsar-audit-anchors"
    audit_anchor_retention_days: int = 3650
    audit_anchor_minutes: int = 60
    # Each component's own case-store role (docs/case-store-security.md); unset, a worker
    # uses DSAR_DATABASE_URL, the one-DSN set-up of a single trusted host.
    control_database_url: str | None = None
    company_database_url: str | None = None
    metrics_bind: str | None = None
    otel_endpoint: str | None = None
    log_format: str = "console"
    log_level: str = "INFO"
    # Who acts at the terminal, as named in the roles file; no default: the CLI refuses to
    # decide anything without it (there is no "unknown" actor).
    actor: str = Field(default="", validation_alias="DSAR_USER")
    # The person's private key (dsar.signing); else `<keys_dir>/<DSAR_USER>.key`.
    signing_key_file: str | None = None
    keys_dir: str | None = None
    # The verification page's relay (control worker) signs as the `verification-page` service.
    relay_signing_key_file: str | None = None
    # Worker tuning, from the pipeline benchmark's figures (docs/benchmarks.md):
    # an open request held in the cache costs the control worker about 150 kB since the
    # workflow code is shared between runs (564-793 kB before, workers/sandbox.py), so the
    # SDK's 1,000 cost about 150 MB; a request evicted from the cache is replayed when it
    # next has work (a reminder, a decision, a query), which costs CPU instead.
    workflow_cache: int = 1000
    # The SDK's default slots. Workflow pollers: with the SDK's 5, 100 requests at once made
    # the control worker's workflow tasks wait p50 1.7 s, p95 7.9 s for a poll while its
    # activities waited none and it used a quarter of a core; 16 brought that to 0.6/3.4 s.
    workflow_tasks: int = 100
    workflow_pollers: int = 16
    activity_pollers: int = 5
    # Control-queue activities never waited for a slot at the SDK's 100 (p95 0.00 s).
    control_activity_slots: int = 100
    # Company-queue activities waited p50 2.1 s, p95 9.3 s for one of 8 slots while the
    # company workers used 4-8 % of a core and PostgreSQL 4 %: the slots were the bound.
    # 16 doubles them while each slot still gets a connection (DB_POOL_CAP).
    company_activity_slots: int = 16
    # Packages built at a time per packaging worker process: CPU-bound under one GIL, so
    # more only makes each slower; more throughput is more processes (workers/packaging.py).
    packaging_slots: int = 2
    # Connections per case-store and source pool; unset: the worker's activity slots, at most
    # DB_POOL_CAP. A collector holds a connection of each for its whole run, so a pool smaller
    # than the slots leaves activities holding a slot while they wait for a connection.
    db_pool_size: int | None = None
    # Mail: connections to the relay kept open and reused, closed after this long unused.
    smtp_connections: int = 4
    smtp_idle_seconds: int = 10
    connections: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, _MappingSource(settings_cls)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The settings from `env` (default: the process's, over the stack's local.env).

        Raises ValueError naming each variable and its rule.
        """
        token = _GIVEN.set(env)
        try:
            return cls()
        except ValidationError as exc:
            raise ValueError("; ".join(_message(e) for e in exc.errors())) from None
        finally:
            _GIVEN.reset(token)

    @field_validator("team_reminder_days", "identity_reminder_days", mode="before")
    @classmethod
    def _reminder_days(cls, value: Any, info: ValidationInfo) -> tuple[int, ...]:
        return _days(_variable(info.field_name or ""), value)

    @field_validator("identity_timeout_days", mode="before")
    @classmethod
    def _timeout_days(cls, value: Any, info: ValidationInfo) -> int:
        return value if isinstance(value, int) else _days(_variable(info.field_name or ""), value)[0]

    @field_validator(*WHOLE_NUMBERS, mode="before")
    @classmethod
    def _whole_number(cls, value: Any, info: ValidationInfo) -> int | None:
        name = info.field_name or ""
        if value is None and cls.model_fields[name].default is None:
            return None  # an optional one left unset (its default is computed where used)
        low, high, unit = WHOLE_NUMBERS[name]
        return _whole(_variable(name), value, low, high, unit)

    @field_validator("reminder_time", mode="before")
    @classmethod
    def _clock_time(cls, value: Any, info: ValidationInfo) -> time:
        if isinstance(value, time):
            return value
        match = _CLOCK_TIME.fullmatch(str(value).strip())
        if match is None or int(match[1]) > 23 or int(match[2]) > 59:
            name = _variable(info.field_name or "")
            raise ValueError(f"{name} must be a time of day as HH:MM, from 00:00 to 23:59")
        return time(int(match[1]), int(match[2]))

    @field_validator("retention_schedule", mode="before")
    @classmethod
    def _cron(cls, value: Any, info: ValidationInfo) -> str:
        fields = str(value).split()
        if len(fields) != 5:
            name = _variable(info.field_name or "")
            raise ValueError(f"{name} must be a cron expression of five fields, e.g. '17 3 * * *'")
        return " ".join(fields)

    @field_validator("download_base_url", mode="before")
    @classmethod
    def _base_url(cls, value: Any, info: ValidationInfo) -> str:
        url = str(value).rstrip("/")
        if not url.startswith(("https://", "http://")):
            name = _variable(info.field_name or "")
            raise ValueError(f"{name} must be an http(s) URL, e.g. https://privacy.example.com")
        return url

    @field_validator("codec_unbound_payloads", mode="before")
    @classmethod
    def _unbound(cls, value: Any, info: ValidationInfo) -> str:
        if str(value) not in ("accept", "refuse"):
            raise ValueError(f"{_variable(info.field_name or '')} must be accept or refuse")
        return str(value)

    @model_validator(mode="after")
    def _tls_pair(self) -> Settings:
        if (self.temporal_tls_cert is None) != (self.temporal_tls_key is None):
            raise ValueError("DSAR_TEMPORAL_TLS_CERT and DSAR_TEMPORAL_TLS_KEY must be set together")
        if (
            self.temporal_token_file is not None
            and self.temporal_tls_ca is None
            and self.temporal_tls_cert is None
        ):
            # A bearer token over plain gRPC could be read off the wire and replayed.
            raise ValueError("DSAR_TEMPORAL_TOKEN_FILE needs TLS to Temporal (DSAR_TEMPORAL_TLS_CA or _CERT)")
        return self

    @model_validator(mode="after")
    def _link_within_retention(self) -> Settings:
        if self.package_retention_days < self.download_link_days:
            # A link that outlives its package would only ever lead to "no longer available".
            raise ValueError("DSAR_PACKAGE_RETENTION_DAYS must not be shorter than DSAR_DOWNLOAD_LINK_DAYS")
        if self.retention_record_days < self.retention_copies_days:
            # The record of a case outlives its copies; pseudonymising first would leave copies
            # no one can tie to a request.
            raise ValueError("DSAR_RETENTION_RECORD_DAYS must not be shorter than DSAR_RETENTION_COPIES_DAYS")
        return self

    def db_pool(self, activity_slots: int) -> int:
        """Connections for each of a worker's pools: DSAR_DB_POOL_SIZE, else as many as the
        worker has activity slots, capped at DB_POOL_CAP (the case store's connection budget)."""
        return self.db_pool_size or min(activity_slots, DB_POOL_CAP)

    def connection(self, name: str) -> str:
        try:
            return self.connections[name]
        except KeyError:
            raise ValueError(f"DSAR_CONN_{name} is not set (connection setting of a system)") from None


def _message(error: Any) -> str:
    """Our rules speak for themselves; anything else is said as `VARIABLE: rule`."""
    cause = (error.get("ctx") or {}).get("error")
    if error["type"] == "value_error" and isinstance(cause, ValueError):
        return str(cause)
    field = str(error["loc"][0]) if error["loc"] else ""
    return f"{_variable(field)}: {error['msg']}"

"""Which of the local stack's settings each of its processes is given (issue #15, item 7).

Production gives each component its own secrets (infra/compose.yaml, infra/k8s); the local
stack does the same, so a test or a demo shows what a component can and cannot do.
"""

from __future__ import annotations

DEV_AWS = {"AWS_ACCESS_KEY_ID": "dsar-local", "AWS_SECRET_ACCESS_KEY": "dsar-local-secret"}

# What each part of the stack is given of the stack's settings; the rest it never sees
# (a company worker holds neither the download signing key, nor the superuser's DSN, nor
# another company's connections). Each also gets its own DSAR_DATABASE_URL.
_S3 = ("DSAR_S3_ENDPOINT_URL", "DSAR_S3_BUCKET", "DSAR_S3_REGION", *DEV_AWS)
_AUDIT = ("DSAR_AUDIT_MAC_KEYS", "DSAR_AUDIT_ANCHOR_BUCKET")
_TEMPORAL = ("DSAR_TEMPORAL_ADDRESS", "DSAR_TEMPORAL_NAMESPACE", "DSAR_CODEC_KEY_FILE")
PART_SETTINGS: dict[str, tuple[str, ...]] = {
    "control": (*_TEMPORAL, *_S3, *_AUDIT, "DSAR_MIGRATION_DATABASE_URL", "DSAR_SMTP_URL", "DSAR_ROLES_FILE",
                "DSAR_DOWNLOAD_SIGNING_KEY", "DSAR_DOWNLOAD_BASE_URL",
                # The identity relay signs the codes it forwards as the verification page.
                "DSAR_RELAY_SIGNING_KEY_FILE"),
    "company": (*_TEMPORAL, *_S3, *_AUDIT),
    # Builds packages: reads the case store (with the control worker's login, as a package
    # draws on every company's results), writes S3 and the audit trail; no mail, no links.
    "packaging": (*_TEMPORAL, *_S3, *_AUDIT),
    "download-server": (*_S3, *_AUDIT, "DSAR_DOWNLOAD_SIGNING_KEY", "DSAR_DOWNLOAD_BASE_URL",
                        "DSAR_DOWNLOAD_LISTEN"),
}  # fmt: skip
# Never inherited from the environment the stack was started in.
SECRET_PREFIXES = ("DSAR_CONN_", "DSAR_DATABASE_URL", "DSAR_MIGRATION_DATABASE_URL", "DSAR_CODEC_",
                    "DSAR_DOWNLOAD_SIGNING_KEY", "DSAR_AUDIT_MAC_KEYS", "DSAR_CONTROL_DATABASE_URL",
                    "DSAR_COMPANY_DATABASE_URL", "AWS_")  # fmt: skip
# Behaviour switches that share a secret's prefix: passed through from the shell like any
# other DSAR_* setting, so a rolling upgrade's `DSAR_CODEC_COMPRESS=false` (docs/settings.md)
# can be tried on the local stack. Names only, never a prefix: a new DSAR_CODEC_ setting stays
# withheld until it is listed here.
NOT_SECRET = ("DSAR_CODEC_COMPRESS", "DSAR_CODEC_UNBOUND_PAYLOADS")
# Not for the team's `dsar` (local.env): the superuser's DSN, the link signing key, the systems.
NOT_FOR_THE_TEAM = ("DSAR_MIGRATION_DATABASE_URL", "DSAR_DOWNLOAD_SIGNING_KEY", "DSAR_CONN_")

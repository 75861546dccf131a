"""The Temporal connection's TLS settings: each component's own certificate, named clearly."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.service import TLSConfig

from dsar.client import tls_config
from dsar.config import Settings


def test_plain_without_certificates_and_mutual_tls_with_them(tmp_path: Path) -> None:
    assert tls_config(Settings.from_env({})) is False
    for name in ("tls.crt", "tls.key", "ca.crt"):
        (tmp_path / name).write_bytes(f"-----{name}-----".encode())
    tls = tls_config(
        Settings.from_env({
            "DSAR_TEMPORAL_TLS_CERT": str(tmp_path / "tls.crt"),
            "DSAR_TEMPORAL_TLS_KEY": str(tmp_path / "tls.key"),
            "DSAR_TEMPORAL_TLS_CA": str(tmp_path / "ca.crt"),
            "DSAR_TEMPORAL_TLS_SERVER_NAME": "temporal",
        })
    )  # fmt: skip
    assert isinstance(tls, TLSConfig)
    assert (tls.client_cert, tls.client_private_key, tls.server_root_ca_cert, tls.domain) == (
        b"-----tls.crt-----", b"-----tls.key-----", b"-----ca.crt-----", "temporal"
    )  # fmt: skip


def test_a_certificate_without_its_key_or_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(
        ValueError, match="DSAR_TEMPORAL_TLS_CERT and DSAR_TEMPORAL_TLS_KEY must be set together"
    ):
        Settings.from_env({"DSAR_TEMPORAL_TLS_CERT": str(tmp_path / "tls.crt")})
    missing = Settings.from_env(
        {
            "DSAR_TEMPORAL_TLS_CERT": str(tmp_path / "no.crt"),
            "DSAR_TEMPORAL_TLS_KEY": str(tmp_path / "no.key"),
        }
    )
    with pytest.raises(ValueError, match="DSAR_TEMPORAL_TLS_CERT does not name a readable file"):
        tls_config(missing)
    with pytest.raises(ValueError, match="DSAR_CODEC_UNBOUND_PAYLOADS must be accept or refuse"):
        Settings.from_env({"DSAR_CODEC_UNBOUND_PAYLOADS": "maybe"})

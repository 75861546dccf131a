"""Connecting to Temporal with the product's data converter (pydantic + encryption).

In production the connection is mutual TLS: `DSAR_TEMPORAL_TLS_CERT` and `_KEY` are this
component's own client certificate (the server's authoriser maps its subject to what the
component may do), `DSAR_TEMPORAL_TLS_CA` the CA the server's certificate is checked
against. Without them the connection is plain, as the local dev server speaks.
"""

from __future__ import annotations

from pathlib import Path

from temporalio.client import Client
from temporalio.runtime import Runtime
from temporalio.service import TLSConfig

from dsar.codec import KeyRing, UnboundPayloads, data_converter
from dsar.config import Settings
from dsar.tracing import tracing_interceptors


def key_ring(settings: Settings) -> KeyRing:
    return KeyRing.from_settings(settings.codec_keys, settings.codec_key_file)


def _read(path: str, setting: str) -> bytes:
    file = Path(path)
    if not file.is_file():
        raise ValueError(f"{setting} does not name a readable file")
    return file.read_bytes()


def tls_config(settings: Settings) -> TLSConfig | bool:
    """The client's TLS settings; False (plain gRPC) when no certificate or CA is configured."""
    if settings.temporal_tls_cert is None and settings.temporal_tls_ca is None:
        return False
    ca, cert, key = settings.temporal_tls_ca, settings.temporal_tls_cert, settings.temporal_tls_key
    return TLSConfig(
        server_root_ca_cert=_read(ca, "DSAR_TEMPORAL_TLS_CA") if ca else None,
        domain=settings.temporal_tls_server_name,
        client_cert=_read(cert, "DSAR_TEMPORAL_TLS_CERT") if cert else None,
        client_private_key=_read(key, "DSAR_TEMPORAL_TLS_KEY") if key else None,
    )


async def connect(settings: Settings, ring: KeyRing | None = None, runtime: Runtime | None = None) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(
            ring or key_ring(settings), UnboundPayloads(settings.codec_unbound_payloads)
        ),
        tls=tls_config(settings),
        runtime=runtime,
        interceptors=tracing_interceptors(settings.otel_endpoint),
    )

"""Connecting to Temporal with the product's data converter (pydantic + encryption)."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.runtime import Runtime

from dsar.codec import KeyRing, data_converter
from dsar.config import Settings
from dsar.tracing import tracing_interceptors


def key_ring(settings: Settings) -> KeyRing:
    return KeyRing.from_settings(settings.codec_keys, settings.codec_key_file)


async def connect(settings: Settings, ring: KeyRing | None = None, runtime: Runtime | None = None) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(ring or key_ring(settings)),
        runtime=runtime,
        interceptors=tracing_interceptors(settings.otel_endpoint),
    )

"""OpenTelemetry traces, off unless `DSAR_OTEL_ENDPOINT` is set.

Spans follow a request across the client, the workflows and the activities (Temporal's
tracing interceptor); they carry workflow ids and activity names, never payloads.
Needs the `otel` extra: `pip install 'dsar[otel]'`.
"""

from __future__ import annotations

from typing import Any


def tracing_interceptors(endpoint: str | None, service: str = "dsar") -> list[Any]:
    if not endpoint:
        return []
    try:
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from temporalio.contrib.opentelemetry import TracingInterceptor
    except ImportError:
        raise ValueError(
            "DSAR_OTEL_ENDPOINT is set but the otel extra is missing: pip install 'dsar[otel]'"
        ) from None
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    trace.set_tracer_provider(provider)
    return [TracingInterceptor()]

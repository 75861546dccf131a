"""Traces are off by default, and when on, a request's workflow and activities produce spans."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor

from dsar.domain import Status
from dsar.tracing import tracing_interceptors
from tests.workflow.conftest import running_workers, start_request_for, wait_for_status


def test_tracing_is_off_by_default() -> None:
    assert tracing_interceptors(None) == []


async def test_spans_follow_a_request(
    time_skipping_env: Any, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    traced = Client(
        **{
            **time_skipping_env.client.config(),
            "interceptors": [TracingInterceptor(provider.get_tracer("dsar-test"))],
        }
    )
    async with running_workers(traced, **workers_kwargs) as queue:
        handle = await start_request_for(traced, queue, case_pool, date.today())
        await wait_for_status(handle, Status.IDENTITY)
        await handle.terminate(reason="test finished")
    names = {span.name for span in exporter.get_finished_spans()}
    assert "StartWorkflow:RightsRequestWorkflow" in names
    assert any(n.startswith("RunActivity:") for n in names)

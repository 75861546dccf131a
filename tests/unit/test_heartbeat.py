"""Long activities heartbeat while they wait on one long call (`activities/_heartbeat.py`).

Temporal's own activity test environment records the heartbeats; the work is a sleep
standing in for a PDF rendered in a thread or one long UPDATE.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from temporalio.testing import ActivityEnvironment

from activities import _heartbeat
from activities._copy_pipe import RESUMABLE
from activities._heartbeat import beating, heartbeating


@pytest.fixture(autouse=True)
def often(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_heartbeat, "EVERY_SECONDS", 0.05)


def recording() -> tuple[ActivityEnvironment, list[tuple[Any, ...]]]:
    env = ActivityEnvironment()
    beats: list[tuple[Any, ...]] = []
    env.on_heartbeat = lambda *details: beats.append(details)
    return env, beats


async def test_a_long_call_heartbeats_until_it_returns() -> None:
    @heartbeating
    async def build(seconds: float) -> str:
        await asyncio.sleep(seconds)
        return "built"

    env, beats = recording()
    assert await env.run(build, 0.5) == "built"
    assert len(beats) >= 5
    count = len(beats)
    await asyncio.sleep(0.2)
    assert len(beats) == count  # stopped with the activity


async def test_a_failing_activity_stops_heartbeating_too() -> None:
    @heartbeating
    async def broken() -> None:
        await asyncio.sleep(0.2)
        raise ConnectionRefusedError

    env, beats = recording()
    with pytest.raises(ConnectionRefusedError):
        await env.run(broken)
    count = len(beats)
    await asyncio.sleep(0.2)
    assert count >= 2 and len(beats) == count


async def test_beating_keeps_the_details_a_retry_reads() -> None:
    async def collect() -> None:
        async with beating(RESUMABLE):
            await asyncio.sleep(0.3)

    env, beats = recording()
    await env.run(collect)
    assert beats and all(details == (RESUMABLE,) for details in beats)


async def test_called_outside_an_activity_it_just_runs() -> None:
    @heartbeating
    async def plain() -> int:
        await asyncio.sleep(0.1)
        return 1

    assert await plain() == 1

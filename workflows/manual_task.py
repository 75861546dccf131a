"""Waiting for a person outside the privacy team: the owner of a manual system.

Collection (an export to upload) and the other rights (an erasure or correction to make
by hand) ask the same owner and wait the same way: reminders on the configured days,
then as long as it takes. Deterministic: only timers and conditions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from temporalio import workflow


async def wait_with_reminders(
    answered: Callable[[], bool], reminder_days: list[int], remind: Callable[[int], Awaitable[None]]
) -> None:
    """Return once `answered()` holds; call `remind(day)` on each reminder day that passes first."""
    started = workflow.now()
    for days in sorted(set(reminder_days)):
        remaining = started + timedelta(days=days) - workflow.now()
        try:
            await workflow.wait_condition(answered, timeout=max(remaining, timedelta(seconds=1)))
            break
        except TimeoutError:
            await remind(days)
    await workflow.wait_condition(answered)

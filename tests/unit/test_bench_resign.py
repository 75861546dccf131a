"""The pipeline benchmark's driver sends a decision again, newly signed, when the workflow
refused it for having waited past its signature's window (the batch of 1,000 in
docs/benchmarks.md, run 5, stopped on one), and only then: any other refusal still ends the
request's drive, and one that never gets through in time stops after a bounded number."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from bench.pipeline import drive

TOO_OLD = (
    "ValueError: signature: made at 2026-12-02T16:24:36+00:00, more than 5 minutes from the"
    " workflow's time; sign the decision again"
)


class CountingStages:
    """What `patiently` reads of `drive.Stages`: the counter, and a status never asked here."""

    def __init__(self) -> None:
        self.signed_again = 0


def refusals(*causes: str | None) -> Any:
    """A stand-in for `send_update`: refuses with each cause in turn; None is accepted."""
    sent: list[int] = []

    async def send_update(client: Any, reference: str, update: Any, decision: Any) -> None:
        sent.append(1)
        cause = causes[len(sent) - 1]
        if cause is not None:
            raise WorkflowUpdateFailedError(ApplicationError(cause))

    send_update.sent = sent  # type: ignore[attr-defined]
    return send_update


async def test_a_decision_refused_as_too_old_is_sent_again_and_counted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    send = refusals(TOO_OLD, TOO_OLD, None)
    monkeypatch.setattr(drive, "send_update", send)
    stages = CountingStages()
    await drive.patiently(stages, None, "DSAR-2026-000001", "identity", object(), object())  # type: ignore[arg-type]
    assert len(send.sent) == 3
    assert stages.signed_again == 2


async def test_another_refusal_still_ends_the_drive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        drive, "send_update", refusals("ValueError: user 'x' does not have the reviewer role")
    )
    stages = CountingStages()
    with pytest.raises(WorkflowUpdateFailedError):
        await drive.patiently(stages, None, "DSAR-2026-000001", "review", object(), object())  # type: ignore[arg-type]
    assert stages.signed_again == 0


async def test_a_workflow_that_never_takes_it_up_in_time_is_given_up_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    send = refusals(*[TOO_OLD] * (drive.SIGNED_AGAIN_AT_MOST + 1))
    monkeypatch.setattr(drive, "send_update", send)
    stages = CountingStages()
    with pytest.raises(WorkflowUpdateFailedError):
        await drive.patiently(stages, None, "DSAR-2026-000001", "review", object(), object())  # type: ignore[arg-type]
    assert len(send.sent) == drive.SIGNED_AGAIN_AT_MOST + 1
    assert stages.signed_again == drive.SIGNED_AGAIN_AT_MOST

"""A decision that Temporal could not hand to a busy worker in time ends the command with a
sentence saying what to do, not a traceback (seen with 300 requests starting at once in
`make bench-pipeline`)."""

from __future__ import annotations

import pytest
import typer
from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError

from cli._base import run


async def timed_out() -> None:
    raise WorkflowUpdateRPCTimeoutOrCancelledError()


def test_an_update_not_taken_up_in_time_is_one_line_with_the_next_step(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(typer.Exit) as ended:
        run(timed_out())
    assert ended.value.exit_code == 1
    said = " ".join(capsys.readouterr().err.split())
    assert "did not answer in time" in said and "dsar status" in said
    assert "Traceback" not in said

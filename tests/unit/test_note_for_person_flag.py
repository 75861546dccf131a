"""`--note-for-person` reaches the decision the CLI sends, apart from the internal note.

The Update itself is stubbed (no server needed to check what the command builds); the
workflow and the letters are checked end to end in tests/workflow/test_person_facing_golden.py.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

import cli
from cli import actions, collection
from dsar.messages.actions import ActionConfirmation
from dsar.messages.collection import SystemDecision


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    captured: list[Any] = []

    def update(settings: Any, reference: str, method: Any, argument: Any) -> Any:
        captured.append(argument)
        return SimpleNamespace(reference=reference)

    for module in (actions, collection):
        monkeypatch.setattr(module, "load_settings", lambda: SimpleNamespace(actor="privacy-officer"))
        monkeypatch.setattr(module, "update", update)
        monkeypatch.setattr(module, "show_state", lambda *args, **kwargs: None)
    return captured


def test_done_takes_a_note_for_the_person_apart_from_the_note(sent: list[Any]) -> None:
    result = CliRunner().invoke(
        cli.app,
        ["done", "DSAR-2026-000001", "--system", "gb01/signups", "--action", "erase", "--not-applicable",
         "--note", "no sheets for him", "--note-for-person", "The binder holds no sheet of yours."],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (confirmation,) = sent
    assert isinstance(confirmation, ActionConfirmation)
    assert confirmation.note == "no sheets for him"
    assert confirmation.note_for_person == "The binder holds no sheet of yours."


def test_mark_na_takes_a_note_for_the_person_apart_from_the_reason(sent: list[Any]) -> None:
    result = CliRunner().invoke(
        cli.app,
        ["mark-na", "DSAR-2026-000001", "--system", "gb01/signups", "--reason", "binder: none",
         "--note-for-person", "The events team found no sign-up sheet of yours."],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (decision,) = sent
    assert isinstance(decision, SystemDecision)
    assert (decision.reason, decision.note_for_person) == (
        "binder: none",
        "The events team found no sign-up sheet of yours.",
    )


def test_without_the_flag_nothing_is_said_to_the_person(sent: list[Any]) -> None:
    result = CliRunner().invoke(
        cli.app, ["mark-na", "DSAR-2026-000001", "--system", "gb01/signups", "--reason", "binder: none"]
    )
    assert result.exit_code == 0, result.output
    assert sent[0].note_for_person == ""

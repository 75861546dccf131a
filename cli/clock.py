"""The clock: `dsar extend`, `clarify`, `answer` and `resend-link`.

The legal deadline runs from receipt; these are the steps that move it (an extension with
reasons, a question whose answer restarts it where the jurisdiction allows) and the one
that keeps a delivered answer within reach of the person while its package is kept.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cli._base import JsonFlag, Reference, load_settings, show_state, update
from cli.guide import follow
from dsar.messages.clock import ClarificationAnswer, ClarificationRequest, ExtensionDecision
from dsar.messages.delivery import ResendLinkRequest
from workflows.rights_request import RightsRequestWorkflow


def extend(
    reference: Reference,
    reason: Annotated[str, typer.Option("--reason", help="Why more time is needed; sent to the person.")],
    as_json: JsonFlag = False,
) -> None:
    """Extend the deadline by two months (Art. 12(3)); the person is told why at once."""
    settings = load_settings()
    decision = ExtensionDecision(actor=settings.actor, reason=reason)
    state = update(settings, reference, RightsRequestWorkflow.extend, decision)
    due = state.due_on.isoformat() if state.due_on else "-"
    show_state(
        state, as_json, f"Extended {state.reference}; now due {due}. Notice sent. {follow(state.reference)}"
    )


def clarify(
    reference: Reference,
    question: Annotated[str, typer.Option("--question", help="Sent to the person as written.")],
    as_json: JsonFlag = False,
) -> None:
    """Ask the person a question; where the jurisdiction allows, the clock waits for the answer."""
    settings = load_settings()
    request = ClarificationRequest(actor=settings.actor, question=question)
    state = update(settings, reference, RightsRequestWorkflow.clarify, request)
    clock = "stopped" if state.clock_stopped else "running"
    show_state(
        state,
        as_json,
        f"Question sent for {state.reference}; clock {clock}."
        f" When the person answers: dsar answer {state.reference} --note TEXT",
    )


def answer(
    reference: Reference,
    note: Annotated[str | None, typer.Option("--note", help="What the person answered, in short.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Record that the person answered; the clock starts again from today."""
    settings = load_settings()
    answered = ClarificationAnswer(actor=settings.actor, note=note)
    state = update(settings, reference, RightsRequestWorkflow.answer, answered)
    due = state.due_on.isoformat() if state.due_on else "-"
    show_state(state, as_json, f"Answer recorded for {state.reference}; due {due}. {follow(state.reference)}")


def resend_link(
    reference: Reference,
    as_json: JsonFlag = False,
) -> None:
    """Send the person a new download link and code; the ones sent before stop working."""
    settings = load_settings()
    state = update(
        settings, reference, RightsRequestWorkflow.resend_link, ResendLinkRequest(actor=settings.actor)
    )
    show_state(
        state,
        as_json,
        f"New download link and code sent for {state.reference}; earlier links no longer work.",
    )

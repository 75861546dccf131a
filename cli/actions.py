"""Other rights: `dsar done`, `retry-action` and `lift-restriction`.

Erasure, rectification, restriction and the rest are carried out system by system; these
settle what the connectors cannot (a manual system's owner acting by hand, a fault fixed)
and end a restriction, which the person must hear of before the flags are cleared.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cli._base import (
    JsonFlag,
    Reference,
    SystemOption,
    load_settings,
    show_state,
    split_system,
    update,
)
from cli.guide import follow
from dsar.messages.actions import Action, ActionConfirmation, ActionRetry, LiftRestriction
from workflows.rights_request import RightsRequestWorkflow

_ACTIONS = ", ".join(a.value for a in Action)


def _action_arg(value: str) -> str:
    if value not in {a.value for a in Action}:
        raise typer.BadParameter(f"{value!r} is not an action; choose from {_ACTIONS}")
    return value


ActionOption = Annotated[str, typer.Option("--action", callback=_action_arg, help=_ACTIONS)]


def done(
    reference: Reference,
    system: SystemOption,
    action: ActionOption,
    changed: Annotated[int, typer.Option("--changed", min=0, help="Rows or items changed by hand.")] = 0,
    not_applicable: Annotated[
        bool, typer.Option("--not-applicable", help="The system cannot take the action; say why in --note.")
    ] = False,
    note: Annotated[str, typer.Option("--note", help="What was done, or why not; kept on record.")] = "",
    note_for_person: Annotated[
        str,
        typer.Option(
            "--note-for-person", help="A sentence the person's letter quotes; --note stays internal."
        ),
    ] = "",
    as_json: JsonFlag = False,
) -> None:
    """Confirm a manual system's owner took the action (or settle a failed system by hand)."""
    settings = load_settings()
    company, code = split_system(system)
    confirmation = ActionConfirmation(
        actor=settings.actor,
        company=company,
        system=code,
        action=Action(action),
        done=not not_applicable,
        changed=changed,
        note=note,
        note_for_person=note_for_person,
    )
    state = update(settings, reference, RightsRequestWorkflow.confirm_action, confirmation)
    show_state(
        state,
        as_json,
        f"Recorded {action} in {company}/{code} of {state.reference} as "
        + ("not applicable." if not_applicable else f"done ({changed} changed).")
        + f" {follow(state.reference)}",
    )


def retry_action(
    reference: Reference,
    system: SystemOption,
    action: ActionOption,
    as_json: JsonFlag = False,
) -> None:
    """Take a failed action again in one system (after the fault is fixed)."""
    settings = load_settings()
    company, code = split_system(system)
    retry = ActionRetry(actor=settings.actor, company=company, system=code, action=Action(action))
    state = update(settings, reference, RightsRequestWorkflow.retry_action, retry)
    result = next(
        (r for r in state.actions if (r.company, r.system, r.action.value) == (company, code, action)), None
    )
    show_state(
        state,
        as_json,
        f"{action} in {company}/{code} of {state.reference}: {result.status.value},"
        f" {result.changed} changed. {follow(state.reference)}"
        if result is not None
        else f"{action} in {company}/{code} of {state.reference} taken again. {follow(state.reference)}",
    )


def lift_restriction(
    reference: Reference,
    reason: Annotated[
        str, typer.Option("--reason", help="Why the restriction ends; the person is told first.")
    ],
    as_json: JsonFlag = False,
) -> None:
    """Lift a restriction (Art. 18(3)): the person is told, then the flags are cleared everywhere."""
    settings = load_settings()
    request = LiftRestriction(actor=settings.actor, reason=reason)
    state = update(settings, reference, RightsRequestWorkflow.lift_restriction, request)
    show_state(
        state,
        as_json,
        f"Lifting the restriction of {state.reference}: the person is told first. {follow(state.reference)}",
    )

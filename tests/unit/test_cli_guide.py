"""What `dsar status` says a request waits for, and the words around counts (issue #18)."""

from __future__ import annotations

from datetime import date

from cli.guide import TEAM, WORKERS, after_approval, next_steps, plural, steps_text
from dsar.domain import Right, Status
from dsar.messages.actions import Action, ActionResult, ActionStatus
from dsar.messages.collection import CompanyCollectionState, SystemResult, SystemStatus
from dsar.messages.identity import IdentityProgress
from dsar.messages.state import CompanyProgress, RequestState

REF = "DSAR-2026-000042"


def state(status: Status, rights: tuple[Right, ...] = (Right.ACCESS,), **fields: object) -> RequestState:
    return RequestState(
        reference=REF,
        status=status,
        rights=list(rights),
        jurisdiction="SE",
        received_on=date(2026, 3, 2),
        **fields,  # type: ignore[arg-type]
    )


def test_counts_take_the_word_in_the_right_number() -> None:
    assert plural(1, "code") == "1 code"
    assert plural(2, "code") == "2 codes"
    assert plural(0, "customer record") == "0 customer records"
    assert plural(1, "match", "matches") == "1 match" and plural(3, "match", "matches") == "3 matches"


def test_a_manual_system_waiting_for_its_export_names_its_owner_and_the_upload_command() -> None:
    waiting = SystemResult(
        company="gb01", system="signups", kind="manual", status=SystemStatus.AWAITING_UPLOAD
    )
    collecting = state(Status.COLLECTING, companies=[CompanyProgress(company="gb01", task_queue="q")])
    steps = next_steps(collecting, {"gb01": CompanyCollectionState(company="gb01", systems=[waiting])})
    assert [s.who for s in steps] == ["the owner of gb01/signups"]
    assert steps[0].command.startswith(f"dsar upload {REF} --system gb01/signups FILE")
    assert f"dsar mark-na {REF} --system gb01/signups" in steps[0].command


def test_identity_names_both_ways_to_confirm() -> None:
    identity = IdentityProgress(searched=True, customer_records=1, email_held=True, codes_sent=1)
    steps = next_steps(state(Status.IDENTITY, identity=identity))
    assert [s.command for s in steps] == [
        f"dsar verify {REF} --code CODE",
        f"dsar verify {REF} --method customer_record --note TEXT",
    ]


def test_review_names_review_then_approve_and_a_manual_erasure_names_dsar_done() -> None:
    [step] = next_steps(state(Status.REVIEW))
    assert step.who == TEAM and step.command == f"dsar review {REF}  then  dsar approve {REF}"
    pending = ActionResult(
        company="gb01",
        system="signups",
        kind="manual",
        action=Action.ERASE,
        status=ActionStatus.AWAITING_OWNER,
    )
    [step] = next_steps(state(Status.EXECUTING, (Right.ERASURE,)), pending_actions=[pending])
    assert step.who == "the owner of gb01/signups"
    assert step.command.startswith(f"dsar done {REF} --system gb01/signups --action erase")


def test_work_in_progress_waits_for_nobody_and_a_closed_request_for_nothing() -> None:
    [step] = next_steps(state(Status.PACKAGING))
    assert step.who == WORKERS and not step.command
    assert steps_text(next_steps(state(Status.CLOSED))) == ["Waits for: nothing; the request is closed."]


def test_approval_says_what_follows_for_the_rights_asked() -> None:
    assert after_approval([Right.ACCESS]) == "the package's download link is sent"
    erasure = after_approval([Right.ERASURE])
    assert "package" not in erasure and erasure.startswith("erasure in every company")
    both = after_approval([Right.ACCESS, Right.RECTIFICATION])
    assert both.startswith("the package's download link is sent")
    assert "the corrections in every company" in both

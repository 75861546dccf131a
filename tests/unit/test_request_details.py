"""The operator's "current details" of a request, and the table of what each right needs.

Both are pure: the details are a function of the request's state, the steps a function of
the submission, so they are tested here without a Temporal server.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from dsar.domain import (
    Channel,
    CorrectableField,
    Correction,
    Language,
    Objection,
    ObjectionScope,
    RequestSubmission,
    Right,
    Status,
    SubjectIdentity,
)
from dsar.messages.actions import Action, ActionResult, ActionStatus
from dsar.messages.identity import IdentityProgress
from dsar.messages.state import CompanyProgress, RequestState
from workflows.rights_request.details import current_details
from workflows.rights_request.rights import NEEDS, steps_for

TODAY = date(2026, 3, 10)


def state(**changes: object) -> RequestState:
    base = RequestState(
        reference="DSAR-2026-000042",
        status=Status.COLLECTING,
        rights=[Right.ACCESS],
        jurisdiction="SE",
        received_on=date(2026, 3, 2),
        due_on=date(2026, 4, 2),
    )
    return base.model_copy(update=changes)


def test_the_heading_stage_and_due_date() -> None:
    lines = current_details(state(), today=TODAY).splitlines()
    assert lines == [
        "**DSAR-2026-000042** · access · SE",
        "- Stage: **collecting**",
        "- Received: 2026-03-02",
        "- Due: 2026-04-02 (23 days left)",
    ]


def test_an_overdue_request_says_so_and_a_closed_one_shows_no_due_date() -> None:
    assert "(-1 days left) — **OVERDUE**" in current_details(state(), today=date(2026, 4, 3))
    closed = current_details(state(status=Status.CLOSED, outcome="identity_not_verified"), today=TODAY)
    assert "- Stage: **closed** (identity_not_verified)" in closed
    assert "Due:" not in closed


def test_a_stopped_clock_an_extension_and_an_open_question() -> None:
    text = current_details(state(clock_stopped=True, extended=True, open_question=True), today=TODAY)
    assert "- Clock: **stopped** (waiting for the person)" in text
    assert "Due:" not in text
    assert "- Deadline extended (Art. 12(3))" in text
    assert "- Waiting for the person's answer to a question" in text


def test_identity_methods_show_only_while_identity_is_open() -> None:
    progress = IdentityProgress(searched=True, customer_records=1, codes_sent=2)
    waiting = current_details(state(status=Status.IDENTITY, identity=progress), today=TODAY)
    assert "- Identity: email_code, customer_record, document_check (2 codes sent)" in waiting
    assert "Identity:" not in current_details(state(identity=progress), today=TODAY)
    agent = IdentityProgress(agent=True)
    assert "- Identity: none yet" in current_details(
        state(status=Status.IDENTITY, identity=agent), today=TODAY
    )


def test_the_package_kept_then_deleted() -> None:
    delivered = datetime(2026, 3, 20, 9, tzinfo=UTC)
    kept = state(status=Status.DELIVERED, delivered_at=delivered, links_resent=1)
    assert "- Package kept until 2026-04-19, 1 new links sent" in current_details(
        kept, today=TODAY, keeping_package=True, retention_days=30
    )
    assert "Package" not in current_details(kept, today=TODAY, keeping_package=False, retention_days=30)
    deleted = kept.model_copy(update={"package_deleted_at": datetime(2026, 4, 19, 9, tzinfo=UTC)})
    assert "- Package deleted 2026-04-19" in current_details(deleted, today=TODAY, keeping_package=True)


def test_other_peoples_data_and_unindexed_names() -> None:
    text = current_details(state(redaction_findings=3, names_not_indexed=["gb01"]), today=TODAY)
    assert "- Other people's data found: 3 (names not indexed in gb01)" in text


def test_actions_settled_running_and_failed_per_action() -> None:
    def result(system: str, status: ActionStatus, changed: int = 0) -> ActionResult:
        return ActionResult(
            company="se01", system=system, action=Action.ERASE, status=status, changed=changed
        )

    actions = [
        result("crm", ActionStatus.DONE, changed=4),
        result("app", ActionStatus.FAILED),
        result("binder", ActionStatus.AWAITING_OWNER),
    ]
    text = current_details(
        state(status=Status.EXECUTING, actions=actions),
        today=TODAY,
        acting={("gb01", Action.ERASE), ("gb01", Action.RECTIFY)},
    )
    assert "- erase: 1 systems settled, 4 changed, running in gb01, **failed: se01/app**" in text
    assert "- rectify: 0 systems settled, 0 changed, running in gb01" in text


def test_holds_restriction_and_companies() -> None:
    text = current_details(
        state(
            legal_holds={"se01/ledger": "bookkeeping law", "gb01/crm": "claim"},
            restriction_active=True,
            companies=[
                CompanyProgress(company="se01", task_queue="q", done=True, records=12),
                CompanyProgress(company="gb01", task_queue="q", records=0, failed_systems=["crm"]),
            ],
        ),
        today=TODAY,
    )
    lines = text.splitlines()
    assert "- Legal holds: gb01/crm, se01/ledger" in lines
    assert "- Restriction in force (lift with dsar lift-restriction; the person is told first)" in lines
    assert lines[-2:] == ["- se01: done, 12 records", "- gb01: collecting, 0 records, failed: crm"]


# --- the rights table --------------------------------------------------------------------


def submission(*rights: Right, scope: ObjectionScope | None = None) -> RequestSubmission:
    return RequestSubmission(
        rights=list(rights),
        subject=SubjectIdentity(full_name="Test Person", email="test@example.com"),
        language=Language.EN,
        jurisdiction="SE",
        channel=Channel.EMAIL,
        received_on=TODAY,
        corrections=[Correction(field=CorrectableField.PHONE, value="+46 70 000 00 00")]
        if Right.RECTIFICATION in rights
        else [],
        objection=Objection(scope=scope, processing="profiling") if scope else None,
    )


def test_access_alone_is_reviewed_and_delivered_without_actions() -> None:
    steps = steps_for(submission(Right.ACCESS))
    assert (steps.acting, steps.review, steps.copy, steps.portable) == (False, True, True, False)
    assert steps.at_once == () and steps.actions_after_review(objection_upheld=False) == []


def test_direct_marketing_and_consent_act_at_once_without_review() -> None:
    steps = steps_for(
        submission(Right.CONSENT_WITHDRAWAL, Right.OBJECTION, scope=ObjectionScope.DIRECT_MARKETING)
    )
    assert steps.acting and not steps.review and not steps.copy
    assert steps.at_once == (Action.SUPPRESS_MARKETING, Action.WITHDRAW_CONSENT)


def test_actions_after_review_run_corrections_first_and_erasure_last() -> None:
    steps = steps_for(submission(Right.ERASURE, Right.RESTRICTION, Right.RECTIFICATION, Right.ACCESS))
    assert steps.review and steps.copy and not steps.portable
    assert steps.actions_after_review(objection_upheld=False) == [
        Action.RECTIFY,
        Action.RESTRICT,
        Action.ERASE,
    ]


@pytest.mark.parametrize(("upheld", "actions"), [(True, [Action.RESTRICT]), (False, [])])
def test_an_objection_to_other_processing_restricts_only_when_upheld(
    upheld: bool, actions: list[Action]
) -> None:
    steps = steps_for(submission(Right.OBJECTION, scope=ObjectionScope.OTHER))
    assert steps.acting and steps.review and not steps.copy and steps.at_once == ()
    assert steps.actions_after_review(objection_upheld=upheld) == actions


def test_portability_delivers_a_portable_copy() -> None:
    steps = steps_for(submission(Right.PORTABILITY))
    assert steps.acting and steps.review and steps.copy and steps.portable


def test_every_right_and_objection_scope_has_a_row() -> None:
    rights = {r for r, _ in NEEDS}
    scopes = {s for r, s in NEEDS if r is Right.OBJECTION}
    assert rights == set(Right) and scopes == set(ObjectionScope)

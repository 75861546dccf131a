"""How `dsar status` words a workflow's failure: our own messages in full, foreign ones by type.

A foreign exception (say a database driver's) converted by the SDK keeps its library's
message, which may quote a value from a row; only its type is shown.
"""

from __future__ import annotations

from temporalio.client import WorkflowExecutionStatus
from temporalio.exceptions import ActivityError, ApplicationError, RetryState

from cli.execution import execution_word, failure_text


def _activity_failed(cause: BaseException) -> ActivityError:
    error = ActivityError(
        "Activity task failed",
        scheduled_event_id=5,
        started_event_id=6,
        identity="worker",
        activity_type="send_notification",
        activity_id="5",
        retry_state=RetryState.NON_RETRYABLE_FAILURE,
    )
    error.__cause__ = cause
    return error


def test_our_own_message_is_shown_with_the_step() -> None:
    ours = ApplicationError("the mail relay does not offer SMTPUTF8", type="UndeliverableAddress")
    assert failure_text(_activity_failed(ours)) == (
        "activity send_notification: the mail relay does not offer SMTPUTF8"
    )
    assert failure_text(ApplicationError("the package has been deleted")) == "the package has been deleted"


def test_a_foreign_message_is_withheld_and_its_type_shown() -> None:
    foreign = ApplicationError("Key (email)=(eve@example.org) already exists", type="UniqueViolationError")
    text = failure_text(_activity_failed(foreign))
    assert text == "activity send_notification: UniqueViolationError (message withheld)"
    assert "eve@" not in text


def test_execution_words() -> None:
    assert execution_word(WorkflowExecutionStatus.CANCELED) == "cancelled"
    assert execution_word(WorkflowExecutionStatus.TIMED_OUT) == "timed out"
    assert execution_word(WorkflowExecutionStatus.TERMINATED) == "terminated"

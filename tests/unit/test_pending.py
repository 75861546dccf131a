"""`dsar.pending`: which systems and steps Temporal is retrying, read from a description.

The descriptions are Temporal's own protobuf messages, as `handle.describe()` returns them
in `raw_description`; the ids are the ones the workflows set (`workflows/per_system.py`,
`workflows/rights_request/context.py`).
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any

from temporalio.api.common.v1 import ActivityType
from temporalio.api.failure.v1 import Failure
from temporalio.api.workflow.v1 import PendingActivityInfo
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionResponse
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.exceptions import ApplicationError

from dsar.pending import (
    PendingStep,
    company_activity_id,
    parse_activity_id,
    pending_steps,
    pending_with_errors,
    retrying,
    step_activity_id,
    system_activity_id,
)


def description(*activities: PendingActivityInfo) -> Any:
    return SimpleNamespace(raw_description=DescribeWorkflowExecutionResponse(pending_activities=activities))


def pending(
    activity_id: str, activity_type: str, attempt: int, error: str | None = None
) -> PendingActivityInfo:
    info = PendingActivityInfo(
        activity_id=activity_id, activity_type=ActivityType(name=activity_type), attempt=attempt
    )
    if error is not None:
        info.last_failure.CopyFrom(Failure(message=error))
    return info


def test_a_system_retrying_in_a_company_child() -> None:
    desc = description(
        pending(
            system_activity_id("collect", "dk01", "crm"),
            "collect_system",
            7,
            "ConnectionRefusedError in dk01/crm",
        ),
        pending(system_activity_id("collect", "dk01", "shop"), "collect_s3_objects", 1),
    )
    steps = pending_steps(desc)
    assert steps == [
        PendingStep("dk01", "crm", "collect", "collect_system", 7, "ConnectionRefusedError in dk01/crm"),
        PendingStep("dk01", "shop", "collect", "collect_s3_objects", 1, ""),
    ]
    assert [s.where for s in retrying(desc)] == ["dk01/crm"]


def test_the_requests_own_steps_and_company_work() -> None:
    desc = description(
        pending(step_activity_id("notify:acknowledgement", 4), "send_notification", 12, "mail relay refused"),
        pending(step_activity_id("build_package", 31), "build_package", 2, "activity Heartbeat timeout"),
        pending(company_activity_id("index_names", "se01"), "index_known_names", 3, "CannotConnectNowError"),
    )
    assert [(s.where, s.step, s.attempt, s.last_error) for s in retrying(desc)] == [
        ("notify:acknowledgement", "notify:acknowledgement", 12, "mail relay refused"),
        ("build_package", "build_package", 2, "activity Heartbeat timeout"),
        ("se01", "index_names", 3, "CannotConnectNowError"),
    ]


def test_ids_of_histories_before_named_ids_show_the_activity_type() -> None:
    assert parse_activity_id("17", "record_status") == ("", "", "record_status")


def test_an_action_on_one_system() -> None:
    assert parse_activity_id(system_activity_id("suppress_marketing", "gb01", "crm"), "execute_postgres") == (
        "gb01",
        "crm",
        "suppress_marketing",
    )


def test_nothing_pending_nothing_retrying() -> None:
    assert pending_steps(description()) == []
    assert retrying(description(pending("build_package#3", "build_package", 1))) == []


async def test_encrypted_last_errors_are_decoded_with_the_clients_converter() -> None:
    """The product's codec encrypts failure messages: Temporal only holds "Encoded failure"."""
    converter = dataclasses.replace(
        DataConverter.default, failure_converter_class=DefaultFailureConverterWithEncodedAttributes
    )
    failure = Failure()
    await converter.encode_failure(ApplicationError("ConnectionRefusedError in dk01/crm"), failure)
    assert failure.message == "Encoded failure"
    info = pending(system_activity_id("collect", "dk01", "crm"), "collect_system", 3)
    info.last_failure.CopyFrom(failure)
    desc = description(info)
    assert pending_steps(desc)[0].last_error == "Encoded failure"
    steps = await pending_with_errors(desc, converter)
    assert [(s.where, s.last_error) for s in steps] == [("dk01/crm", "ConnectionRefusedError in dk01/crm")]

"""What Temporal itself says about a request's workflow, without needing a worker.

`dsar status` asks the workflow (a Query), which only a running worker can answer. These
reads come from the server alone: whether the execution is running, failed, terminated,
timed out or cancelled (`describe`), the failure it ended with, the activities that keep
failing and are being retried, and when a worker last handled one of its tasks. So the
command tells the truth when the workflow has ended badly or its worker is down.

Failure messages are shown only when they are our own words: an `ApplicationError` the
product raised (untyped, or of one of the product's types). A foreign exception converted
by the SDK carries its library's message, which may quote data; only its type is shown.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryReverseRequest
from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowFailureError,
)
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    ChildWorkflowError,
    TerminatedError,
    TimeoutError,
)
from temporalio.service import RPCError, RPCStatusCode

from dsar.domain import workflow_id_for
from dsar.pending import pending_steps

# Each server call gets this long; `dsar status` must answer within 5 s in all.
RPC_TIMEOUT = timedelta(seconds=2)
# ApplicationError types the product raises with messages written to name no one.
OWN_ERROR_TYPES = frozenset(
    {
        "",
        "InvalidRequestError",
        "PermanentSystemError",
        "UndeliverableAddress",
        "ChecksumMismatch",
        "IndexConflict",
        "PortableDataMissing",
        "RolesFileError",
        "TransmissionRefused",
        "TransmissionRejected",
        "TransmissionUnavailable",
    }
)
ENDED_BADLY = frozenset(
    {
        WorkflowExecutionStatus.FAILED,
        WorkflowExecutionStatus.TERMINATED,
        WorkflowExecutionStatus.TIMED_OUT,
        WorkflowExecutionStatus.CANCELED,
    }
)


def execution_word(status: WorkflowExecutionStatus | None) -> str:
    """`failed`, `terminated`, `timed out`, `cancelled`, `running`, ..."""
    if status is None:
        return "unknown"
    if status is WorkflowExecutionStatus.CANCELED:
        return "cancelled"
    return status.name.lower().replace("_", " ")


def failure_text(error: BaseException | None) -> str:
    """A failure chain as one line, e.g. `activity send_notification: mail relay refused ...`."""
    parts: list[str] = []
    while error is not None:
        if isinstance(error, ActivityError):
            parts.append(f"activity {error.activity_type}")
        elif isinstance(error, ChildWorkflowError):
            parts.append(f"child workflow {error.workflow_type}")
        elif isinstance(error, ApplicationError):
            kind = error.type or ""
            parts.append(error.message if kind in OWN_ERROR_TYPES else f"{kind} (message withheld)")
        elif isinstance(error, TimeoutError):
            parts.append(f"timed out ({error.type.name.lower() if error.type else 'timeout'})")
        elif isinstance(error, CancelledError):
            parts.append("cancelled")
        elif isinstance(error, TerminatedError):
            parts.append("terminated")
        else:
            parts.append(type(error).__name__)
        error = error.__cause__
    return ": ".join(parts)


@dataclass
class Execution:
    """The request's workflow as the server describes it."""

    status: WorkflowExecutionStatus | None
    closed_at: datetime | None = None
    failure: str | None = None
    # "<where>" -> "retrying (attempt N): <last error>", for steps that keep failing.
    retrying: dict[str, str] = field(default_factory=dict)
    last_task_at: datetime | None = None
    # The running children's workflow ids by type (a company's collection, or one action).
    children: dict[str, str] = field(default_factory=dict)

    @property
    def word(self) -> str:
        return execution_word(self.status)

    @property
    def ended_badly(self) -> bool:
        return self.status in ENDED_BADLY

    def as_json(self) -> dict[str, object]:
        return {
            "status": self.word,
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "failure": self.failure,
            "retrying": self.retrying,
            "last_task_at": self.last_task_at.isoformat() if self.last_task_at else None,
        }


async def describe_request(client: Client, reference: str) -> Execution | None:
    """The request's execution; None when the server has no workflow of that reference."""
    handle = client.get_workflow_handle(workflow_id_for(reference))
    try:
        described = await handle.describe(rpc_timeout=RPC_TIMEOUT)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return None
        raise
    execution = Execution(status=described.status, closed_at=described.close_time)
    if described.status is WorkflowExecutionStatus.FAILED:
        try:
            await handle.result(follow_runs=False, rpc_timeout=RPC_TIMEOUT)
        except WorkflowFailureError as exc:
            execution.failure = failure_text(exc.cause)
        except Exception:  # the close event could not be read; the status still stands
            execution.failure = None
    if described.status is WorkflowExecutionStatus.RUNNING:
        execution.retrying = await _retrying(client, described)
        pending = described.raw_description.pending_children
        execution.children = {c.workflow_id: c.workflow_type_name for c in pending}
        children = list(execution.children)
        for company_steps in await asyncio.gather(*(_child_retrying(client, c) for c in children)):
            execution.retrying.update(company_steps)
    return execution


async def _child_retrying(client: Client, workflow_id: str) -> dict[str, str]:
    try:
        described = await client.get_workflow_handle(workflow_id).describe(rpc_timeout=RPC_TIMEOUT)
    except RPCError:
        return {}
    # dsar-<reference>-company-gb01 (or -erase-gb01; -r2 for a later round) names the company.
    named = re.search(r"-([a-z0-9]+)(?:-r\d+)?$", workflow_id)
    where = named.group(1) if named else workflow_id
    found = await _retrying(client, described)
    return {k if "/" in k else f"{where}: {k}": v for k, v in found.items()}


async def _retrying(client: Client, described: WorkflowExecutionDescription) -> dict[str, str]:
    """Activities on their second attempt or later, named as `dsar.pending` reads their ids
    (`gb01/crm`, or the step), with the error of the last attempt in the product's words."""
    steps: dict[str, str] = {}
    pending = described.raw_description.pending_activities
    for info, step in zip(pending, pending_steps(described), strict=True):
        if not step.retrying:
            continue
        error = "unknown error"
        if info.HasField("last_failure"):
            error = failure_text(await client.data_converter.decode_failure(info.last_failure))
        steps[step.where] = f"retrying (attempt {step.attempt}): {error}"
    return steps


async def last_task_handled(client: Client, reference: str) -> datetime | None:
    """When a worker last completed one of the request's workflow tasks (newest events first)."""
    request = GetWorkflowExecutionHistoryReverseRequest(namespace=client.namespace, maximum_page_size=50)
    request.execution.workflow_id = workflow_id_for(reference)
    try:
        reply = await client.workflow_service.get_workflow_execution_history_reverse(
            request, timeout=RPC_TIMEOUT
        )
    except RPCError:
        return None
    for event in reply.history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            return event.event_time.ToDatetime().replace(tzinfo=UTC)
    return None

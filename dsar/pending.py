"""Which steps of a request Temporal is still retrying, read from Temporal itself.

A workflow cannot see the attempts of an activity it waits for: Temporal retries a step
that fails on a transient error (a database restarting, the mail relay down) without
telling the workflow until the step succeeds or its time budget runs out. The workflow's
description (`handle.describe()`) does list its pending activities with their attempt
and last failure; `pending_steps` turns those into lines `dsar status` can show: which
company and system (or which step of the request), which attempt, and the last error.

The company and system are read back from the activity id, which the workflows set
deterministically and free of personal data (codes from the group registry, step names,
notification kinds; never an address, a name or an occasion):

- `<verb>:<company>/<system>`: work on one system (`collect:dk01/crm`, `erase:se01/shop`,
  `ingest:dk01/binder`), in a company's child workflow;
- `<verb>@<company>`: work for one company (`identity_search@dk01`, `index_names@se01`);
- `<step>#<n>`: one of the request's own steps (`build_package#31`,
  `notify:acknowledgement#4`); `n` only keeps ids unique within the request.

Any other id (the SDK's sequence numbers in histories recorded before named ids) shows
as a step named after the activity type.

Failure messages: the product's codec encrypts them on the way to Temporal (they read
"Encoded failure" there), so a caller with the client's data converter decodes them first
(`pending_with_errors`). Activities put only error classes and registry codes in them (see
`activities.collection.guarded`), so the decoded error can be shown as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from temporalio.client import WorkflowExecutionDescription
    from temporalio.converter import DataConverter


def system_activity_id(verb: str, company: str, system: str) -> str:
    """The id of the work on one system: `collect:dk01/crm`."""
    return f"{verb}:{company}/{system}"


def company_activity_id(verb: str, company: str) -> str:
    """The id of the work for one company: `identity_search@dk01`."""
    return f"{verb}@{company}"


def step_activity_id(step: str, n: int) -> str:
    """The id of the request's `n`-th step: `build_package#31`."""
    return f"{step}#{n}"


@dataclass(frozen=True)
class PendingStep:
    """One activity Temporal has scheduled and not yet seen succeed."""

    company: str
    system: str
    # The step's name (`collect`, `build_package`, `notify:acknowledgement`).
    step: str
    activity_type: str
    attempt: int
    last_error: str

    @property
    def retrying(self) -> bool:
        """An attempt has failed (or timed out) and Temporal will try again."""
        return self.attempt > 1 or bool(self.last_error)

    @property
    def where(self) -> str:
        """`dk01/crm`, `dk01`, or the step's name: what `dsar status` names."""
        if self.system:
            return f"{self.company}/{self.system}"
        return self.company or self.step


def parse_activity_id(activity_id: str, activity_type: str) -> tuple[str, str, str]:
    """(company, system, step) from an activity id set by the workflows (see above)."""
    if "#" in activity_id:
        return "", "", activity_id.rpartition("#")[0]
    verb, colon, target = activity_id.partition(":")
    if colon and "/" in target:
        company, _, system = target.partition("/")
        return company, system, verb
    verb, at, company = activity_id.partition("@")
    if at:
        return company, "", verb
    return "", "", activity_type


def pending_steps(description: WorkflowExecutionDescription) -> list[PendingStep]:
    """Every pending activity of one workflow execution, in the order Temporal lists them."""
    steps: list[PendingStep] = []
    for info in description.raw_description.pending_activities:
        activity_type = info.activity_type.name
        company, system, step = parse_activity_id(info.activity_id, activity_type)
        last_error = info.last_failure.message if info.HasField("last_failure") else ""
        steps.append(
            PendingStep(
                company=company,
                system=system,
                step=step,
                activity_type=activity_type,
                attempt=info.attempt,
                last_error=last_error,
            )
        )
    return steps


def retrying(description: WorkflowExecutionDescription) -> list[PendingStep]:
    """Only the steps that have failed at least once: what `dsar status` marks `retrying`."""
    return [s for s in pending_steps(description) if s.retrying]


async def pending_with_errors(
    description: WorkflowExecutionDescription, converter: DataConverter
) -> list[PendingStep]:
    """`pending_steps` with each last error decrypted by the client's data converter
    (`client.data_converter`); the description's failures are decoded in place."""
    for info in description.raw_description.pending_activities:
        if info.HasField("last_failure"):
            error = await converter.decode_failure(info.last_failure)
            info.last_failure.message = getattr(error, "message", None) or str(error)
    return pending_steps(description)

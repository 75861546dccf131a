"""The workflow sandbox, told which modules are safe to share with workflow code.

Validation libraries used by the domain types load submodules lazily; passing them
through keeps them out of the per-workflow re-import (faster, and no warnings).
`cryptography` verifies decisions' signatures in the validators (pure and deterministic);
its Rust extension aborts the process if the sandbox imports it a second time.

Our own workflow code (`workflows`) is shared too, in the workers. The sandbox otherwise
imports the workflow modules anew into every workflow run it holds: measured, about 530 kB
of a worker's memory per cached request (most of the 564-793 kB per open request that
`make bench-pipeline` found) and the import's CPU again on every cache miss (a reminder
for a request evicted from the cache, a status query, a signal). Shared, the modules are
imported once per process, as Temporal's sandbox guide advises for modules whose calls
are deterministic.

What the sandbox's restrictions would have caught in shared code is caught twice before
shipping instead: `tests/unit/test_workflow_determinism.py` refuses clocks, randomness and
I/O in `workflows/` by reading the code, and the replay tests run every recorded history
with `share_workflow_code=False`, where the workflow modules are re-imported into the
sandbox and every restricted call fails the replay.
"""

from __future__ import annotations

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

PASSTHROUGH = ("email_validator", "idna", "phonenumbers", "pydantic", "pydantic_core", "dsar", "cryptography")
SHARED_WORKFLOW_CODE = ("workflows",)


def workflow_runner(*, share_workflow_code: bool = True) -> SandboxedWorkflowRunner:
    modules = PASSTHROUGH + (SHARED_WORKFLOW_CODE if share_workflow_code else ())
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*modules)
    )

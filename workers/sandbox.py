"""The workflow sandbox, told which libraries are safe to share with workflow code.

Validation libraries used by the domain types load submodules lazily; passing them
through keeps them out of the per-workflow re-import (faster, and no warnings).
`cryptography` verifies decisions' signatures in the validators (pure and deterministic);
its Rust extension aborts the process if the sandbox imports it a second time.
"""

from __future__ import annotations

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

PASSTHROUGH = ("email_validator", "idna", "phonenumbers", "pydantic", "pydantic_core", "dsar", "cryptography")


def workflow_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)
    )

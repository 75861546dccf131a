"""Signed decisions inside the workflow: checked by every validator, kept by every handler.

A validator (`RequestContext.require`) checks the decision's signature against the public
keys the workflow loaded with the grants: pure computation, no I/O, so it is deterministic.
`signed_update` is `workflow.update` for a decision: its handler first marks the
signature's nonce as used (workflow state, so a replayed signature is refused even after a
worker restart) and then records the signature in the audit trail beside the decision.

Old histories carry no signature: their handlers skip both steps, and the audit row is
added only behind the `SIGNED_DECISIONS_PATCH`, so they replay unchanged.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol, TypeVar

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from dsar.messages.decision import Decision
    from dsar.roles import RoleGrants
    from dsar.signing import SIGNATURE_WINDOW, SignatureError, check_signature, input_digest

# The change that records each decision's signature in the audit trail.
SIGNED_DECISIONS_PATCH = "signed-decisions"

D = TypeVar("D", bound=Decision)
R = TypeVar("R")


class _Context(Protocol):
    """What the handler needs of the request's context: the nonce book and the audit trail."""

    @property
    def nonces(self) -> NonceBook: ...

    async def record(
        self, action: str | None, actor: str, details: dict[str, str | int | bool | None], occasion: str = ""
    ) -> None: ...


class NonceBook:
    """The nonces of the signatures accepted lately; older ones are refused by their age anyway."""

    def __init__(self) -> None:
        self._seen: dict[str, datetime] = {}

    @property
    def seen(self) -> frozenset[str]:
        return frozenset(self._seen)

    def carried(self) -> dict[str, datetime]:
        """For a run continued as new: the nonces still within reach of a replay."""
        return dict(self._seen)

    def carry_over(self, seen: dict[str, datetime]) -> None:
        self._seen = dict(seen)

    def use(self, nonce: str, signed_at: datetime) -> None:
        """Marks a nonce used; a second use (two Updates validated together) fails the Update."""
        if nonce in self._seen:
            raise ApplicationError(
                "signature: this signature was already used for a decision (a replay)",
                type="SignatureReplayed",
                non_retryable=True,
            )
        horizon = workflow.now() - 2 * SIGNATURE_WINDOW
        self._seen = {n: at for n, at in self._seen.items() if at >= horizon}
        self._seen[nonce] = signed_at


def check_decision(grants: RoleGrants, nonces: NonceBook, decision: Decision) -> None:
    """For validators: the decision is signed by its actor for this workflow and this Update."""
    info = workflow.current_update_info()
    if info is None:
        raise ValueError("a decision is checked only while an Update is validated")
    try:
        check_signature(
            decision.signature,
            workflow_id=workflow.info().workflow_id,
            update=info.name,
            digest=input_digest(decision),
            actor=decision.actor,
            actor_keys=grants.keys_of(decision.actor),
            now=workflow.now(),
            seen_nonces=nonces.seen,
        )
    except SignatureError as exc:
        raise ValueError(str(exc)) from None


class _Workflow(Protocol):
    @property
    def _ctx(self) -> _Context: ...


W = TypeVar("W", bound=_Workflow)


async def _record(ctx: _Context, decision: Decision) -> None:
    signature = decision.signature
    info = workflow.current_update_info()
    assert signature is not None and info is not None
    details: dict[str, str | int | bool | None] = {
        "update": info.name,
        "input_sha256": input_digest(decision),
        "signature_key": signature.key,
        "signed_at": signature.signed_at.isoformat(timespec="microseconds"),
        "nonce": signature.nonce,
        "signature": signature.value,
    }
    await ctx.record("decision.signed", decision.actor, details, occasion=signature.nonce)


def signed_update(
    handler: Callable[[W, D], Awaitable[R]],
) -> workflow.UpdateMethodMultiParam[[W, D], R]:
    """`workflow.update` for a signed decision (the validator checks the signature)."""

    @functools.wraps(handler)
    async def accept(self: W, decision: D) -> R:
        signature = decision.signature
        if signature is None:  # only in histories recorded before decisions were signed
            return await handler(self, decision)
        ctx = self._ctx
        ctx.nonces.use(signature.nonce, signature.signed_at)
        if not workflow.patched(SIGNED_DECISIONS_PATCH):
            return await handler(self, decision)
        # The handler starts first, in the same activation as its validator, as before; the
        # audit row is written beside it and awaited before the Update answers.
        audit = asyncio.create_task(_record(ctx, decision))
        try:
            return await handler(self, decision)
        finally:
            await audit

    return workflow.update(accept)

"""A Temporal client that signs every decision it sends.

One client interceptor serves every decision Update: whoever sends one through a client
made by `signing_client` (the `dsar` command, the verification page's relay, the tests)
has its `Decision` input signed for that workflow and that Update (`dsar.signing`), with
the key of the decision's actor. A decision for an actor whose key the sender does not
hold is refused here, before anything reaches Temporal.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from temporalio.client import (
    Client,
    Interceptor,
    OutboundInterceptor,
    StartWorkflowUpdateInput,
    WorkflowUpdateHandle,
)

from dsar.messages.decision import Decision
from dsar.signing import sign_decision

# The keys a sender holds, by actor: a person's CLI holds one, the tests hold several.
# Looked up when a decision is sent, so a command that sends none needs no key file.
KeyLookup = Callable[[str], Ed25519PrivateKey]
Clock = Callable[[], Awaitable[datetime]]


class SigningKeyMissing(ValueError):
    """The sender holds no key for the decision's actor; the text says how to get one."""


async def _wall_clock() -> datetime:
    return datetime.now(UTC)


class DecisionSigner(Interceptor):
    """Signs the `Decision` argument of each Update that has none yet."""

    def __init__(self, keys: KeyLookup, clock: Clock = _wall_clock) -> None:
        self._keys = keys
        self._clock = clock

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _SigningOutbound(next, self)

    async def sign(self, workflow_id: str, update: str, args: list[Any]) -> list[Any]:
        if len(args) != 1 or not isinstance(args[0], Decision) or args[0].signature is not None:
            return args
        decision = args[0]
        key = self._keys(decision.actor)
        signature = sign_decision(
            key,
            workflow_id=workflow_id,
            update=update,
            message=decision,
            actor=decision.actor,
            now=await self._clock(),
        )
        return [decision.model_copy(update={"signature": signature})]


class _SigningOutbound(OutboundInterceptor):
    def __init__(self, next: OutboundInterceptor, signer: DecisionSigner) -> None:
        super().__init__(next)
        self._signer = signer

    async def start_workflow_update(self, input: StartWorkflowUpdateInput) -> WorkflowUpdateHandle[Any]:
        args = await self._signer.sign(input.id, input.update, list(input.args))
        return await super().start_workflow_update(dataclasses.replace(input, args=args))


def signing_client(client: Client, keys: KeyLookup, clock: Clock = _wall_clock) -> Client:
    """The same connection and data converter as `client`, signing every decision it sends."""
    config = client.config()
    config["interceptors"] = [*config["interceptors"], DecisionSigner(keys, clock)]
    return Client(**config)


def one_key(actor: str, load: Callable[[], Ed25519PrivateKey]) -> KeyLookup:
    """The key lookup of one person (or service): loaded on first use, only for `actor`."""
    cache: list[Ed25519PrivateKey] = []

    def lookup(who: str) -> Ed25519PrivateKey:
        if who != actor:
            raise SigningKeyMissing(f"cannot sign a decision for user '{who}' as '{actor}'")
        if not cache:
            cache.append(load())
        return cache[0]

    return lookup

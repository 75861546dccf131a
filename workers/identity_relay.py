"""Tells a request's workflow that the person typed the right code on the verification page.

The page faces the internet and holds neither Temporal credentials nor the codec keys
(docs/delivery-security.md), so it cannot send the Update itself. It marks the code entered
in the case store and wakes this relay with a PostgreSQL NOTIFY; the relay runs beside
the control worker, which holds both, and sends `verify_identity` naming only the code's
id. The case store is the outbox: codes entered but not yet forwarded are picked up again
on every sweep, so a relay that was down, or a NOTIFY that was lost, delays the request
but never drops it. Two relays may forward the same code; the second Update is refused by
the workflow (identity already confirmed), which is harmless. The relay signs each Update
as the `verification-page` service with its own key (`DSAR_RELAY_SIGNING_KEY_FILE`, listed
in the roles file with the `service` role): `relay_client` gives it a client that does.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import structlog
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from dsar.config import Settings
from dsar.domain import workflow_id_for
from dsar.messages.identity import IdentityDecision, IdentityMethod
from dsar.signing import load_private_key
from dsar.signing_client import one_key, signing_client
from web.identity import NOTIFY_CHANNEL
from workflows.rights_request import VERIFICATION_PAGE_ACTOR, RightsRequestWorkflow

log = structlog.get_logger("identity-relay")
CHANNEL = NOTIFY_CHANNEL
SWEEP_SECONDS = 30.0


def relay_client(client: Client, settings: Settings) -> Client | None:
    """`client`, signing the relay's decisions as the verification page; None without a key
    (`DSAR_RELAY_SIGNING_KEY_FILE`). The key is read now: a broken one stops the worker at once."""
    if not settings.relay_signing_key_file:
        return None
    key = load_private_key(settings.relay_signing_key_file)
    return signing_client(client, one_key(VERIFICATION_PAGE_ACTOR, lambda: key))


class IdentityRelay:
    def __init__(self, client: Client, pool: asyncpg.Pool, interval: float = SWEEP_SECONDS) -> None:
        self._client = client
        self._pool = pool
        self._interval = interval
        self._wake = asyncio.Event()

    async def sweep(self) -> int:
        """Forward every entered code not forwarded yet; returns how many were settled."""
        rows = await self._pool.fetch(
            "SELECT id, reference FROM identity_challenges"
            " WHERE verified_at IS NOT NULL AND forwarded_at IS NULL ORDER BY verified_at LIMIT 100"
        )
        settled = 0
        for row in rows:
            if await self._forward(row["reference"], str(row["id"])):
                await self._pool.execute(
                    "UPDATE identity_challenges SET forwarded_at = coalesce(forwarded_at, now())"
                    " WHERE id = $1",
                    row["id"],
                )
                settled += 1
        return settled

    async def _forward(self, reference: str, challenge: str) -> bool:
        """True once there is nothing more to do for this code; False to try again later."""
        handle = self._client.get_workflow_handle_for(RightsRequestWorkflow.run, workflow_id_for(reference))
        decision = IdentityDecision(
            actor=VERIFICATION_PAGE_ACTOR, method=IdentityMethod.EMAIL_CODE.value, challenge=challenge
        )
        try:
            await handle.execute_update(RightsRequestWorkflow.verify_identity, decision)
        except WorkflowUpdateFailedError:
            # Already confirmed another way, or the request closed meanwhile.
            log.info("identity.forward_refused", reference=reference)
            return True
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                log.warning("identity.forward_no_workflow", reference=reference)
                return True
            log.warning("identity.forward_failed", reference=reference, status=str(exc.status))
            return False
        log.info("identity.forwarded", reference=reference)
        return True

    async def run(self, stop: asyncio.Event) -> None:
        """Sweep on every NOTIFY from the page, and every `interval` seconds in any case."""
        # One pooled connection is kept for LISTEN; releasing it removes the listener.
        async with self._pool.acquire() as listener:
            await listener.add_listener(CHANNEL, lambda *_: self._wake.set())
            while not stop.is_set():
                try:
                    await self.sweep()
                except (OSError, asyncpg.PostgresError) as exc:
                    log.warning("identity.sweep_failed", error=type(exc).__name__)
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(_first(self._wake, stop), timeout=self._interval)


async def _first(*events: asyncio.Event) -> None:
    waits = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()

"""Delivery: the package, the download link and its code, the package's retention.

The link and the code travel in two e-mails, so one intercepted or forwarded mail is not
enough. The package is kept only while the person may still fetch it (Art. 5(1)(e)),
then deleted; until then the team can send a new link and code (`dsar resend-link`).
A portable copy goes straight to another controller if the person asked (Art. 20(2)).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from dsar import activity_refs as refs
    from dsar.domain import Status
    from dsar.messages.delivery import (
        BuildPackageInput,
        DeletePackageInput,
        PackageCheck,
        PackageResult,
        PortableInput,
        ResendLinkRequest,
    )
    from dsar.messages.notifications import NotificationKind
    from dsar.messages.state import RequestState
    from dsar.roles import Role
    from dsar.task_queues import packaging_task_queue

from workflows.rights_request.context import SYSTEM_ACTOR, RequestContext

# Patches since the 0.1.0 baseline (docs/changing-workflow-code.md): the package object is
# checked, and rebuilt if missing, before the first link and before each re-sent one.
# Two ids, so a request delivered before the change still gets the check when re-sent.
CHECK_BEFORE_LINK = "package-check-before-link"
CHECK_BEFORE_RESEND = "package-check-before-resend"
# Packages are built and rebuilt on the packaging queue, by their own worker processes
# (CPU-bound work off the control worker; docs/containers.md). A request that built
# its package on the control queue before the change replays with this false (the SDK
# memoises it per run), so its re-sent links keep checking the package there too.
PACKAGING_QUEUE = "package-on-packaging-queue"
# Fewer round trips from approval to the link (issue #16: approval -> e-mail under a burst
# was five activities one after another, each waiting its turn at a loaded server): the
# status is recorded beside the build and beside the link, and a package built moments ago
# is not checked again; one whose build finished long after it began (an outage, a long
# queue) still is, before its link goes.
FEWER_ROUNDS = "fewer-rounds-to-link"
RECHECK_AFTER = timedelta(minutes=10)


class DeliveryStage:
    """The package and its link once approved, then its retention and new links."""

    def __init__(self, ctx: RequestContext) -> None:
        self._ctx = ctx
        # Re-sent links and the package's deletion, one at a time.
        self._lock = asyncio.Lock()
        self._resends = 0
        self._portable = False  # set again on replay, as deliver_package runs again

    async def deliver_package(self, portable: bool) -> None:
        ctx, state = self._ctx, self._ctx.state
        assert ctx.approval is not None
        self._portable = portable
        if workflow.patched(FEWER_ROUNDS):
            await self._build_then_link(ctx.approval.actor)
        else:
            await ctx.set_status(Status.PACKAGING, ctx.approval.actor)
            state.package = await self._build()
            if workflow.patched(CHECK_BEFORE_LINK):
                await self._ensure_package()  # gone between the build and the link
            await ctx.set_status(Status.DELIVERY, SYSTEM_ACTOR)
            await self._send_link(occasion="")
        transmit_to = ctx.submission.transmit_to
        if portable and transmit_to:
            # Art. 20(2): straight to the other controller, once.
            state.transmitted = await ctx.call(
                refs.TRANSMIT_PORTABLE_DATA,
                PortableInput(reference=state.reference, transmit_to=transmit_to),
            )
            await ctx.record("portability.transmitted", SYSTEM_ACTOR, {"bytes": state.transmitted.bytes})

    async def _build(self) -> PackageResult:
        state = self._ctx.state
        return await self._ctx.call(
            refs.BUILD_PACKAGE,
            BuildPackageInput(reference=state.reference, portable=self._portable),
            task_queue=self._packaging_queue(),
        )

    async def _build_then_link(self, approver: str) -> None:
        """Two rounds from approval to the link instead of five: the status records go
        beside the build and beside the link (each is its own audit row either way)."""
        ctx, state = self._ctx, self._ctx.state
        began = workflow.now()
        packaging = asyncio.create_task(ctx.set_status(Status.PACKAGING, approver))
        package = await self._build()
        await packaging
        state.package = package
        if workflow.now() - began > RECHECK_AFTER:
            await self._ensure_package()  # the object may have gone in the meantime
        delivering = asyncio.create_task(ctx.set_status(Status.DELIVERY, SYSTEM_ACTOR))
        await ctx.notify(NotificationKind.DELIVERY)
        await delivering
        await ctx.notify(NotificationKind.DOWNLOAD_CODE)

    async def _send_link(self, occasion: str) -> None:
        """Link and code travel in two e-mails, so one intercepted or forwarded mail is not enough."""
        await self._ctx.notify(NotificationKind.DELIVERY, occasion=occasion)
        await self._ctx.notify(NotificationKind.DOWNLOAD_CODE, occasion=occasion)

    async def _ensure_package(self) -> PackageCheck:
        """The package object is in S3, or rebuilt from the case store (lost object,
        restored bucket); never after its retention deletion, which is final."""
        state = self._ctx.state
        check = await self._ctx.call(
            refs.ENSURE_PACKAGE,
            BuildPackageInput(reference=state.reference, portable=self._portable),
            task_queue=self._packaging_queue(),
        )
        if check.package is not None:
            state.package = check.package
        return check

    @staticmethod
    def _packaging_queue() -> str | None:
        """Where a package is built: the packaging queue beside this request's control queue
        (tests suffix both), or, for a request from before the patch, the control queue."""
        if workflow.patched(PACKAGING_QUEUE):
            return packaging_task_queue(workflow.info().task_queue)
        return None

    async def keep_then_delete_package(self) -> None:
        """Art. 5(1)(e): the copy made for the person is kept only while they may still fetch it."""
        ctx, state = self._ctx, self._ctx.state
        await ctx.refresh_grants()  # who may re-send the link from now on
        ctx.keeping_package = True
        ctx.update_details()
        await workflow.sleep(timedelta(days=ctx.clock.package_retention_days))
        async with self._lock:
            ctx.keeping_package = False
            deletion = await ctx.call(
                refs.DELETE_PACKAGE,
                DeletePackageInput(
                    reference=state.reference, retention_days=ctx.clock.package_retention_days
                ),
            )
        # Workflow time, like delivered_at; the case store holds the wall-clock moment.
        state.package_deleted_at = workflow.now()
        if deletion.artefact_id is None:
            workflow.logger.warning("no package found to delete")
        ctx.update_details()

    async def resend_link(self, request: ResendLinkRequest) -> RequestState:
        """A new link and code (lost e-mail, expired or locked link); the earlier ones stop working."""
        ctx, state = self._ctx, self._ctx.state
        async with self._lock:
            if not ctx.keeping_package:  # deleted while this update waited for the lock
                raise ApplicationError("the package has been deleted; there is nothing left to send")
            if workflow.patched(CHECK_BEFORE_RESEND):
                check = await self._ensure_package()
                if check.outcome == "deleted":  # by retention: nothing is rebuilt
                    raise ApplicationError("the package has been deleted after its retention period")
            self._resends += 1
            occasion = f"resend-{self._resends}"
            await self._send_link(occasion)
            state.links_resent = self._resends
            await ctx.record("download.link_resent", request.actor, {}, occasion=occasion)
        return state

    def check_resend_link(self, request: ResendLinkRequest) -> None:
        ctx, state = self._ctx, self._ctx.state
        ctx.require(request, Role.REVIEWER)
        if state.package_deleted_at is not None:
            raise ValueError("the package has been deleted after its retention period; nothing to send")
        if state.status is not Status.DELIVERED or not ctx.keeping_package:
            raise ValueError(
                f"a new download link can only be sent once the answer is delivered "
                f"(the request is now '{state.status.value}')"
            )

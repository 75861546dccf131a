"""Delivery: the package, the download link and its code, the package's retention.

The package is built before review opens, so what the reviewer approves is a finished
answer and the link goes out at once; a review decision since has it built again.

The link and the code travel in two e-mails, so one intercepted or forwarded mail is not
enough. The package is kept only while the person may still fetch it (Art. 5(1)(e)),
then deleted; until then the team can send a new link and code (`dsar resend-link`).
A portable copy goes straight to another controller if the person asked (Art. 20(2)).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from dsar import activity_refs as refs
    from dsar.domain import Status
    from dsar.messages.delivery import (
        BuildPackageInput,
        DeletePackageInput,
        PackageCheck,
        PackageResult,
        PortableInput,
        PreparedPackage,
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
# The package is built before review opens (issue #16: with many requests approved at once,
# approval -> e-mail was the wait for a turn on the packaging queue): the reviewer approves a
# finished answer, and approval only checks, on the control queue, that it still shows what
# the case store holds (casestore/package_inputs.py); a decision taken in review since, or a
# system collected again, has it built again. Review opens without it after PREPARE_PATIENCE
# (packaging down, a long queue), and approval then waits for it as it always did.
PACKAGE_BEFORE_REVIEW = "package-before-review"
PREPARE_PATIENCE = timedelta(minutes=10)


class DeliveryStage:
    """The package and its link once approved, then its retention and new links."""

    def __init__(self, ctx: RequestContext) -> None:
        self._ctx = ctx
        # Re-sent links and the package's deletion, one at a time.
        self._lock = asyncio.Lock()
        self._resends = 0
        self._portable = False  # set again on replay, as deliver_package runs again
        # The package built before review (PACKAGE_BEFORE_REVIEW); None before the patch.
        self._prepared: asyncio.Task[PackageResult | None] | None = None

    async def prepare_package(self, portable: bool) -> None:
        """Build the package the person would get while review opens, so approval sends it
        at once; review waits for it at most PREPARE_PATIENCE."""
        if not workflow.patched(PACKAGE_BEFORE_REVIEW):
            return
        self._portable = portable
        prepared = self._prepared = asyncio.create_task(self._try_build())
        try:
            await workflow.wait_condition(prepared.done, timeout=PREPARE_PATIENCE)
        except TimeoutError:
            workflow.logger.warning("package not built within %s; review opens without it", PREPARE_PATIENCE)

    async def _try_build(self) -> PackageResult | None:
        """A build that failed for good (a collected file gone) is not this step's to report:
        approval builds again and reports it as a build after approval always has."""
        try:
            return await self._build()
        except ActivityError:
            return None

    async def _prepared_if_current(self) -> PackageResult | None:
        """The package built before review, if nothing it shows has changed since and its
        object is there; None: build it now. Without a prepared package this returns at
        once, so a request from before the patch replays the same commands."""
        if self._prepared is None:
            return None
        prepared = await self._prepared  # done, unless review opened without it
        if prepared is None:
            return None
        current = await self._ctx.call(
            refs.PACKAGE_STILL_CURRENT, PreparedPackage(reference=self._ctx.state.reference, package=prepared)
        )
        return prepared if current else None

    async def discard_prepared(self) -> None:
        """A refused request's prepared package is deleted: nothing is kept that was never
        approved to leave. Waits for a build still under way, so none is left behind."""
        if self._prepared is None:
            return
        await self._prepared
        await self._ctx.call(refs.DELETE_PACKAGE, DeletePackageInput(reference=self._ctx.state.reference))

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
        beside the build (or the check of the package built before review) and beside the
        link (each is its own audit row either way)."""
        ctx, state = self._ctx, self._ctx.state
        packaging = asyncio.create_task(ctx.set_status(Status.PACKAGING, approver))
        package = await self._prepared_if_current()
        began = workflow.now()
        if package is None:
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

"""Long waits without a history that grows without bound: continue-as-new.

After the answer a request can wait for months or years: a restriction stays in force
until the team lifts it (Art. 18(3)). The wait itself adds nothing to the history, but
everything that reaches the request while it waits does: each `dsar keys reload` is a
signal and a `load_roles` step (about ten events), each refused or accepted Update a few
more. Measured (docs/changing-workflow-code.md, "Long waits"): about 12 events and 1.9 KB
per reload, so reloads every few days for two simulated years took one request from 380
to 3,300 events, and nothing bounds them.

So while the request only waits for the lift (the package's retention is over or there
was no package, and no Update or signal handler is running), once Temporal suggests it
or the history reaches `MAX_WAIT_HISTORY_EVENTS`, the run continues as new: the same
`RightsRequestInput` plus a `CarriedState` (the state the team and the Updates see, the
clock settings, the plan, the nonces of recent signatures). The new run goes straight
back into the wait (`OtherRightsStage.await_lift`). The workflow id stays
`dsar-<reference>`, so the CLI, Queries and Updates reach the new run; the search
attributes and the memo are carried over by Temporal.
"""

from __future__ import annotations

from collections.abc import Callable

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dsar.messages.carried import CarriedState
    from dsar.messages.intake import RightsRequestInput

from workflows.rights_request.context import RequestContext

# Since 0.1.0 (docs/changing-workflow-code.md): a waiting request continues as new.
CONTINUE_LONG_WAIT = "continue-as-new-long-wait"
# Continue as new once a waiting run's history has this many events; far below Temporal's
# own warning (10,240 events) so a run is replayed quickly when a worker picks it up again,
# and far above what a request writes before its answer (about 300 to 700 events).
MAX_WAIT_HISTORY_EVENTS = 2_000


def history_long() -> bool:
    info = workflow.info()
    return info.is_continue_as_new_suggested() or info.get_current_history_length() >= MAX_WAIT_HISTORY_EVENTS


async def wait_or_continue_as_new(
    ctx: RequestContext, done: Callable[[], bool], only_waiting: Callable[[], bool]
) -> None:
    """Wait until `done`; continue as new first if the history grows long while `only_waiting`."""
    while True:
        await workflow.wait_condition(
            lambda: done() or (only_waiting() and workflow.all_handlers_finished() and history_long())
        )
        if done():
            return
        if not workflow.patched(CONTINUE_LONG_WAIT):
            # A run from before the change keeps its commands: it waits as it did.
            await workflow.wait_condition(done)
            return
        workflow.logger.info(
            "continuing as new while waiting (%d events)", workflow.info().get_current_history_length()
        )
        workflow.continue_as_new(carry(ctx))


def carry(ctx: RequestContext) -> RightsRequestInput:
    """The input of the next run: the same request, with what it has come to know."""
    req = ctx.request
    runs = req.carried.runs + 1 if req.carried is not None else 1
    return req.model_copy(
        update={
            "carried": CarriedState(
                state=ctx.state,
                clock=ctx.clock,
                plan=ctx.known_plan,
                nonces=ctx.nonces.carried(),
                runs=runs,
            )
        }
    )

"""The retention purge: one run of the Schedule, stage by stage, batch by batch.

The Schedule (`workers.schedules`) starts this workflow every night; the Temporal UI shows
each run and can pause the Schedule. A run fixes its moment (`as_of`) once, then takes the
cases due at that moment in batches: first the copies of cases closed long enough ago,
then the identifying fields of cases past their accountability period. Each batch is one
activity that finishes each case completely or not at all, so a run that is killed, or a
batch that is retried, picks up with the cases not yet done; a long run continues as new
with its place and totals, so its history stays small. Only references and counts cross
into history.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dsar import activity_refs as refs
    from dsar.messages.retention import PurgeBatchInput, PurgeInput, PurgeRunResult, PurgeStage

from workflows.calls import run_activity

PURGE_WORKFLOW_ID = "dsar-retention-purge"
# The Schedule that starts it (`workers.schedules`), as the Temporal UI lists it.
PURGE_SCHEDULE_ID = "dsar-retention-purge"


@workflow.defn
class PurgeWorkflow:
    """One purge run; the totals are its result, for the UI and `temporal workflow show`."""

    @workflow.run
    async def run(self, inp: PurgeInput | None = None) -> PurgeRunResult:
        inp = inp or PurgeInput()
        as_of = inp.as_of or workflow.now()
        totals = inp.so_far.model_copy()
        batches = 0  # in this run, since the last continue-as-new
        stages = [PurgeStage.COPIES, PurgeStage.RECORD]
        for stage in stages[stages.index(inp.stage) :]:
            after = inp.after if stage is inp.stage else ""
            while True:
                batch = await run_activity(
                    refs.PURGE_BATCH,
                    PurgeBatchInput(
                        stage=stage,
                        as_of=as_of,
                        batch_size=inp.batch_size,
                        after=after,
                        run_id=workflow.info().workflow_id,
                    ),
                    activity_id=f"purge:{stage.value}:{totals.batches + 1}",
                )
                totals.batches += 1
                batches += 1
                totals.records += batch.records
                totals.files += batch.files
                if stage is PurgeStage.COPIES:
                    totals.copies_purged += len(batch.cases)
                else:
                    totals.pseudonymised += len(batch.cases)
                after = batch.next_after
                if batch.last:
                    break
                if batches >= inp.batches_per_run or workflow.info().is_continue_as_new_suggested():
                    workflow.continue_as_new(
                        inp.model_copy(
                            update={"as_of": as_of, "stage": stage, "after": after, "so_far": totals}
                        )
                    )
        workflow.logger.info(
            "purge done: %d cases' copies, %d pseudonymised", totals.copies_purged, totals.pseudonymised
        )
        return totals

"""At approval, a package built during review is sent as it is only while it still shows what
the case store holds (`casestore.package_inputs`) and its object is there.

The check (`package_still_current`) run from outside on a delivered request's package, as a
retry would run it, while the case store is changed under it the ways review changes it.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from temporalio.testing import ActivityEnvironment

from activities.package_rebuild import PackageRebuildActivities
from activities.packaging import PackagingActivities
from casestore.storage import s3_client
from dsar.config import Settings
from dsar.messages.delivery import PackageResult, PreparedPackage
from dsar.messages.state import RequestState
from tests.workflow.conftest import running_workers
from tests.workflow.test_download import deliver, package_row
from workflows.rights_request import RightsRequestWorkflow


async def test_a_prepared_package_is_current_until_what_it_shows_changes(
    time_skipping_env: Any, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool, settings: Settings
) -> None:
    async with running_workers(time_skipping_env.client, **workers_kwargs) as queue:
        handle = await deliver(time_skipping_env, queue, case_pool)
        state: RequestState = await handle.query(RightsRequestWorkflow.state)
        await handle.terminate(reason="test finished: the package's retention is not waited for")
    reference = handle.id.removeprefix("dsar-")
    assert state.package is not None and state.package.fingerprint
    s3 = s3_client(settings)
    ring, registry = workers_kwargs["ring"], workers_kwargs["registry"]
    packaging = PackagingActivities(case_pool, ring, registry, s3, settings.s3_bucket)
    rebuild = PackageRebuildActivities(case_pool, s3, packaging)

    async def current(package: PackageResult = state.package) -> bool:
        result: bool = await ActivityEnvironment().run(
            rebuild.package_still_current, PreparedPackage(reference=reference, package=package)
        )
        return result

    # Nothing it shows has changed: the request's own status moved on since, which is not in it.
    assert await current()
    record = await case_pool.fetchval("SELECT min(id) FROM collected_records WHERE reference = $1", reference)

    # A record excluded in review; and taken back in, which is what was built.
    excluded = "UPDATE collected_records SET exclusion_reason = 'trade_secret' WHERE id = $1"
    await case_pool.execute(excluded, record)
    assert not await current()
    await case_pool.execute("UPDATE collected_records SET exclusion_reason = NULL WHERE id = $1", record)
    assert await current()

    # A value a reviewer keeps, where the detector had removed it.
    finding = await case_pool.fetchval("SELECT min(id) FROM redactions WHERE reference = $1", reference)
    assert finding is not None
    await case_pool.execute("UPDATE redactions SET kept_by = 'reviewer' WHERE id = $1", finding)
    assert not await current()
    await case_pool.execute("UPDATE redactions SET kept_by = NULL WHERE id = $1", finding)
    assert await current()

    # A record's content collected again differently.
    await case_pool.execute(
        "UPDATE collected_records SET data = data || '{\"extra\": 1}'::jsonb WHERE id = $1", record
    )
    assert not await current()
    await case_pool.execute("UPDATE collected_records SET data = data - 'extra' WHERE id = $1", record)
    assert await current()

    # A result without a fingerprint (recorded before the change), or another build's checksum.
    assert not await current(state.package.model_copy(update={"fingerprint": ""}))
    assert not await current(state.package.model_copy(update={"sha256": "0" * 64}))

    # The object gone from S3, or the package deleted: built again, never sent as it was.
    row = await package_row(case_pool, reference)
    s3.delete_object(Bucket=row["bucket"], Key=row["s3_key"])
    assert not await current()

"""The packaging worker: builds (and rebuilds) response packages, on its own task queue.

A package takes about a second and a half of CPU (the report's PDF, the zip); in the
control worker's one process that starved every request's workflow tasks once many were
approved at once (docs/benchmarks.md). Here it runs in processes of its own, as many as the
load needs, each taking only as many packages at a time as it has cores for.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import asyncpg
from temporalio.client import Client
from temporalio.worker import Interceptor, Worker

from activities.package_rebuild import PackageRebuildActivities
from activities.packaging import PackagingActivities
from casestore.storage import s3_client
from dsar.codec import KeyRing
from dsar.config import Settings
from dsar.group import GroupRegistry
from dsar.task_queues import PACKAGING_TASK_QUEUE


def packaging_worker(
    client: Client,
    *,
    settings: Settings,
    ring: KeyRing,
    registry: GroupRegistry,
    pool: asyncpg.Pool,
    task_queue: str = PACKAGING_TASK_QUEUE,
    interceptors: Sequence[Interceptor] = (),
) -> Worker:
    """Only the two packaging activities; no workflows (the request runs on the control queue)."""
    s3 = s3_client(settings)
    packaging = PackagingActivities(pool, ring, registry, s3, settings.s3_bucket)
    return Worker(
        client,
        task_queue=task_queue,
        activities=[
            packaging.build_package,
            PackageRebuildActivities(pool, s3, packaging).ensure_package,
        ],
        # CPU-bound under one GIL: more at a time only makes each slower (DSAR_PACKAGING_SLOTS).
        max_concurrent_activities=settings.packaging_slots,
        graceful_shutdown_timeout=timedelta(seconds=30),
        interceptors=interceptors,  # the chaos harness's fault injection (workers.faults), if armed
    )

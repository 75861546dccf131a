"""A company's worker: runs inside that company and reads only that company's systems."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import asyncpg
from temporalio.client import Client
from temporalio.worker import Worker

from activities.collection import CollectionActivities
from dsar.codec import KeyRing
from dsar.group import Company, GroupRegistry
from workers.sandbox import workflow_runner
from workflows.company_collection import CompanyCollectionWorkflow


def company_worker(
    client: Client,
    *,
    company: Company,
    ring: KeyRing,
    registry: GroupRegistry,
    case_pool: asyncpg.Pool,
    sources: Mapping[str, asyncpg.Pool],
    task_queue: str | None = None,
) -> Worker:
    collection = CollectionActivities(case_pool, ring, registry, sources)
    return Worker(
        client,
        task_queue=task_queue or company.task_queue,
        workflows=[CompanyCollectionWorkflow],
        activities=[collection.list_systems, collection.collect_system],
        max_concurrent_activities=8,
        graceful_shutdown_timeout=timedelta(seconds=30),
        workflow_runner=workflow_runner(),
    )

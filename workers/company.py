"""A company's worker: runs inside that company and reads only that company's systems."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

import asyncpg
import httpx
from temporalio.client import Client
from temporalio.worker import Interceptor, Worker

from activities.actions import ActionActivities
from activities.collect_http import HttpCollector
from activities.collect_postgres import PostgresCollector
from activities.collect_s3 import S3Collector
from activities.collection import CollectionActivities
from activities.execute_http import HttpExecutor
from activities.execute_postgres import PostgresExecutor
from activities.execute_s3 import S3Executor
from activities.identity import HeldContactFinder
from activities.manual_systems import ManualSystemActivities
from activities.redactions import KnownNameActivities
from casestore.storage import s3_client
from dsar.codec import KeyRing
from dsar.config import Settings
from dsar.group import Company, GroupRegistry
from workers.sandbox import workflow_runner
from workers.tuning import worker_tuning
from workflows.company_action import CompanyActionWorkflow
from workflows.company_collection import CompanyCollectionWorkflow


def company_worker(
    client: Client,
    *,
    company: Company,
    settings: Settings,
    ring: KeyRing,
    registry: GroupRegistry,
    case_pool: asyncpg.Pool,
    sources: Mapping[str, asyncpg.Pool],
    http: httpx.AsyncClient,
    task_queue: str | None = None,
    interceptors: Sequence[Interceptor] = (),
) -> Worker:
    """One worker per company; each connector kind is a class of activities with its clients."""
    s3 = s3_client(settings)
    common = CollectionActivities(case_pool, ring, registry)
    postgres = PostgresCollector(case_pool, ring, registry, sources, s3, settings.s3_bucket)
    objects = S3Collector(case_pool, ring, registry, s3, settings.s3_bucket, settings.connections)
    api = HttpCollector(case_pool, ring, registry, http, settings.connections)
    manual = ManualSystemActivities(case_pool, registry, s3, settings.s3_bucket)
    names = KnownNameActivities(case_pool, ring, registry, sources)
    identity = HeldContactFinder(case_pool, ring, registry, sources)
    # The other rights: the same clients, acting instead of reading.
    actions = ActionActivities(case_pool, registry)
    act_postgres = PostgresExecutor(case_pool, ring, registry, sources)
    act_objects = S3Executor(case_pool, ring, registry, s3, settings.connections)
    act_api = HttpExecutor(case_pool, ring, registry, http, settings.connections)
    return Worker(
        client,
        task_queue=task_queue or company.task_queue,
        workflows=[CompanyCollectionWorkflow, CompanyActionWorkflow],
        activities=[
            common.list_systems,
            common.record_system_result,
            postgres.collect_postgres,
            objects.collect_s3_objects,
            api.collect_http_api,
            manual.ingest_upload,
            names.index_known_names,
            identity.find_held_contacts,
            actions.record_action_result,
            act_postgres.execute_postgres,
            act_objects.execute_s3_objects,
            act_api.execute_http_api,
        ],
        graceful_shutdown_timeout=timedelta(seconds=30),
        workflow_runner=workflow_runner(),
        # Slots and the pools given here move together: Settings.db_pool.
        **worker_tuning(settings, settings.company_activity_slots),
        interceptors=interceptors,  # the chaos harness's fault injection (workers.faults), if armed
    )

"""Worker tuning and pool sizes as settings: defaults, pool sizes following the slots, and the
workers built with what the settings say (on Workers of a real client). Bad values and
their messages: tests/unit/test_settings.py."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import httpx
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import PollerBehaviorSimpleMaximum

from dsar.codec import KeyRing
from dsar.config import DB_POOL_CAP, Settings
from dsar.group import GroupRegistry
from tests.conftest import Servers
from workers.company import company_worker
from workers.control import control_worker
from workers.packaging import packaging_worker


def test_defaults_follow_the_measurements() -> None:
    settings = Settings.from_env({})
    assert settings.workflow_cache == 1000 and settings.workflow_tasks == 100
    assert (settings.workflow_pollers, settings.activity_pollers) == (16, 5)
    assert settings.control_activity_slots == 100 and settings.company_activity_slots == 16
    # Unset, a pool is as large as the slots, up to the case store's connection budget.
    assert settings.db_pool(settings.company_activity_slots) == 16
    assert settings.db_pool(settings.control_activity_slots) == DB_POOL_CAP
    assert settings.db_pool(4) == 4
    assert Settings.from_env({"DSAR_DB_POOL_SIZE": "40"}).db_pool(100) == 40


def test_the_reminder_time_is_read_as_hours_and_minutes() -> None:
    assert Settings.from_env({}).reminder_time.isoformat() == "09:00:00"
    assert Settings.from_env({"DSAR_REMINDER_TIME": "7:05"}).reminder_time.isoformat() == "07:05:00"
    assert Settings.from_env({"DSAR_REMINDER_TIME": " 14:37 "}).reminder_time.isoformat() == "14:37:00"


async def test_the_workers_are_built_with_the_settings(
    time_skipping_env: WorkflowEnvironment,
    servers: Servers,
    key_text: str,
    roles_file: Path,
    ring: KeyRing,
    registry: GroupRegistry,
    case_pool: asyncpg.Pool,
) -> None:
    settings = servers.settings(
        key_text,
        DSAR_ROLES_FILE=str(roles_file),
        DSAR_WORKFLOW_CACHE="7",
        DSAR_WORKFLOW_TASKS="3",
        DSAR_WORKFLOW_POLLERS="4",
        DSAR_ACTIVITY_POLLERS="2",
        DSAR_CONTROL_ACTIVITY_SLOTS="11",
        DSAR_COMPANY_ACTIVITY_SLOTS="13",
        DSAR_REMINDER_TIME="14:37",
        DSAR_PACKAGING_SLOTS="3",
    )
    client = time_skipping_env.client
    async with httpx.AsyncClient() as http:
        control = control_worker(client, settings=settings, ring=ring, registry=registry, pool=case_pool)
        company = company_worker(
            client,
            company=registry.companies[0],
            settings=settings,
            ring=ring,
            registry=registry,
            case_pool=case_pool,
            sources={},
            http=http,
        )
    for worker, slots in ((control, 11), (company, 13)):
        config = worker.config()
        assert config.get("max_cached_workflows") == 7
        assert config.get("max_concurrent_workflow_tasks") == 3
        assert config.get("max_concurrent_activities") == slots
        assert config.get("workflow_task_poller_behavior") == PollerBehaviorSimpleMaximum(4)
        assert config.get("activity_task_poller_behavior") == PollerBehaviorSimpleMaximum(2)
    packaging = packaging_worker(client, settings=settings, ring=ring, registry=registry, pool=case_pool)
    assert packaging.config().get("max_concurrent_activities") == 3
    # A request starting on the control worker loads the reminder time with its clock settings.
    load = next(a for a in control.config().get("activities", []) if a.__name__ == "load_clock_settings")
    loaded = await load("DSR-2026-000001")
    assert (loaded.notify_hour, loaded.notify_minute) == (14, 37)

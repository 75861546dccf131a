"""The control-plane worker: the request workflow and the case-store, packaging and
notification activities."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import asyncpg
import httpx
from temporalio.client import Client
from temporalio.worker import Interceptor, Worker

from activities.access_control import AccessControlActivities
from activities.case_store import CaseStoreActivities
from activities.collection import CollectionActivities
from activities.deadlines import DeadlineActivities
from activities.delivery import DeliveryActivities
from activities.identity import IdentityActivities
from activities.notifications import NotificationActivities, SmtpSender
from activities.package_rebuild import PackageRebuildActivities
from activities.packaging import PackagingActivities
from activities.portability import PortabilityActivities
from activities.redactions import RedactionActivities
from activities.retention import RetentionActivities
from activities.suppression import SuppressionActivities
from activities.team_reminders import TeamReminderActivities
from casestore.storage import s3_client
from dsar.codec import KeyRing
from dsar.config import Settings
from dsar.group import GroupRegistry
from dsar.messages.clock import ClockSettings
from dsar.messages.retention import RetentionRules
from dsar.task_queues import CONTROL_TASK_QUEUE
from workers.sandbox import workflow_runner
from workers.tuning import worker_tuning
from workflows.purge import PurgeWorkflow
from workflows.rights_request import RightsRequestWorkflow
from workflows.team_reminders import TeamRemindersWorkflow


def control_worker(
    client: Client,
    *,
    settings: Settings,
    ring: KeyRing,
    registry: GroupRegistry,
    pool: asyncpg.Pool,
    task_queue: str = CONTROL_TASK_QUEUE,
    sender: SmtpSender | None = None,
    company_queue_suffix: str = "",
    http: httpx.AsyncClient | None = None,
    interceptors: Sequence[Interceptor] = (),
) -> Worker:
    """`http` carries portability's transmission to another controller; without it, that
    one activity is left unregistered and such a request waits until a worker has it."""
    s3 = s3_client(settings)
    case_store = CaseStoreActivities(pool, ring, registry, company_queue_suffix)
    packaging = PackagingActivities(pool, ring, registry, s3, settings.s3_bucket)
    rebuild = PackageRebuildActivities(pool, s3, packaging)
    sender = sender or SmtpSender(
        settings.smtp_url, connections=settings.smtp_connections, idle_seconds=settings.smtp_idle_seconds
    )
    notifications = NotificationActivities(pool, ring, settings, s3, sender)
    reminders = TeamReminderActivities(client, pool, settings, settings.team_reminder_days, sender)
    access = AccessControlActivities(settings.roles_file)
    collection = CollectionActivities(pool, ring, registry)
    delivery = DeliveryActivities(pool, s3)
    redactions = RedactionActivities(pool, ring, registry)
    identity = IdentityActivities(pool)
    suppression = SuppressionActivities(pool, ring)
    retention = RetentionActivities(
        pool,
        ring,
        s3,
        settings.s3_bucket,
        RetentionRules.from_settings(settings),
        batch_size=settings.retention_batch,
    )
    deadlines = DeadlineActivities(
        ClockSettings(
            team_reminder_days=list(settings.team_reminder_days),
            identity_reminder_days=list(settings.identity_reminder_days),
            identity_timeout_days=settings.identity_timeout_days,
            package_retention_days=settings.package_retention_days,
            notify_hour=settings.reminder_time.hour,
            notify_minute=settings.reminder_time.minute,
        )
    )
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[RightsRequestWorkflow, PurgeWorkflow, TeamRemindersWorkflow],
        activities=[
            case_store.register_request,
            case_store.record_status,
            deadlines.compute_deadline,
            deadlines.load_clock_settings,
            case_store.plan_collection,
            # Requests patched since "package-on-packaging-queue" build on the packaging queue
            # (workers/packaging.py); a request that started building here before that change
            # replays with its packages (and re-sent links' checks) on this queue, so these two stay.
            packaging.build_package,
            rebuild.ensure_package,
            # At approval, the package built during review is checked here, not behind builds.
            rebuild.package_still_current,
            notifications.send_notification,
            reminders.send_team_reminders,
            delivery.delete_package,
            access.load_roles,
            collection.record_system_result,
            collection.decide_matches,
            redactions.note_name_candidates,
            redactions.scan_redactions,
            redactions.decide_redaction,
            identity.confirm_identity_code,
            suppression.add_to_suppression_list,
            retention.purge_batch,
            retention.erase_earlier_cases,
            *([PortabilityActivities(pool, s3, http).transmit_portable_data] if http is not None else []),
        ],
        graceful_shutdown_timeout=timedelta(seconds=30),
        workflow_runner=workflow_runner(),
        **worker_tuning(settings, settings.control_activity_slots),
        interceptors=interceptors,  # the chaos harness's fault injection (workers.faults), if armed
    )

"""Typed references to every activity: its name, what it takes and what it returns.

Workflows may import only the core, never `activities/`, so they cannot call an activity
through its method. A reference pairs the name the activity is registered under (the
`Activity` constants, which recorded histories carry) with its input and result types
once, here; the workflows' call helpers take a reference and return the result type, so
strict mypy checks every call, and a unit test checks each reference against the
registered implementation's annotations.

Each reference also carries how long its activity may take and how it is retried, so no
call site chooses timeouts by hand (`workflows/calls.py` reads them from here):

- short steps (e-mail, status records, registry, settings and roles loads, the clock's
  dates) get a start-to-close timeout of seconds to two minutes;
- long work (collection per system, uploads, the redaction scan and the names index, the
  package, transmissions, actions, the package's deletion) heartbeats while it works,
  with a heartbeat timeout of at most 30 s, so a killed worker is noticed in seconds and
  not when a timeout of an hour expires;
- every activity is retried on transient errors (connection refused, a database
  restarting, SMTP unavailable, S3 5xx, HTTP 429/5xx) without a count of attempts: the
  request's own steps until they succeed (a step that keeps failing raises the request's
  `DsarFailedStep` search attribute), the work on one system for a time budget of hours
  (then the system is failed and listed, and can be collected again). Only permanent
  errors (`ApplicationError(non_retryable=True)` or the types below) fail at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, TypeVar

from temporalio.common import RetryPolicy

from dsar.messages.actions import ActionResult, ExecuteSystemInput, RecordActionResultInput, SuppressionResult
from dsar.messages.activity_names import Activity
from dsar.messages.clock import ClockSettings, DeadlineInput, DeadlineResult
from dsar.messages.collection import (
    CollectionPlan,
    CollectSystemInput,
    IngestUploadInput,
    RecordSystemResultInput,
    SystemRef,
    SystemResult,
)
from dsar.messages.delivery import (
    BuildPackageInput,
    DeletePackageInput,
    PackageCheck,
    PackageDeletion,
    PackageResult,
    PortableInput,
    PreparedPackage,
    TransmissionResult,
)
from dsar.messages.identity import ConfirmIdentityCodeInput, FindHeldContactsInput, HeldContacts
from dsar.messages.intake import RightsRequestInput, StatusChange
from dsar.messages.notifications import NotificationResult, SendNotification
from dsar.messages.retention import EarlierCasesResult, PurgeBatchInput, PurgeBatchResult
from dsar.messages.review import DecideMatchesInput, IndexNamesInput, RedactionDecisionInput, ScanResult
from dsar.messages.team_reminders import TeamRemindersInput, TeamRemindersResult
from dsar.roles import RoleGrants

I = TypeVar("I")  # noqa: E741
O = TypeVar("O")  # noqa: E741

NoneType = type(None)


# Error types a retry cannot fix: a request or a system the registry does not know, a
# missing table, a refused login, a transmission the endpoint refused. Activities raise
# them non-retryable anyway; listing them keeps a slip in an activity from looping.
PERMANENT_ERRORS = ["InvalidRequestError", "PermanentSystemError", "TransmissionRefused"]

# Transient errors: retried soon, then at most once a minute, with no count of attempts.
RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=0,
    non_retryable_error_types=PERMANENT_ERRORS,
)
# How long the work on one system may keep failing on transient errors before it is
# reported failed: a case-store restart, a database failover or an S3 outage of a few
# hours costs time, not a system.
SYSTEM_BUDGET = timedelta(hours=6)
# A company whose names cannot be indexed (its database down for long) must not hold up
# review for ever; its e-mail addresses, numbers and the other companies' names are still found.
NAMES_BUDGET = timedelta(hours=1)
# A company whose worker does not answer the identity search in this time counts as
# "nothing found" (shown to the team), so one company down does not hold up identity.
IDENTITY_SEARCH_BUDGET = timedelta(minutes=10)
# Long work sends a heartbeat at least this often; a worker that dies is noticed within it.
HEARTBEAT = timedelta(seconds=30)


@dataclass(frozen=True)
class Timeouts:
    """How long one attempt may take, how often long work must show it is alive, and for
    how long transient failures are retried in all (None: until the step succeeds)."""

    start_to_close: timedelta
    heartbeat: timedelta | None = None
    budget: timedelta | None = None


# Temporal's priority keys run from 1 (first) to 5; an activity without one gets 3.
FIRST = 1


def quick(seconds: int) -> Timeouts:
    """A step that answers in seconds (a record, a load, an e-mail): no heartbeat needed."""
    return Timeouts(start_to_close=timedelta(seconds=seconds))


def watched(minutes: int) -> Timeouts:
    """A step that usually answers in seconds but may wait on a slow service (a mail relay, a
    large update): it heartbeats, so a worker that dies is noticed within 30 s, not minutes."""
    return Timeouts(start_to_close=timedelta(minutes=minutes), heartbeat=HEARTBEAT)


def heartbeating(hours: int, budget: timedelta | None = None) -> Timeouts:
    """Work that can take long: it heartbeats, so a dead worker is noticed in seconds."""
    return Timeouts(start_to_close=timedelta(hours=hours), heartbeat=HEARTBEAT, budget=budget)


@dataclass(frozen=True)
class ActivityRef(Generic[I, O]):
    """One activity as the workflows see it: registered name, input and result types, and
    its timeouts and retries, so every call of it gets the same."""

    name: str
    input: type[I]
    result: type[O]
    timeouts: Timeouts
    # Temporal's priority key on its task queue: 1 is taken before the default (3). For a
    # quick step a request waits on behind a queue of long ones (`FIRST`).
    priority: int | None = None

    @property
    def start_to_close(self) -> timedelta:
        return self.timeouts.start_to_close

    @property
    def heartbeat(self) -> timedelta | None:
        return self.timeouts.heartbeat

    @property
    def budget(self) -> timedelta | None:
        """`schedule_to_close`: how long transient failures are retried before giving up."""
        return self.timeouts.budget

    @property
    def retry_policy(self) -> RetryPolicy:
        """Every activity: transient errors retried on time, never on a count of attempts."""
        return RETRY


# The request itself, its status and deadline (control queue).
REGISTER_REQUEST = ActivityRef(Activity.REGISTER_REQUEST, RightsRequestInput, NoneType, quick(30))
RECORD_STATUS = ActivityRef(Activity.RECORD_STATUS, StatusChange, NoneType, quick(30))
COMPUTE_DEADLINE = ActivityRef(Activity.COMPUTE_DEADLINE, DeadlineInput, DeadlineResult, quick(30))
LOAD_CLOCK_SETTINGS = ActivityRef(Activity.LOAD_CLOCK_SETTINGS, str, ClockSettings, quick(30))
LOAD_ROLES = ActivityRef(Activity.LOAD_ROLES, str, RoleGrants, quick(30))
SEND_NOTIFICATION = ActivityRef(Activity.SEND_NOTIFICATION, SendNotification, NotificationResult, quick(30))

# Identity: the search runs on each company's queue, the code check on the control queue.
FIND_HELD_CONTACTS = ActivityRef(
    Activity.FIND_HELD_CONTACTS,
    FindHeldContactsInput,
    HeldContacts,
    Timeouts(timedelta(minutes=5), HEARTBEAT, IDENTITY_SEARCH_BUDGET),
)
CONFIRM_IDENTITY_CODE = ActivityRef(Activity.CONFIRM_IDENTITY_CODE, ConfirmIdentityCodeInput, bool, quick(30))

# Collection: the plan (control), then per company and system (company queues).
PLAN_COLLECTION = ActivityRef(Activity.PLAN_COLLECTION, str, CollectionPlan, quick(30))
LIST_SYSTEMS = ActivityRef(Activity.LIST_SYSTEMS, str, list[SystemRef], quick(30))
COLLECT_POSTGRES = ActivityRef(
    Activity.COLLECT_SYSTEM, CollectSystemInput, SystemResult, heartbeating(2, SYSTEM_BUDGET)
)
COLLECT_S3 = ActivityRef(
    Activity.COLLECT_S3, CollectSystemInput, SystemResult, heartbeating(2, SYSTEM_BUDGET)
)
COLLECT_HTTP = ActivityRef(
    Activity.COLLECT_HTTP, CollectSystemInput, SystemResult, heartbeating(2, SYSTEM_BUDGET)
)
INGEST_UPLOAD = ActivityRef(
    Activity.INGEST_UPLOAD, IngestUploadInput, SystemResult, heartbeating(1, SYSTEM_BUDGET)
)
RECORD_SYSTEM_RESULT = ActivityRef(
    Activity.RECORD_SYSTEM_RESULT, RecordSystemResultInput, NoneType, quick(30)
)

# Review: matches, the names index (company queues), the scan and the decisions (control).
DECIDE_MATCHES = ActivityRef(Activity.DECIDE_MATCHES, DecideMatchesInput, int, watched(10))
INDEX_KNOWN_NAMES = ActivityRef(
    Activity.INDEX_KNOWN_NAMES, IndexNamesInput, int, heartbeating(1, NAMES_BUDGET)
)
NOTE_NAME_CANDIDATES = ActivityRef(Activity.NOTE_NAME_CANDIDATES, str, int, heartbeating(1))
SCAN_REDACTIONS = ActivityRef(Activity.SCAN_REDACTIONS, str, ScanResult, heartbeating(1))
DECIDE_REDACTION = ActivityRef(Activity.DECIDE_REDACTION, RedactionDecisionInput, int, watched(10))

# The other rights: one executor per system kind (company queues), and their records.
EXECUTE_POSTGRES = ActivityRef(
    Activity.EXECUTE_POSTGRES, ExecuteSystemInput, ActionResult, heartbeating(2, SYSTEM_BUDGET)
)
EXECUTE_S3 = ActivityRef(
    Activity.EXECUTE_S3, ExecuteSystemInput, ActionResult, heartbeating(2, SYSTEM_BUDGET)
)
EXECUTE_HTTP = ActivityRef(
    Activity.EXECUTE_HTTP, ExecuteSystemInput, ActionResult, heartbeating(2, SYSTEM_BUDGET)
)
RECORD_ACTION_RESULT = ActivityRef(
    Activity.RECORD_ACTION_RESULT, RecordActionResultInput, ActionResult, quick(30)
)
ADD_TO_SUPPRESSION_LIST = ActivityRef(Activity.ADD_TO_SUPPRESSION_LIST, str, SuppressionResult, quick(30))

# Delivery.
BUILD_PACKAGE = ActivityRef(Activity.BUILD_PACKAGE, BuildPackageInput, PackageResult, heartbeating(1))
TRANSMIT_PORTABLE_DATA = ActivityRef(
    Activity.TRANSMIT_PORTABLE_DATA, PortableInput, TransmissionResult, heartbeating(1)
)
DELETE_PACKAGE = ActivityRef(Activity.DELETE_PACKAGE, DeletePackageInput, PackageDeletion, heartbeating(1))
# The check before a link is a HEAD request on S3; it shares the packaging queue with the
# builds (it rebuilds a lost package), and with many approved at once it waited behind all
# of them, each request's link after the last package: taken first.
ENSURE_PACKAGE = ActivityRef(
    Activity.ENSURE_PACKAGE, BuildPackageInput, PackageCheck, heartbeating(1), priority=FIRST
)
# The check at approval of a package built during review: one query and a HEAD request,
# on the control queue, so an approval never waits behind other requests' builds.
PACKAGE_STILL_CURRENT = ActivityRef(Activity.PACKAGE_STILL_CURRENT, PreparedPackage, bool, quick(30))

# Retention: a batch of cases, and an erasure's earlier cases (files and rows; both heartbeat).
PURGE_BATCH = ActivityRef(Activity.PURGE_BATCH, PurgeBatchInput, PurgeBatchResult, heartbeating(1))
ERASE_EARLIER_CASES = ActivityRef(Activity.ERASE_EARLIER_CASES, str, EarlierCasesResult, heartbeating(1))
SEND_TEAM_REMINDERS = ActivityRef(
    Activity.SEND_TEAM_REMINDERS, TeamRemindersInput, TeamRemindersResult, heartbeating(1)
)


def all_refs() -> list[ActivityRef[object, object]]:
    """Every reference above, for the test that matches them to the implementations."""
    return [value for value in globals().values() if isinstance(value, ActivityRef)]

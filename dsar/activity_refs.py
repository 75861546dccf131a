"""Typed references to every activity: its name, what it takes and what it returns.

Workflows may import only the core, never `activities/`, so they cannot call an activity
through its method. A reference pairs the name the activity is registered under (the
`Activity` constants, which recorded histories carry) with its input and result types
once, here; the workflows' call helpers take a reference and return the result type, so
strict mypy checks every call, and a unit test checks each reference against the
registered implementation's annotations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

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
    TransmissionResult,
)
from dsar.messages.identity import ConfirmIdentityCodeInput, FindHeldContactsInput, HeldContacts
from dsar.messages.intake import RightsRequestInput, StatusChange
from dsar.messages.notifications import NotificationResult, SendNotification
from dsar.messages.review import DecideMatchesInput, IndexNamesInput, RedactionDecisionInput, ScanResult
from dsar.roles import RoleGrants

I = TypeVar("I")  # noqa: E741
O = TypeVar("O")  # noqa: E741

NoneType = type(None)


@dataclass(frozen=True)
class ActivityRef(Generic[I, O]):
    """One activity as the workflows see it: registered name, input type, result type."""

    name: str
    input: type[I]
    result: type[O]


# The request itself, its status and deadline (control queue).
REGISTER_REQUEST = ActivityRef(Activity.REGISTER_REQUEST, RightsRequestInput, NoneType)
RECORD_STATUS = ActivityRef(Activity.RECORD_STATUS, StatusChange, NoneType)
COMPUTE_DEADLINE = ActivityRef(Activity.COMPUTE_DEADLINE, DeadlineInput, DeadlineResult)
LOAD_CLOCK_SETTINGS = ActivityRef(Activity.LOAD_CLOCK_SETTINGS, str, ClockSettings)
LOAD_ROLES = ActivityRef(Activity.LOAD_ROLES, str, RoleGrants)
SEND_NOTIFICATION = ActivityRef(Activity.SEND_NOTIFICATION, SendNotification, NotificationResult)

# Identity: the search runs on each company's queue, the code check on the control queue.
FIND_HELD_CONTACTS = ActivityRef(Activity.FIND_HELD_CONTACTS, FindHeldContactsInput, HeldContacts)
CONFIRM_IDENTITY_CODE = ActivityRef(Activity.CONFIRM_IDENTITY_CODE, ConfirmIdentityCodeInput, bool)

# Collection: the plan (control), then per company and system (company queues).
PLAN_COLLECTION = ActivityRef(Activity.PLAN_COLLECTION, str, CollectionPlan)
LIST_SYSTEMS = ActivityRef(Activity.LIST_SYSTEMS, str, list[SystemRef])
COLLECT_POSTGRES = ActivityRef(Activity.COLLECT_SYSTEM, CollectSystemInput, SystemResult)
COLLECT_S3 = ActivityRef(Activity.COLLECT_S3, CollectSystemInput, SystemResult)
COLLECT_HTTP = ActivityRef(Activity.COLLECT_HTTP, CollectSystemInput, SystemResult)
INGEST_UPLOAD = ActivityRef(Activity.INGEST_UPLOAD, IngestUploadInput, SystemResult)
RECORD_SYSTEM_RESULT = ActivityRef(Activity.RECORD_SYSTEM_RESULT, RecordSystemResultInput, NoneType)

# Review: matches, the names index (company queues), the scan and the decisions (control).
DECIDE_MATCHES = ActivityRef(Activity.DECIDE_MATCHES, DecideMatchesInput, int)
INDEX_KNOWN_NAMES = ActivityRef(Activity.INDEX_KNOWN_NAMES, IndexNamesInput, int)
SCAN_REDACTIONS = ActivityRef(Activity.SCAN_REDACTIONS, str, ScanResult)
DECIDE_REDACTION = ActivityRef(Activity.DECIDE_REDACTION, RedactionDecisionInput, int)

# The other rights: one executor per system kind (company queues), and their records.
EXECUTE_POSTGRES = ActivityRef(Activity.EXECUTE_POSTGRES, ExecuteSystemInput, ActionResult)
EXECUTE_S3 = ActivityRef(Activity.EXECUTE_S3, ExecuteSystemInput, ActionResult)
EXECUTE_HTTP = ActivityRef(Activity.EXECUTE_HTTP, ExecuteSystemInput, ActionResult)
RECORD_ACTION_RESULT = ActivityRef(Activity.RECORD_ACTION_RESULT, RecordActionResultInput, ActionResult)
ADD_TO_SUPPRESSION_LIST = ActivityRef(Activity.ADD_TO_SUPPRESSION_LIST, str, SuppressionResult)

# Delivery.
BUILD_PACKAGE = ActivityRef(Activity.BUILD_PACKAGE, BuildPackageInput, PackageResult)
TRANSMIT_PORTABLE_DATA = ActivityRef(Activity.TRANSMIT_PORTABLE_DATA, PortableInput, TransmissionResult)
DELETE_PACKAGE = ActivityRef(Activity.DELETE_PACKAGE, DeletePackageInput, PackageDeletion)
ENSURE_PACKAGE = ActivityRef(Activity.ENSURE_PACKAGE, BuildPackageInput, PackageCheck)


def all_refs() -> list[ActivityRef[object, object]]:
    """Every reference above, for the test that matches them to the implementations."""
    return [value for value in globals().values() if isinstance(value, ActivityRef)]

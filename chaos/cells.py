"""The matrix: every activity type of a full request × (before, after), and the outages.

The identity-code cells break the short `identity` request instead (chaos.request), the
only one that sends and confirms a one-time code.

A kill cell names the activity and the point; the worker that runs it (the control worker,
the packaging worker, or a company's) is taken from the undisturbed run's histories,
preferring gb01, the company with the manual system and the most systems. `filter` narrows
the kill to one use of an activity that serves several (`action=erase`: the erasure, not
the correction before it). An outage cell names the server, the stage it is cut at, and for how long.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from dsar.messages.activity_names import Activity

POINTS = ("before", "after")

# Control queue: the request itself (and the packaging queue: building the package).
CONTROL_ACTIVITIES = [
    Activity.LOAD_CLOCK_SETTINGS,
    Activity.COMPUTE_DEADLINE,
    Activity.REGISTER_REQUEST,
    Activity.RECORD_STATUS,
    Activity.SEND_NOTIFICATION,
    Activity.LOAD_ROLES,
    Activity.PLAN_COLLECTION,
    Activity.NOTE_NAME_CANDIDATES,
    Activity.SCAN_REDACTIONS,
    Activity.ENSURE_PACKAGE,
    Activity.BUILD_PACKAGE,
    Activity.TRANSMIT_PORTABLE_DATA,
]
# Company queues: identity search, collection, names for redaction, actions.
COMPANY_ACTIVITIES = [
    Activity.FIND_HELD_CONTACTS,
    Activity.LIST_SYSTEMS,
    Activity.COLLECT_SYSTEM,
    Activity.COLLECT_S3,
    Activity.COLLECT_HTTP,
    Activity.INGEST_UPLOAD,
    Activity.RECORD_SYSTEM_RESULT,
    Activity.INDEX_KNOWN_NAMES,
    Activity.EXECUTE_POSTGRES,
    Activity.EXECUTE_S3,
    Activity.EXECUTE_HTTP,
    Activity.RECORD_ACTION_RESULT,
]
# Uses of one activity worth their own cell.
FILTERED = {Activity.EXECUTE_POSTGRES: ["action=erase"], Activity.SEND_NOTIFICATION: ["kind=delivery"]}


@dataclass(frozen=True)
class Cell:
    name: str
    kind: str  # "kill" or "outage"
    activity: str = ""
    point: str = ""
    filter: str = ""
    server: str = ""  # "case-store", "s3" or "smtp"
    stage: str = ""  # the request's stage the outage starts at (chaos.request.STAGES)
    seconds: int = 0
    request: str = "full"  # the reference request it breaks: "full" or "identity" (chaos.request)

    @property
    def spec(self) -> str:
        """The worker's DSAR_FAULT_INJECT value."""
        return f"{self.activity}:{self.point}" + (f":{self.filter}" if self.filter else "")


def kill_cells() -> list[Cell]:
    cells = []
    for activity in CONTROL_ACTIVITIES + COMPANY_ACTIVITIES:
        for flt in ["", *FILTERED.get(activity, [])]:
            for point in POINTS:
                label = f"kill {activity}{'[' + flt + ']' if flt else ''} {point}"
                cells.append(Cell(label, "kill", activity, point, flt))
    return cells


def identity_cells() -> list[Cell]:
    """The identity-code path, which the full request (an erasure: document check) never takes.

    Run on the short `identity` request: access only, confirmed with the code mailed to an
    address the group holds, read from that e-mail and typed into `dsar verify --code`."""
    cells = []
    for activity, flt in (
        (Activity.SEND_NOTIFICATION, "kind=identity_code"),
        (Activity.CONFIRM_IDENTITY_CODE, ""),
    ):
        for point in POINTS:
            label = f"kill {activity}{'[' + flt + ']' if flt else ''} {point}"
            cells.append(Cell(label, "kill", activity, point, flt, request="identity"))
    return cells


def outage_cells() -> list[Cell]:
    def outage(server: str, seconds: int, stage: str, during: str) -> Cell:
        length = f"{seconds // 60} min" if seconds >= 60 else f"{seconds} s"
        return Cell(
            f"outage {server} {length} during {during}", "outage", server=server, stage=stage, seconds=seconds
        )

    return [
        outage("case-store", 30, "collecting", "collection"),
        outage("case-store", 300, "collecting", "collection"),
        # From the approval: the check of the package built before review, the link. (Until
        # the patch package-before-review these were the build; a 5-minute outage from
        # collection still covers it.)
        outage("case-store", 30, "approved", "approval"),
        outage("case-store", 300, "approved", "approval"),
        outage("s3", 120, "approved", "approval"),
        outage("smtp", 300, "packaging", "delivery"),
    ]


def all_cells() -> list[Cell]:
    return kill_cells() + identity_cells() + outage_cells()


# The representative subset (`--quick`, and tests/integration/test_chaos.py).
QUICK = [
    "kill send_notification after",
    "kill build_package after",
    "kill execute_postgres[action=erase] after",
    "outage case-store 30 s during collection",
]


def select(cells: list[Cell], only: str | None, quick: bool) -> list[Cell]:
    chosen = [c for c in cells if c.name in QUICK] if quick else cells
    if only:
        pattern = only if any(ch in only for ch in "*?[") else f"*{only}*"
        chosen = [c for c in chosen if fnmatch.fnmatchcase(c.name, pattern)]
    return chosen

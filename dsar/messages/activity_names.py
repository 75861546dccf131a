"""Activity names: the contract between `workflows/` and `activities/`.

The text of each name is recorded in workflow histories: never change one."""

from __future__ import annotations


class Activity:
    """Activity names: the contract between `workflows/` and `activities/`."""

    REGISTER_REQUEST = "register_request"
    RECORD_STATUS = "record_status"
    COMPUTE_DEADLINE = "compute_deadline"
    PLAN_COLLECTION = "plan_collection"
    LIST_SYSTEMS = "list_systems"
    # The PostgreSQL connector keeps the original name, which recorded histories carry.
    COLLECT_SYSTEM = "collect_system"
    COLLECT_S3 = "collect_s3_objects"
    COLLECT_HTTP = "collect_http_api"
    INGEST_UPLOAD = "ingest_upload"
    RECORD_SYSTEM_RESULT = "record_system_result"
    DECIDE_MATCHES = "decide_matches"
    BUILD_PACKAGE = "build_package"
    SEND_NOTIFICATION = "send_notification"
    LOAD_ROLES = "load_roles"
    LOAD_CLOCK_SETTINGS = "load_clock_settings"
    DELETE_PACKAGE = "delete_package"
    # Before a link is sent: the package object is there, or rebuilt from the case store.
    ENSURE_PACKAGE = "ensure_package"
    # At approval: the package built during review still shows what the case store holds.
    PACKAGE_STILL_CURRENT = "package_still_current"
    # Review and redaction: names each company knows (on its own queue), the scan of the
    # collected records (control), and the reviewer's decisions about them (control).
    INDEX_KNOWN_NAMES = "index_known_names"
    NOTE_NAME_CANDIDATES = "note_name_candidates"
    SCAN_REDACTIONS = "scan_redactions"
    DECIDE_REDACTION = "decide_redaction"
    # Identity: runs on each company's queue (only that company's worker reads its systems).
    FIND_HELD_CONTACTS = "find_held_contacts"
    CONFIRM_IDENTITY_CODE = "confirm_identity_code"
    # The other rights: one activity per system kind, on the company's queue, taking any
    # action (erase, rectify, restrict, ...); the result is recorded in the case store.
    EXECUTE_POSTGRES = "execute_postgres"
    EXECUTE_S3 = "execute_s3_objects"
    EXECUTE_HTTP = "execute_http_api"
    RECORD_ACTION_RESULT = "record_action_result"
    # Control queue: the group-wide marketing suppression list (Art. 21(3)), and
    # portability's transmission to another controller (Art. 20(2)). Art. 19 notices to
    # recipients are SEND_NOTIFICATION with kind RECIPIENT_NOTICE, one per recipient.
    ADD_TO_SUPPRESSION_LIST = "add_to_suppression_list"
    TRANSMIT_PORTABLE_DATA = "transmit_portable_data"
    # Retention (control queue): one batch of the purge Schedule's run, and an erasure's
    # reach into the person's earlier closed cases.
    PURGE_BATCH = "purge_batch"
    # The morning's team reminders (control queue): one e-mail listing the requests due soon.
    SEND_TEAM_REMINDERS = "send_team_reminders"
    ERASE_EARLIER_CASES = "erase_earlier_cases"

"""Inputs and results of every workflow, update, query and activity, and the activity names.

They live here, not beside the activities, so that `workflows/` can use them without
importing asyncpg or boto3: workflows call activities by these names. Anything that
carries personal data travels encrypted (see `dsar.codec`); the rest carries only
references, codes and counts.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from dsar.domain import Correction, RequestSubmission, Right, Status


class NotificationKind(StrEnum):
    ACKNOWLEDGEMENT = "acknowledgement"
    DELIVERY = "delivery"
    TEAM_REMINDER = "team_reminder"  # to the privacy team, before the due date
    ESCALATION = "escalation"  # to the escalation address, on and after the due date
    IDENTITY_REMINDER = "identity_reminder"  # to the person, while identity is outstanding
    IDENTITY_NOT_VERIFIED = "identity_not_verified"  # to the person, when we close
    EXTENSION = "extension"  # to the person: the deadline moves, and why
    CLARIFICATION = "clarification"  # to the person: a question from the privacy team
    REFUSAL = "refusal"  # to the person: we refuse to act (Art. 12(5)), with reasons and remedies
    MANUAL_TASK = "manual_task"  # to a manual system's owner: please search for the person
    MANUAL_REMINDER = "manual_reminder"  # to the owner, while the export is outstanding
    DOWNLOAD_CODE = "download_code"  # to the person: the code for the download page, apart from the link
    IDENTITY_CODE = "identity_code"  # to the person, at an address the group holds: a one-time code
    # Rights other than access: what was done, system by system, and what was kept and why.
    OUTCOME = "outcome"  # to the person
    RESTRICTION_LIFT = "restriction_lift"  # to the person, before a restriction is lifted (Art. 18(3))
    RECIPIENT_NOTICE = "recipient_notice"  # to a recipient the data was disclosed to (Art. 19)
    MANUAL_ACTION = "manual_action"  # to a manual system's owner: please erase/correct/flag

    @property
    def to_person(self) -> bool:
        return self not in (
            NotificationKind.TEAM_REMINDER,
            NotificationKind.ESCALATION,
            NotificationKind.MANUAL_TASK,
            NotificationKind.MANUAL_REMINDER,
            NotificationKind.MANUAL_ACTION,
            NotificationKind.RECIPIENT_NOTICE,
        )

    @property
    def to_system_owner(self) -> bool:
        return self in (
            NotificationKind.MANUAL_TASK,
            NotificationKind.MANUAL_REMINDER,
            NotificationKind.MANUAL_ACTION,
        )


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
    # Review and redaction: names each company knows (on its own queue), the scan of the
    # collected records (control), and the reviewer's decisions about them (control).
    INDEX_KNOWN_NAMES = "index_known_names"
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


class RightsRequestInput(BaseModel):
    reference: str
    submission: RequestSubmission
    submitted_by: str


class StopReason(StrEnum):
    """Why the clock stopped; the jurisdiction's policy decides which reasons count."""

    IDENTITY = "identity"  # waiting for identity evidence
    CLARIFICATION = "clarification"  # the privacy team asked the person a question


class ClockStopInfo(BaseModel):
    reason: StopReason
    started_at: datetime
    resumed_at: datetime | None = None


class ClockSettings(BaseModel):
    """Reminder, escalation and retention rules, read from configuration when a request starts."""

    team_reminder_days: list[int] = Field(default_factory=lambda: [14, 7, 3, 1])
    identity_reminder_days: list[int] = Field(default_factory=lambda: [7, 14])
    identity_timeout_days: int = 30
    escalation_horizon_days: int = 90
    notify_hour: int = 9
    # Days the response package is kept after delivery; then it is deleted.
    package_retention_days: int = 30


class DeadlineInput(BaseModel):
    received_on: date
    jurisdiction: str
    stops: list[ClockStopInfo] = Field(default_factory=list)
    extended: bool = False
    settings: ClockSettings = Field(default_factory=ClockSettings)


class DeadlineEvent(BaseModel):
    """A dated duty of the clock: a reminder to the team, or an escalation."""

    at: datetime
    kind: NotificationKind
    occasion: str  # the local date it concerns; makes the notification unique


class DeadlineResult(BaseModel):
    start_on: date
    due_on: date | None
    due_at: datetime | None
    extension_notice_by: date | None
    extension_notice_by_at: datetime | None = None
    clock_stopped: bool
    extended: bool = False
    events: list[DeadlineEvent] = Field(default_factory=list)


class ExtensionDecision(BaseModel):
    actor: str = Field(min_length=1, max_length=100)
    reason: str = Field(max_length=4000)


class ClarificationRequest(BaseModel):
    actor: str = Field(min_length=1, max_length=100)
    question: str = Field(max_length=4000)


class ClarificationAnswer(BaseModel):
    actor: str = Field(min_length=1, max_length=100)
    note: str | None = Field(default=None, max_length=4000)


class StatusChange(BaseModel):
    reference: str
    status: Status
    actor: str
    due_on: date | None = None
    extended: bool = False
    # A decision or clock event recorded without a change of status (e.g. "extended").
    action: str | None = None
    occasion: str = ""
    details: dict[str, str | int | bool | None] = Field(default_factory=dict)


class SendNotification(BaseModel):
    reference: str
    kind: NotificationKind
    # Distinguishes repeated kinds (the 7-day reminder from the 3-day one); part of the
    # idempotency key, so each occasion is sent once.
    occasion: str = ""
    # Free text for the letter, written by the privacy team (extension reason, question).
    text: str | None = Field(default=None, max_length=4000)
    # For tasks to a manual system's owner: which system ("company/system").
    system: str | None = None
    # For a manual system's action task: which action to take.
    action: Action | None = None
    # For an Art. 19 notice: the recipient's registry code, and the actions it reports.
    recipient: str | None = None
    actions: list[Action] = Field(default_factory=list)
    # For the outcome letter: the decision on an objection to other processing, if any.
    objection_upheld: bool | None = None


class NotificationResult(BaseModel):
    message_id: str
    already_sent: bool


class CompanyTarget(BaseModel):
    code: str
    legal_name: str
    task_queue: str


class CollectionPlan(BaseModel):
    companies: list[CompanyTarget]


class CompanyCollectionInput(BaseModel):
    reference: str
    company: str
    # Only these systems (a re-collection the privacy team asked for); None means all.
    systems: list[str] | None = None
    # Where the notification activities run (tasks to manual systems' owners).
    notify_queue: str | None = None
    # 0 for the first collection; each re-collection the privacy team asks for counts up.
    round: int = 0


class SystemRef(BaseModel):
    company: str
    system: str
    name: str
    kind: str
    # Manual systems: remind the owner after these many days.
    reminder_days: list[int] = Field(default_factory=list)
    # The rights the system supports (registry `rights`): which actions it is asked to take.
    rights: list[Right] = Field(default_factory=list)


class CollectSystemInput(BaseModel):
    reference: str
    company: str
    system: str


class SystemStatus(StrEnum):
    PENDING = "pending"
    AWAITING_UPLOAD = "awaiting_upload"  # a manual system: the owner has been asked
    COLLECTED = "collected"
    FAILED = "failed"
    NOT_APPLICABLE = "not_applicable"  # the privacy team decided, with a reason

    @property
    def settled(self) -> bool:
        return self in (SystemStatus.COLLECTED, SystemStatus.FAILED, SystemStatus.NOT_APPLICABLE)


class SystemResult(BaseModel):
    company: str
    system: str
    name: str = ""
    kind: str = "postgres"
    status: SystemStatus
    records: int = 0
    bytes: int = 0
    categories: list[str] = Field(default_factory=list)
    # Records found only by name and postcode: a reviewer must confirm them.
    fuzzy_matches: int = 0
    error: str | None = None
    note: str | None = None


class UploadedFile(BaseModel):
    """An export from a manual system, already in the case bucket (claim-check)."""

    actor: str = Field(min_length=1, max_length=100)
    company: str
    system: str
    object_key: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    bytes: int = Field(ge=0)
    media_type: str = Field(default="application/octet-stream", max_length=100)


class IngestUploadInput(BaseModel):
    reference: str
    upload: UploadedFile


class SystemDecision(BaseModel):
    """A privacy-team decision about one system: re-collect it, or mark it not applicable."""

    actor: str = Field(min_length=1, max_length=100)
    company: str = Field(min_length=1, max_length=16)
    system: str = Field(min_length=1, max_length=16)
    reason: str = Field(default="", max_length=2000)


class RecordSystemResultInput(BaseModel):
    reference: str
    result: SystemResult
    actor: str
    # Distinguishes repeated decisions about one system in the audit trail.
    occasion: str = ""


class MatchDecision(BaseModel):
    """A reviewer confirms or rejects records found only by name and postcode."""

    actor: str = Field(min_length=1, max_length=100)
    record_ids: list[int] = Field(min_length=1, max_length=1000)
    accept: bool


class DecideMatchesInput(BaseModel):
    reference: str
    decision: MatchDecision


class Action(StrEnum):
    """What the other rights do to a system's data about the person."""

    RECTIFY = "rectify"  # Art. 16: the approved corrections, before/after recorded
    ERASE = "erase"  # Art. 17: delete or anonymise, keeping what a legal duty or hold requires
    RESTRICT = "restrict"  # Art. 18: flag; the system's exports leave flagged data out
    LIFT_RESTRICTION = "lift_restriction"  # Art. 18(3): only after the person has been told
    WITHDRAW_CONSENT = "withdraw_consent"  # Art. 7(3): consent flags off from now on
    SUPPRESS_MARKETING = "suppress_marketing"  # Art. 21(3): onto the suppression list, at once

    @property
    def right(self) -> Right:
        """The right a system must support (registry `rights`) to be asked to take this action."""
        return {
            Action.RECTIFY: Right.RECTIFICATION,
            Action.ERASE: Right.ERASURE,
            Action.RESTRICT: Right.RESTRICTION,
            Action.LIFT_RESTRICTION: Right.RESTRICTION,
            Action.WITHDRAW_CONSENT: Right.CONSENT_WITHDRAWAL,
            Action.SUPPRESS_MARKETING: Right.OBJECTION,
        }[self]

    @property
    def tells_recipients(self) -> bool:
        """Art. 19 covers rectification, erasure and restriction (and its lifting is a change too)."""
        return self in (Action.RECTIFY, Action.ERASE, Action.RESTRICT)


class ActionStatus(StrEnum):
    PENDING = "pending"
    AWAITING_OWNER = "awaiting_owner"  # a manual system: the owner has been asked to act
    DONE = "done"  # taken (possibly on zero rows: `changed` says how many)
    FAILED = "failed"
    NOT_APPLICABLE = "not_applicable"  # the system cannot take this action, or the team decided so

    @property
    def settled(self) -> bool:
        return self is not ActionStatus.PENDING and self is not ActionStatus.AWAITING_OWNER


class KeptData(BaseModel):
    """Data an erasure left in place, and why (Art. 17(3)): said in the confirmation letter."""

    category: str
    items: int  # rows or objects kept
    legal_basis: str  # e.g. "Bokföringslagen (1999:1078) 7 kap. 2 §" or "legal hold: ..."
    until: date | None = None  # when the duty ends (the newest kept row's date plus the years)


class LegalHold(BaseModel):
    """The privacy team keeps a system's data despite erasure (legal claims, Art. 17(3)(e))."""

    actor: str = Field(min_length=1, max_length=100)
    company: str = Field(min_length=1, max_length=16)
    system: str = Field(min_length=1, max_length=16)
    reason: str = Field(min_length=1, max_length=500)


class ExecuteSystemInput(BaseModel):
    """One action in one system. Corrections are personal data: this input travels encrypted."""

    reference: str
    company: str
    system: str
    action: Action
    corrections: list[Correction] = Field(default_factory=list)
    # Erasure: a legal hold on this system keeps everything, with this reason.
    legal_hold: str | None = None
    # Erasure: the request's jurisdiction, for retention rules not set by the company's country.
    jurisdiction: str = ""


class ActionResult(BaseModel):
    """What one system did. Counts, categories and recipient codes: no personal data."""

    company: str
    system: str
    name: str = ""
    kind: str = "postgres"
    action: Action
    status: ActionStatus
    changed: int = 0  # rows or objects erased, corrected, flagged, switched off
    fields: list[str] = Field(default_factory=list)  # rectification: fields corrected here
    kept: list[KeptData] = Field(default_factory=list)
    # Registry recipient codes the affected data had been disclosed to (Art. 19).
    recipients: list[str] = Field(default_factory=list)
    error: str | None = None
    note: str | None = None


class RecordActionResultInput(BaseModel):
    reference: str
    result: ActionResult
    actor: str
    occasion: str = ""


class CompanyActionInput(BaseModel):
    reference: str
    company: str
    action: Action
    corrections: list[Correction] = Field(default_factory=list)
    # system code -> reason, for systems under a legal hold (erasure keeps them).
    legal_holds: dict[str, str] = Field(default_factory=dict)
    jurisdiction: str = ""
    # Only these systems (a retry the privacy team asked for); None means all that support it.
    systems: list[str] | None = None
    notify_queue: str | None = None
    round: int = 0


class CompanyActionResult(BaseModel):
    company: str
    action: Action
    systems: list[ActionResult]


class CompanyActionState(BaseModel):
    company: str
    action: Action
    systems: list[ActionResult] = Field(default_factory=list)


class ActionConfirmation(BaseModel):
    """The privacy team says a manual system's owner has done what was asked (or cannot)."""

    actor: str = Field(min_length=1, max_length=100)
    company: str = Field(min_length=1, max_length=16)
    system: str = Field(min_length=1, max_length=16)
    action: Action
    done: bool = True  # False: not applicable here, with the reason in the note
    changed: int = Field(default=0, ge=0)
    note: str = Field(default="", max_length=2000)


class ActionRetry(BaseModel):
    """Take a failed action again in one system (a new round of the company's child)."""

    actor: str = Field(min_length=1, max_length=100)
    company: str = Field(min_length=1, max_length=16)
    system: str = Field(min_length=1, max_length=16)
    action: Action


class ObjectionDecision(BaseModel):
    """Art. 21(1): the objection to other processing is upheld, or overridden by compelling grounds."""

    actor: str = Field(min_length=1, max_length=100)
    uphold: bool
    grounds: str = Field(min_length=1, max_length=4000)


class LiftRestriction(BaseModel):
    actor: str = Field(min_length=1, max_length=100)
    reason: str = Field(min_length=1, max_length=2000)


class SuppressionResult(BaseModel):
    """Entries on the group-wide list for this person (keyed hashes: e-mail, phone)."""

    entries: int
    added: int


class PortableInput(BaseModel):
    """Art. 20(2): send the portable data.json straight to another controller's endpoint."""

    reference: str
    transmit_to: str


class TransmissionResult(BaseModel):
    status_code: int
    bytes: int
    already_sent: bool = False


class CompanyCollectionResult(BaseModel):
    company: str
    systems: list[SystemResult]

    @property
    def records(self) -> int:
        return sum(s.records for s in self.systems)


class IndexNamesInput(BaseModel):
    reference: str
    company: str


class ScanResult(BaseModel):
    """Counts only: the findings themselves stay in the case store."""

    records: int
    findings: int


class ExclusionReason(StrEnum):
    """Why a whole record is left out of the copy (Art. 15(4) and national exemptions)."""

    LEGAL_PRIVILEGE = "legal_privilege"
    TRADE_SECRET = "trade_secret"  # noqa: S105 (a reason, not a secret)
    OTHERS_RIGHTS = "others_rights"  # another person's rights and freedoms


class ExcludeRecords(BaseModel):
    actor: str = Field(min_length=1, max_length=100)
    record_ids: list[int] = Field(min_length=1, max_length=1000)
    reason_code: ExclusionReason
    note: str = Field(default="", max_length=2000)


class ManualRedaction(BaseModel):
    """A reviewer removes text the detector did not find. Only the position travels (the
    CLI finds `--text` in the case store), so the removed words never enter history."""

    actor: str = Field(min_length=1, max_length=100)
    record_id: int
    path: str = Field(min_length=2, max_length=500, pattern=r"^\$[.\[]")
    # Half-open character ranges within the field's text; none means the whole field.
    spans: list[tuple[int, int]] = Field(default_factory=list, max_length=100)
    reason: str = Field(max_length=2000)


class KeepFinding(BaseModel):
    """A reviewer overrules one automatic redaction: the value is the person's, or public."""

    actor: str = Field(min_length=1, max_length=100)
    record_id: int
    finding_id: str = Field(pattern=r"^f-[0-9a-f]{16}$")
    reason: str = Field(max_length=2000)


class RedactionDecisionInput(BaseModel):
    """One reviewer decision; exactly one of the three is set."""

    reference: str
    exclude: ExcludeRecords | None = None
    redact: ManualRedaction | None = None
    keep: KeepFinding | None = None


class BuildPackageInput(BaseModel):
    reference: str
    # Portability (Art. 20): add the data the person provided as portable/data.json and CSV.
    portable: bool = False


class PackageResult(BaseModel):
    artefact_id: str
    bytes: int
    sha256: str
    records: int
    companies_with_data: list[str]


class ResendLinkRequest(BaseModel):
    """A new download link and code for the person; the ones sent before stop working."""

    actor: str = Field(min_length=1, max_length=100)


class DeletePackageInput(BaseModel):
    reference: str
    retention_days: int = 0  # for the audit trail: how long it was kept


class PackageDeletion(BaseModel):
    artefact_id: str | None
    deleted_at: datetime | None


class IdentityMethod(StrEnum):
    """How identity was confirmed, weakest first; the request's risk decides which are enough."""

    # Before methods were chosen by risk: the privacy team's say-so. Kept for old histories.
    PRIVACY_TEAM_CHECK = "privacy_team_check"
    # The person entered the one-time code sent to an e-mail address the group already holds.
    EMAIL_CODE = "email_code"
    # The privacy team matched the claimed identity against an existing customer record.
    CUSTOMER_RECORD = "customer_record"
    # The privacy team checked an identity document (and, for an agent, the authorisation).
    DOCUMENT_CHECK = "document_check"


class SensitiveReason(StrEnum):
    """Why a request needs a document check: a mistake here would hurt the person most."""

    ERASURE = "erasure"  # an account would be erased
    NEW_CONTACT = "new_contact"  # the request's e-mail is not one the group holds
    AGENT = "agent"  # someone acts for the person


class RefusalDecision(BaseModel):
    """Art. 12(5): a manifestly unfounded or excessive request is refused, with reasons."""

    actor: str = Field(min_length=1, max_length=100)
    reason: str = Field(max_length=4000)


class IdentityDecision(BaseModel):
    """A confirmation that the requester is who they claim to be, and how it was confirmed.

    The note may say which document was seen, never its number: it stays in the (encrypted)
    workflow history, and the audit trail records only that there was one.
    """

    actor: str = Field(min_length=1, max_length=100)
    method: str = Field(default=IdentityMethod.CUSTOMER_RECORD.value, max_length=50)
    note: str | None = Field(default=None, max_length=2000)
    # For `email_code`: the id of the code the CLI or the verification page found right.
    challenge: str | None = Field(default=None, max_length=64)


class AuthorisationFile(BaseModel):
    """The person's written authorisation for an agent, already in the case bucket (claim-check)."""

    object_key: str = Field(max_length=300)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    bytes: int = Field(ge=0)
    media_type: str = Field(default="application/octet-stream", max_length=100)


class AttachAuthorisation(BaseModel):
    actor: str = Field(min_length=1, max_length=100)
    file: AuthorisationFile


class SendIdentityCode(BaseModel):
    """A new one-time code (the last one expired, was locked, or never arrived)."""

    actor: str = Field(min_length=1, max_length=100)


class FindHeldContactsInput(BaseModel):
    reference: str
    company: str


class HeldContacts(BaseModel):
    """What one company's customer records say about the claimed identity: counts, no values."""

    company: str
    # Customer records matching any key the person gave (e-mail, phone, number, national id).
    customer_records: int = 0
    # Whether the request's e-mail address is among the addresses those records hold.
    email_held: bool = False
    # The company's worker did not answer in time; it counts as "nothing found".
    unavailable: bool = False


class ConfirmIdentityCodeInput(BaseModel):
    reference: str
    challenge: str


class IdentityProgress(BaseModel):
    """The identity stage as `dsar status` shows it: which methods are open, and why."""

    searched: bool = False
    customer_records: int = 0
    email_held: bool = False
    companies_unavailable: list[str] = Field(default_factory=list)
    sensitive: list[SensitiveReason] = Field(default_factory=list)
    agent: bool = False
    authorisation_attached: bool = False
    codes_sent: int = 0
    method: str | None = None

    @property
    def allowed_methods(self) -> list[IdentityMethod]:
        if self.agent and not self.authorisation_attached:
            return []
        if self.sensitive:
            return [IdentityMethod.DOCUMENT_CHECK]
        allowed = [IdentityMethod.DOCUMENT_CHECK]
        if self.customer_records:
            allowed.insert(0, IdentityMethod.CUSTOMER_RECORD)
        if self.codes_sent:
            allowed.insert(0, IdentityMethod.EMAIL_CODE)
        return allowed


class ReviewDecision(BaseModel):
    actor: str = Field(min_length=1, max_length=100)
    note: str | None = Field(default=None, max_length=2000)


class CompanyProgress(BaseModel):
    company: str
    task_queue: str
    done: bool = False
    records: int = 0
    failed_systems: list[str] = Field(default_factory=list)
    systems: list[SystemResult] = Field(default_factory=list)
    # Re-collections started for this company; part of their child workflow ids.
    rounds: int = 0


class SentNotice(BaseModel):
    """A letter or e-mail the workflow sent, stamped with workflow time."""

    kind: NotificationKind
    occasion: str = ""
    at: datetime

    @property
    def key(self) -> str:
        return notice_key(self.kind, self.occasion)


def notice_key(kind: NotificationKind, occasion: str) -> str:
    """What makes a notice unique within a request: its kind and, if repeated, the occasion."""
    return f"{kind.value}:{occasion}" if occasion else kind.value


class RequestState(BaseModel):
    """What `dsar status` and the UI show: process facts only, no personal data."""

    reference: str
    status: Status
    rights: list[Right]
    jurisdiction: str
    received_on: date
    due_on: date | None = None
    due_at: datetime | None = None
    clock_stopped: bool = False
    extended: bool = False
    extension_reason: str | None = None
    outcome: str | None = None
    open_question: bool = False
    notices: list[SentNotice] = Field(default_factory=list)
    identity_verified_by: str | None = None
    identity: IdentityProgress | None = None
    approved_by: str | None = None
    companies: list[CompanyProgress] = Field(default_factory=list)
    package: PackageResult | None = None
    delivered_at: datetime | None = None
    links_resent: int = 0
    package_deleted_at: datetime | None = None
    # Other people's data found by the last scan (counts only), and companies whose names
    # could not be indexed for it (their names may be missed: the reviewer should look).
    redaction_findings: int | None = None
    names_not_indexed: list[str] = Field(default_factory=list)
    # The other rights: every system's result for every action taken, legal holds placed
    # at review ("company/system" -> reason), the objection decision, recipients told.
    actions: list[ActionResult] = Field(default_factory=list)
    legal_holds: dict[str, str] = Field(default_factory=dict)
    objection_upheld: bool | None = None
    restriction_active: bool = False
    restriction_lifted_at: datetime | None = None
    recipients_notified: list[str] = Field(default_factory=list)
    transmitted: TransmissionResult | None = None


class CompanyCollectionState(BaseModel):
    company: str
    systems: list[SystemResult] = Field(default_factory=list)

"""The group registry: which companies exist, which systems each runs, and how to search them.

It is configuration (`infra/group.toml`), validated when a worker or the CLI starts, so
that adding a company or a system is an edit to a file, not to code. Table and column
names from here are used as SQL identifiers, so they are checked against a strict
pattern and always quoted.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from dsar.domain import CorrectableField, IdentityKey, Right, normalise_email

# The words for the registry's codes (system, table and field names in sv and en) live in a
# sibling file, infra/labels.toml, read by `dsar.labels`; re-exported for the registry's readers.
from dsar.labels import Labels as Labels
from dsar.labels import load_labels as load_labels
from dsar.toml_config import parse_toml_model

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_CODE = re.compile(r"^[a-z][a-z0-9]{1,15}$")
_SETTING = re.compile(r"^[A-Z][A-Z0-9_]{0,62}$")

DEFAULT_GROUP_FILE = Path(__file__).resolve().parent.parent / "infra" / "group.toml"


def _identifier(value: str) -> str:
    if not _IDENTIFIER.match(value):
        raise ValueError("must be a lower-case SQL identifier (letters, digits, underscore)")
    return value


def _code(value: str) -> str:
    if not _CODE.match(value):
        raise ValueError("must be 2-16 lower-case letters or digits, starting with a letter")
    return value


def _setting(value: str) -> str:
    if not _SETTING.match(value):
        raise ValueError("must be an upper-case setting name like SE01_CRM")
    return value


Identifier = Annotated[str, AfterValidator(_identifier)]
Code = Annotated[str, AfterValidator(_code)]
SettingName = Annotated[str, AfterValidator(_setting)]


class Category(StrEnum):
    """Data categories from the privacy notice; reports and the Art. 15 notice group by them."""

    IDENTITY = "identity"
    CONTACT = "contact"
    CUSTOMER_ACCOUNT = "customer_account"
    BILLING = "billing"
    PAYMENT = "payment"
    EVENTS = "events"
    SUPPORT = "support"
    MARKETING = "marketing"
    DATA_BROKER = "data_broker"
    APP_LOCATION = "app_location"
    APP_USAGE = "app_usage"
    WEB_ANALYTICS = "web_analytics"
    COOKIES = "cookies"


class SystemKind(StrEnum):
    """How a system is reached; each kind has its own connector activity."""

    POSTGRES = "postgres"  # a database the company's worker can query
    S3 = "s3"  # documents and media in an object store
    HTTP = "http"  # a SaaS system with a JSON API
    MANUAL = "manual"  # only a person can search it: a task for the system's owner


class FuzzyMapping(BaseModel):
    """Columns for the name-plus-postcode match, used when no exact key finds the person.

    Such matches are never trusted on their own: they are stored flagged, with a score, and
    stay out of the response until a reviewer confirms them.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Identifier
    postcode: Identifier


class TableMapping(BaseModel):
    """How to find a person's rows in one table of a system."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    table: Identifier
    category: Category
    key_column: Identifier = "id"
    # identity key -> column holding it; emails are compared lower-cased, phones in E.164.
    match: dict[IdentityKey, Identifier] = Field(min_length=1)
    fuzzy: FuzzyMapping | None = None
    # Event streams (app usage, page views) can hold millions of a person's rows: they are
    # kept as CSV files in the case bucket, one per chunk, rather than row by row.
    bulk: bool = False
    # Rectification (Art. 16): which column holds each correctable field.
    fields: dict[CorrectableField, Identifier] = Field(default_factory=dict)
    # Erasure (Art. 17): delete the person's rows, or keep the rows and blank the personal
    # columns (`anonymise`; nullable ones become NULL, others a fixed marker).
    erase: Literal["delete", "anonymise"] = "delete"
    anonymise: list[Identifier] = Field(default_factory=list)
    # Consent withdrawal (Art. 7(3)): boolean columns that record consent, switched off.
    consent: list[Identifier] = Field(default_factory=list)
    # Retention: the date a row's retention period runs from (e.g. an invoice's issue date).
    dated_by: Identifier | None = None
    # Art. 19: a column naming who each row was disclosed to (a recipient code or name).
    recipient_column: Identifier | None = None
    # Only the person's own input (Art. 20: "provided by" them) goes into a portability export.
    provided: bool = True

    @model_validator(mode="after")
    def _erase_rules(self) -> TableMapping:
        if self.erase == "anonymise" and not self.anonymise:
            raise ValueError(f"table {self.table}: erase = 'anonymise' needs the `anonymise` columns")
        return self


class ObjectLayout(StrEnum):
    PER_PERSON = "per_person"  # <prefix>/<identity key value>/<file>
    INDEX = "index"  # <prefix>/index.json maps identity key values to object keys


class ObjectStoreMapping(BaseModel):
    """Where a person's files sit in an S3 system (the bucket comes from the connection)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    layout: ObjectLayout
    key: IdentityKey  # which identity key names the folder or indexes the files
    category: Category
    index: str = "index.json"


class HttpMapping(BaseModel):
    """A generic JSON API: one GET per identity key, records in a list field of the reply."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Path below the connection's base URL; `{value}` is replaced by the (URL-encoded) key.
    search: dict[IdentityKey, Annotated[str, Field(pattern=r"^/[^\s]*\{value\}[^\s]*$")]] = Field(
        min_length=1
    )
    records_field: str = "records"
    id_field: str = "id"
    category: Category
    # Actions on one record, as "METHOD /path/{id}" below the base URL; a system without
    # one for an action cannot take it (the result says so, and the owner is asked).
    actions: dict[
        Literal["erase", "restrict", "lift_restriction", "withdraw_consent", "suppress_marketing"], str
    ] = Field(default_factory=dict)

    @field_validator("actions")
    @classmethod
    def _action_shape(cls, value: dict[str, str]) -> dict[str, str]:
        for action, spec in value.items():
            method, _, path = spec.partition(" ")
            if method not in _METHODS or not path.startswith("/") or "{id}" not in path:
                raise ValueError(f"{action}: must be 'METHOD /path/{{id}}' with METHOD in {_METHODS}")
        return value


_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class RetentionRule(BaseModel):
    """Data a legal duty makes the group keep (e.g. accounting records) despite erasure."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    category: Category
    years: int = Field(ge=1, le=100)
    legal_basis: str = Field(min_length=1, max_length=300)
    jurisdiction: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None


class System(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: Code
    name: str = Field(min_length=1, max_length=200)
    kind: SystemKind
    # Name of the connection setting; the worker reads DSAR_CONN_<connection>.
    connection: SettingName | None = None
    categories: list[Category] = Field(min_length=1)
    identity_keys: list[IdentityKey] = Field(min_length=1)
    rights: list[Right] = Field(min_length=1)
    tables: list[TableMapping] = Field(default_factory=list)
    objects: ObjectStoreMapping | None = None
    http: HttpMapping | None = None
    retention: list[RetentionRule] = Field(default_factory=list)
    # For manual systems: the mailbox of the team that can search it.
    owner: str | None = None
    # For manual systems: remind the owner after this many days without an answer.
    reminder_days: list[int] = Field(default_factory=lambda: [3, 7])
    # Restriction (Art. 18): the boolean column every table of a postgres system carries;
    # the system's own exports (marketing, analytics) leave flagged rows out.
    restriction_column: Identifier = "processing_restricted"
    # Objection to direct marketing: the table the system's mailings check before sending.
    suppression_table: Identifier | None = None
    # Art. 19: recipients (codes from the registry's `recipients`) that receive this system's data.
    disclosed_to: list[Code] = Field(default_factory=list)

    @model_validator(mode="after")
    def _kind_rules(self) -> System:
        for rule in self.retention:
            if rule.category not in self.categories:
                raise ValueError(f"retention rule for {rule.category.value}: the system does not hold it")
        if self.kind in (SystemKind.S3, SystemKind.HTTP) and not self.connection:
            raise ValueError(f"a {self.kind.value} system needs a connection setting name")
        if self.kind is SystemKind.S3:
            if self.objects is None:
                raise ValueError("an s3 system needs an `objects` mapping")
            if self.objects.category not in self.categories or self.objects.key not in self.identity_keys:
                raise ValueError("objects: category and key must be declared by the system")
        if self.kind is SystemKind.HTTP:
            if self.http is None:
                raise ValueError("an http system needs an `http` mapping")
            unknown_keys = set(self.http.search) - set(self.identity_keys)
            if self.http.category not in self.categories or unknown_keys:
                raise ValueError("http: category and search keys must be declared by the system")
        if self.kind is SystemKind.POSTGRES:
            if not self.connection:
                raise ValueError("a postgres system needs a connection setting name")
            if not self.tables:
                raise ValueError("a postgres system needs at least one table mapping")
            for mapping in self.tables:
                if mapping.category not in self.categories:
                    raise ValueError(
                        f"table {mapping.table} has category {mapping.category.value} "
                        "which the system does not declare"
                    )
                unknown = set(mapping.match) - set(self.identity_keys)
                if unknown:
                    raise ValueError(
                        f"table {mapping.table} matches on {sorted(unknown)} which the "
                        "system does not declare as identity keys"
                    )
        if self.kind is SystemKind.MANUAL:
            if not self.owner:
                raise ValueError("a manual system needs an owner to send the task to")
            try:
                normalise_email(self.owner)
            except ValueError:
                raise ValueError("owner: must be an e-mail address") from None
        return self


class Company(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: Code
    legal_name: str = Field(min_length=1, max_length=200)
    registration_number: str = Field(min_length=1, max_length=40)
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    role: Literal["controller", "affiliate"]
    systems: list[System] = Field(min_length=1)
    # Normally derived from the code; set it to move a company onto another worker pool.
    queue: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{2,62}$")] | None = None

    @property
    def task_queue(self) -> str:
        return self.queue or company_task_queue(self.code)

    def system(self, code: str) -> System:
        for system in self.systems:
            if system.code == code:
                return system
        raise KeyError(code)

    @model_validator(mode="after")
    def _unique_systems(self) -> Company:
        codes = [s.code for s in self.systems]
        if len(codes) != len(set(codes)):
            raise ValueError("system codes must be unique within a company")
        return self


class Recipient(BaseModel):
    """Someone the group discloses personal data to (the privacy notice names the kinds).

    After a rectification, erasure or restriction they are told (Art. 19), at `contact`.
    `aliases` are how the systems name them in a recipient column (e.g. "Stripe").
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: Code
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(min_length=1, max_length=60)
    contact: str
    aliases: list[str] = Field(default_factory=list)

    @field_validator("contact")
    @classmethod
    def _contact(cls, value: str) -> str:
        try:
            return normalise_email(value)
        except ValueError:
            raise ValueError("must be an e-mail address") from None


class GroupRegistry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    companies: list[Company] = Field(min_length=1)
    recipients: list[Recipient] = Field(default_factory=list)

    @model_validator(mode="after")
    def _rules(self) -> GroupRegistry:
        codes = [c.code for c in self.companies]
        if len(codes) != len(set(codes)):
            raise ValueError("company codes must be unique")
        if sum(1 for c in self.companies if c.role == "controller") != 1:
            raise ValueError("exactly one company must be the controller")
        known = {r.code for r in self.recipients}
        if len(known) != len(self.recipients):
            raise ValueError("recipient codes must be unique")
        for company in self.companies:
            for system in company.systems:
                unknown = sorted(set(system.disclosed_to) - known)
                if unknown:
                    raise ValueError(
                        f"{company.code}/{system.code}: disclosed_to names unknown recipients {unknown}"
                    )
        return self

    def recipient(self, name: str) -> Recipient | None:
        """A recipient by code, name or alias, as a system's recipient column may write it."""
        wanted = name.strip().casefold()
        for recipient in self.recipients:
            names = [recipient.code, recipient.name, *recipient.aliases]
            if any(n.casefold() == wanted for n in names):
                return recipient
        return None

    def company(self, code: str) -> Company:
        for company in self.companies:
            if company.code == code:
                return company
        raise KeyError(code)

    def connection_settings(self) -> set[str]:
        return {s.connection for c in self.companies for s in c.systems if s.connection}


def company_task_queue(code: str) -> str:
    return f"dsar-company-{code}"


class RegistryError(ValueError):
    """The registry file is unreadable or breaks a rule; the message names the field."""


def parse_group(text: str, source: str = "group registry") -> GroupRegistry:
    return parse_toml_model(GroupRegistry, text, source, RegistryError)


@cache
def load_group(path: Path = DEFAULT_GROUP_FILE) -> GroupRegistry:
    return parse_group(path.read_text(encoding="utf-8"), str(path))

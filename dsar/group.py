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

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from dsar.domain import IdentityKey, Right
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
    POSTGRES = "postgres"
    MANUAL = "manual"


class TableMapping(BaseModel):
    """How to find a person's rows in one table of a system."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    table: Identifier
    category: Category
    key_column: Identifier = "id"
    # identity key -> column holding it; emails are compared lower-cased, phones in E.164.
    match: dict[IdentityKey, Identifier] = Field(min_length=1)


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
    owner: str | None = None

    @model_validator(mode="after")
    def _kind_rules(self) -> System:
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
        if self.kind is SystemKind.MANUAL and not self.owner:
            raise ValueError("a manual system needs an owner to send the task to")
        return self


class Company(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: Code
    legal_name: str = Field(min_length=1, max_length=200)
    registration_number: str = Field(min_length=1, max_length=40)
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    role: Literal["controller", "affiliate"]
    systems: list[System] = Field(min_length=1)

    @property
    def task_queue(self) -> str:
        return company_task_queue(self.code)

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


class GroupRegistry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    companies: list[Company] = Field(min_length=1)

    @model_validator(mode="after")
    def _rules(self) -> GroupRegistry:
        codes = [c.code for c in self.companies]
        if len(codes) != len(set(codes)):
            raise ValueError("company codes must be unique")
        if sum(1 for c in self.companies if c.role == "controller") != 1:
            raise ValueError("exactly one company must be the controller")
        return self

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

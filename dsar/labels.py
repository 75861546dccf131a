"""Words for the registry's codes: system, table and field names in Swedish and English.

The registry (`infra/group.toml`) names systems in the language their team uses and
tables and columns as the databases do; none of that is for the person. `infra/labels.toml`
gives each a label in both languages, plus how a field's value is shown (its format and
unit), so the report reads "Credit limit 8,600.00" and not "credit_limit: 8600.0".

A code without a label is still shown in words: the field name made readable ("Credit
limit") and a system's registry name, so an unlabelled column never breaks a report; the
unit test over the demo group is what keeps every label present.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from dsar.toml_config import parse_toml_model

DEFAULT_LABELS_FILE = Path(__file__).resolve().parent.parent / "infra" / "labels.toml"


class FieldFormat(StrEnum):
    TEXT = "text"
    DATE = "date"
    DATETIME = "datetime"
    NUMBER = "number"
    INTEGER = "integer"
    MONEY = "money"
    BOOLEAN = "boolean"
    LIST = "list"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Words(_Frozen):
    sv: str = Field(min_length=1, max_length=200)
    en: str = Field(min_length=1, max_length=200)

    def of(self, language: str) -> str:
        return self.sv if language == "sv" else self.en


class FieldLabel(Words):
    format: FieldFormat | None = None
    unit: str | None = Field(default=None, max_length=20)
    # money: the field of the same record that holds the currency code.
    unit_field: str | None = None
    # Coded values a system stores (e.g. "legitimate_interest") and their words.
    values: dict[str, Words] = Field(default_factory=dict)


class TableLabels(_Frozen):
    sv: str = Field(min_length=1, max_length=200)
    en: str = Field(min_length=1, max_length=200)
    fields: dict[str, FieldLabel] = Field(default_factory=dict)

    def of(self, language: str) -> str:
        return self.sv if language == "sv" else self.en


class CommonLabels(_Frozen):
    fields: dict[str, FieldLabel] = Field(default_factory=dict)


class LabelsError(ValueError):
    """The labels file is unreadable or breaks a rule; the message names the field."""


class Labels(_Frozen):
    # "company/system" -> its name in each language.
    systems: dict[str, Words] = Field(default_factory=dict)
    common: CommonLabels = Field(default_factory=CommonLabels)
    tables: dict[str, TableLabels] = Field(default_factory=dict)

    def system_name(self, company: str, system: str, language: str, fallback: str) -> str:
        words = self.systems.get(f"{company}/{system}")
        return words.of(language) if words else fallback

    def table_name(self, table: str, language: str) -> str:
        labels = self.tables.get(table)
        return labels.of(language) if labels else readable(table)

    def field(self, table: str, name: str) -> FieldLabel | None:
        """The table's own label of a field, else the common one; None when neither has it."""
        labels = self.tables.get(table)
        if labels is not None and name in labels.fields:
            return labels.fields[name]
        return self.common.fields.get(name)

    def field_name(self, table: str, name: str, language: str) -> str:
        found = self.field(table, name)
        return found.of(language) if found else readable(name)


def readable(code: str) -> str:
    """A code as words when no label exists: "credit_limit" -> "Credit limit"."""
    words = code.replace("_", " ").replace(".", " ").strip()
    return words[:1].upper() + words[1:] if words else code


def parse_labels(text: str, source: str = "labels") -> Labels:
    return parse_toml_model(Labels, text, source, LabelsError)


@cache
def load_labels(path: Path = DEFAULT_LABELS_FILE) -> Labels:
    return parse_labels(path.read_text(encoding="utf-8"), str(path))

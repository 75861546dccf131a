"""The person's records as tables with words: one table per kind of record (a system's
table), columns named by the labels registry, values in the person's locale.

This is the only place a record value becomes text for a person. The HTML and the PDF
both print these tables, so they cannot disagree; data.json and the CSV files keep the
exact values and never come through here. A column every record leaves empty is not
printed (the JSON and CSV still have it), and a currency column that only gives the
unit of an amount is folded into the amount ("1 250,00 SEK").
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from dsar.labels import FieldFormat, FieldLabel, Labels, readable
from dsar.package.locale_format import (
    format_date,
    format_datetime,
    format_number,
    parse_date,
    parse_datetime,
)


@dataclass(frozen=True)
class TableView:
    """One kind of record of one system, ready to print: a caption, what every record of
    it has in common (label, text), then a column per field that differs and a row of
    cell texts per record. A single record is all "common": a two-column list."""

    title: str
    records: int
    common: list[tuple[str, str]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


@dataclass(frozen=True)
class CellWords:
    """The few words a cell needs besides the value: yes, no, and the empty mark."""

    yes: str
    no: str
    empty: str


def record_data(record: Mapping[str, Any]) -> Mapping[str, Any]:
    data = record.get("data")
    return data if isinstance(data, Mapping) else {"value": data}


def category_tables(
    records: Iterable[Mapping[str, Any]],
    labels: Labels,
    language: str,
    zone: ZoneInfo,
    words: CellWords,
    attachments: Sequence[str | None] = (),
) -> list[TableView]:
    """The records of one category of one system, one table per source table, in the
    order the tables first appear. `attachments` (parallel to `records`) name the file in
    the package that holds a record's content: the person reads that name as its "file"."""
    by_table: dict[str, list[Mapping[str, Any]]] = {}
    for index, record in enumerate(records):
        data = record_data(record)
        attachment = attachments[index] if index < len(attachments) else None
        if attachment:
            data = {**data, "file": attachment}
        by_table.setdefault(str(record.get("table") or ""), []).append(data)
    return [_table(table, rows, labels, language, zone, words) for table, rows in by_table.items()]


def _table(
    table: str,
    rows: list[Mapping[str, Any]],
    labels: Labels,
    language: str,
    zone: ZoneInfo,
    words: CellWords,
) -> TableView:
    names: dict[str, None] = {}
    for row in rows:
        for key in row:
            if not _is_empty(row[key]):
                names.setdefault(str(key))
    specs = {name: labels.field(table, name) for name in names}
    units = {s.unit_field for s in specs.values() if s and s.format is FieldFormat.MONEY and s.unit_field}
    shown = [n for n in names if n not in units]
    cells = {n: [cell_text(row.get(n), specs[n], row, language, zone, words) for row in rows] for n in shown}
    # A value every record shares (the e-mail address of each location ping, the device)
    # is printed once above the table instead of in every row.
    same = [n for n in shown if len(set(cells[n])) == 1]
    varying = [n for n in shown if n not in same]
    return TableView(
        title=labels.table_name(table, language),
        records=len(rows),
        common=[(labels.field_name(table, n, language), cells[n][0]) for n in same],
        columns=[labels.field_name(table, n, language) for n in varying],
        rows=[[cells[n][i] for n in varying] for i in range(len(rows))] if varying else [],
    )


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def cell_text(
    value: Any,
    spec: FieldLabel | None,
    row: Mapping[str, Any],
    language: str,
    zone: ZoneInfo,
    words: CellWords,
) -> str:
    """A value as the person reads it, by the field's declared format, else by its type."""
    if _is_empty(value):
        return words.empty
    kind = spec.format if spec else None
    if spec and isinstance(value, str) and value in spec.values:
        return spec.values[value].of(language)
    if kind is FieldFormat.MONEY and isinstance(value, int | float | str | Decimal):
        amount = format_number(value, language, decimals=2)
        currency = row.get(spec.unit_field) if spec and spec.unit_field else None
        return f"{amount} {currency}" if currency else amount
    text = _plain(value, kind, language, zone, words)
    if spec and spec.unit and isinstance(value, int | float):
        return f"{text} {spec.unit}" if spec.unit != "bytes" else _bytes(value, language)
    return text


def _plain(value: Any, kind: FieldFormat | None, language: str, zone: ZoneInfo, words: CellWords) -> str:
    if value is True:
        return words.yes
    if value is False:
        return words.no
    if isinstance(value, int | float | Decimal):
        if kind is FieldFormat.TEXT:
            return str(value)
        return format_number(value, language)
    if isinstance(value, Mapping):
        return "; ".join(
            f"{readable(str(k))}: {_plain(v, None, language, zone, words)}"
            for k, v in value.items()
            if not _is_empty(v)
        )
    if isinstance(value, list | tuple):
        return ", ".join(
            f"({_plain(v, None, language, zone, words)})"
            if isinstance(v, Mapping)
            else _plain(v, None, language, zone, words)
            for v in value
        )
    text = str(value)
    if kind in (None, FieldFormat.DATE, FieldFormat.DATETIME):
        moment = parse_datetime(text)
        if moment is not None:
            return format_datetime(moment, language, zone)
        day = parse_date(text)
        if day is not None:
            return format_date(day, language)
    if kind is None and text[:1] in "{[":
        try:
            return _plain(json.loads(text), None, language, zone, words)
        except ValueError:
            return text
    return text


def _bytes(value: int | float, language: str) -> str:
    size = float(value)
    for unit in ("bytes", "kB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return (
                f"{format_number(int(size), language)} {unit}"
                if unit == "bytes"
                else f"{format_number(round(size, 1), language)} {unit}"
            )
        size /= 1024
    return str(value)

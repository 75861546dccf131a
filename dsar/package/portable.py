"""Portability (Art. 20): the data the person provided, as portable/data.json and CSV.

A structured, commonly used, machine-readable format: portable/data.json (its schema in
`infra/schemas/portable-data.schema.json`) and one CSV per source table, added to the
package when portability was asked for. The same data.json is what goes to another
controller. Pure, like the other formats.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dsar.config import PROJECT_ROOT
from dsar.package.formats import csv_cell, record_data
from dsar.package.views import CSV_DATA_PREFIX
from dsar.privacy_notice import Controller

PORTABLE_SCHEMA_ID = "https://dsar.example/schemas/portable-data/v1.json"
PORTABLE_SCHEMA_FILE = PROJECT_ROOT / "infra" / "schemas" / "portable-data.schema.json"
PORTABLE_FORMAT_VERSION = 1
PORTABLE_DIR = "portable"
PORTABLE_JSON = f"{PORTABLE_DIR}/data.json"


@dataclass(frozen=True)
class PortableTable:
    """One source table's provided records, already redacted: {"key": ..., "data": {...}}."""

    company: str
    system: str
    system_name: str
    table: str
    category: str
    records: list[dict[str, Any]]


@dataclass(frozen=True)
class PortableView:
    reference: str
    generated_at: datetime
    controller: Controller
    # Company code -> legal name, for the companies that appear in `tables`.
    company_names: Mapping[str, str]
    tables: list[PortableTable]

    @property
    def record_count(self) -> int:
        return sum(len(t.records) for t in self.tables)


def portable_document(view: PortableView) -> dict[str, Any]:
    """portable/data.json, in the shape `infra/schemas/portable-data.schema.json` publishes:
    companies, their systems and those systems' tables, each with its records."""
    companies: dict[str, dict[str, Any]] = {}
    for t in view.tables:
        company = companies.setdefault(
            t.company,
            {"code": t.company, "legal_name": view.company_names.get(t.company, t.company), "systems": []},
        )
        systems = company["systems"]
        if not systems or systems[-1]["code"] != t.system:
            systems.append({"code": t.system, "name": t.system_name, "tables": []})
        systems[-1]["tables"].append({"table": t.table, "category": t.category, "records": t.records})
    return {
        "$schema": PORTABLE_SCHEMA_ID,
        "format_version": PORTABLE_FORMAT_VERSION,
        "generated_at": view.generated_at.isoformat(),
        "reference": view.reference,
        "controller": {
            "legal_name": view.controller.legal_name,
            "company_number": view.controller.company_number,
            "privacy_email": str(view.controller.privacy_email),
        },
        "record_count": view.record_count,
        "companies": list(companies.values()),
    }


def render_portable_json(view: PortableView) -> bytes:
    return json.dumps(portable_document(view), ensure_ascii=False, indent=2, default=str).encode("utf-8")


def load_portable_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(PORTABLE_SCHEMA_FILE.read_text(encoding="utf-8"))
    return schema


PORTABLE_KEY_COLUMN = "source_key"


def portable_csvs(view: PortableView) -> list[tuple[str, bytes]]:
    """portable/<company>-<system>-<table>.csv: the source key, then the union of the
    records' fields in the order first seen. Plain UTF-8 (no byte-order mark): these files
    are for programs; values are written as `csv_cell` writes them."""
    files: list[tuple[str, bytes]] = []
    for t in view.tables:
        columns: dict[str, None] = {}
        for record in t.records:
            for key in record_data(record):
                columns.setdefault(str(key))
        out = io.StringIO(newline="")
        writer = csv.writer(out)
        header = [PORTABLE_KEY_COLUMN, *(_portable_column(k) for k in columns)]
        writer.writerow(header)
        for record in t.records:
            data = record_data(record)
            writer.writerow([csv_cell(record.get("key")), *(csv_cell(data.get(k)) for k in columns)])
        files.append((f"{PORTABLE_DIR}/{t.company}-{t.system}-{t.table}.csv", out.getvalue().encode("utf-8")))
    return files


def _portable_column(key: str) -> str:
    return f"{CSV_DATA_PREFIX}{key}" if key == PORTABLE_KEY_COLUMN or key.startswith(CSV_DATA_PREFIX) else key


def portable_members(view: PortableView, data_json: bytes | None = None) -> list[tuple[str, bytes]]:
    """The portable/ members of the zip; `data_json` when already rendered (it is also
    stored on its own, and both copies must be the same bytes)."""
    return [
        (PORTABLE_JSON, data_json if data_json is not None else render_portable_json(view)),
        *portable_csvs(view),
    ]

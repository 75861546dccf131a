"""The files of the response package, all made from one view of the request.

The cover letter, the HTML report, the PDF report, data.json and the per-category CSV
files are different renderings of the same facts. They are built from one `ReportView`
so a fix in what the person is told (a record, an Art. 15 item, the authority) reaches
every format at once, and no format can silently fall behind the others.

Everything here is pure: no database, no S3, no clock. The activity gathers the facts,
these functions turn them into bytes, so the formats can be tested without a server.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from activities.report_pdf import render_report_pdf
from dsar.config import PROJECT_ROOT
from dsar.privacy_notice import Art15Item, Controller
from dsar.rendering import AuthorityView, render_html

# The `$id` of the published schema, and the `$schema` every data.json carries, so a
# reader (or another controller, for portability) can validate the file it received.
JSON_SCHEMA_ID = "https://dsar.example/schemas/access-package/v1.json"
JSON_SCHEMA_FILE = PROJECT_ROOT / "infra" / "schemas" / "access-package.schema.json"

COVER_LETTER = "cover_letter.html"
REPORT_HTML = "report.html"
REPORT_PDF = "report.pdf"
DATA_JSON = "data.json"
REDACTIONS_CSV = "redactions.csv"
CSV_DIR = "csv"

# CSV columns that say where a record came from; a data field with one of these names
# is written as `data.<name>` so it can never overwrite the provenance.
CSV_PLACE_COLUMNS = ("company", "system", "source_table", "source_key")
CSV_DATA_PREFIX = "data."


@dataclass
class CategoryView:
    category: str
    label: str
    records: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class SystemView:
    code: str
    name: str
    status: str
    categories: list[CategoryView] = field(default_factory=list)


@dataclass
class CompanyView:
    code: str
    legal_name: str
    country: str
    systems: list[SystemView] = field(default_factory=list)


@dataclass(frozen=True)
class RemovalView:
    """One entry of the redaction log (Art. 15(4)): what was removed, where and why.
    Deliberately without the value: the log goes to the person."""

    company: str
    system: str
    table: str
    key: str
    field: str
    kind: str
    kind_label: str
    reason: str


@dataclass(frozen=True)
class ExclusionView:
    """Records a reviewer left out, counted by reason; their content is never shown."""

    company: str
    system: str
    reason_code: str
    reason: str
    records: int


@dataclass(frozen=True)
class RequestView:
    reference: str
    received_on: date
    rights: list[str]
    jurisdiction: str


@dataclass(frozen=True)
class ReportView:
    """Everything any format of the package shows, in the person's language.

    `strings` are the report strings of that language (templates/report/strings.toml)
    and `art15` the Art. 15 items made from the privacy notice, so the HTML and the PDF
    print the same headings and the same answers."""

    language: str
    strings: Mapping[str, str]
    request: RequestView
    subject_name: str
    subject_email: str
    generated_at: datetime
    companies: list[CompanyView]
    art15: list[Art15Item]
    authority: AuthorityView
    controller: Controller
    removals: list[RemovalView] = field(default_factory=list)
    exclusions: list[ExclusionView] = field(default_factory=list)

    def template_context(self) -> dict[str, Any]:
        """The names the jinja2 templates were written against."""
        return {
            "lang": self.language,
            "t": dict(self.strings),
            "request": self.request,
            "subject_name": self.subject_name,
            "generated_at": self.generated_at,
            "companies": self.companies,
            "art15": self.art15,
            "authority": self.authority,
            "controller": self.controller,
            "record_count": self.record_count,
            "companies_with_data": self.companies_with_data,
            "systems_not_searched": self.systems_not_searched,
            "csv_files": self.csv_files,
            "removals": self.removals,
            "exclusions": self.exclusions,
        }

    def places(self) -> Iterator[tuple[CompanyView, SystemView, CategoryView]]:
        for company in self.companies:
            for system in company.systems:
                for category in system.categories:
                    yield company, system, category

    @property
    def record_count(self) -> int:
        return sum(len(category.records) for _, _, category in self.places())

    @property
    def companies_with_data(self) -> list[CompanyView]:
        return [c for c in self.companies if any(cat.records for s in c.systems for cat in s.categories)]

    @property
    def csv_files(self) -> list[tuple[str, str]]:
        """(file name, category label) of the CSV files, so the letter can say which
        file holds which kind of data in the person's language."""
        labels = {category.category: category.label for _, _, category in self.places() if category.records}
        return [(f"{CSV_DIR}/{name}.csv", labels[name]) for name in sorted(labels)]

    @property
    def systems_not_searched(self) -> int:
        """Counted so the letter can say the answer is not yet complete."""
        return sum(1 for c in self.companies for s in c.systems if s.status != "collected")


# --- HTML ---------------------------------------------------------------------------------


def render_report_html(view: ReportView) -> str:
    return render_html("report/access_report.html.j2", view.template_context())


def render_cover_letter(view: ReportView) -> str:
    """Each language has its own letter template: a letter reads better written whole
    in its language than assembled from translated fragments."""
    return render_html(f"report/cover_letter.{view.language}.html.j2", view.template_context())


# --- JSON ---------------------------------------------------------------------------------


def package_document(view: ReportView) -> dict[str, Any]:
    """data.json: the copy of the data and the supplementary information, machine-readable,
    in the shape `infra/schemas/access-package.schema.json` publishes."""
    authority = view.authority
    return {
        "$schema": JSON_SCHEMA_ID,
        "reference": view.request.reference,
        "generated_at": view.generated_at.isoformat(),
        "language": view.language,
        "request": {
            "received_on": view.request.received_on.isoformat(),
            "rights": list(view.request.rights),
            "jurisdiction": view.request.jurisdiction,
        },
        "controller": {
            "legal_name": view.controller.legal_name,
            "company_number": view.controller.company_number,
            "privacy_email": str(view.controller.privacy_email),
        },
        "subject": {"full_name": view.subject_name, "email": view.subject_email},
        "companies": [
            {
                "code": c.code,
                "legal_name": c.legal_name,
                "country": c.country,
                "systems": [
                    {
                        "code": s.code,
                        "name": s.name,
                        "status": s.status,
                        "categories": [
                            {"category": cat.category, "label": cat.label, "records": cat.records}
                            for cat in s.categories
                        ],
                    }
                    for s in c.systems
                ],
            }
            for c in view.companies
        ],
        "supplementary_information": [
            {
                "article": item.key,
                "reference": item.reference,
                "title": item.title,
                "paragraphs": list(item.paragraphs),
                "entries": [{"term": e.term, "details": list(e.details)} for e in item.entries],
            }
            for item in view.art15
        ],
        "supervisory_authority": {
            "name": authority.name,
            "address": authority.address,
            "website": authority.website,
            "email": authority.email,
        },
        "redactions": {
            "removed": [
                {
                    "company": r.company,
                    "system": r.system,
                    "table": r.table,
                    "key": r.key,
                    "field": r.field,
                    "kind": r.kind,
                    "reason": r.reason,
                }
                for r in view.removals
            ],
            "excluded_records": [
                {
                    "company": e.company,
                    "system": e.system,
                    "reason_code": e.reason_code,
                    "reason": e.reason,
                    "records": e.records,
                }
                for e in view.exclusions
            ],
        },
    }


def render_data_json(view: ReportView) -> bytes:
    # default=str: record values come from other systems and were made JSON-able when
    # collected; this only guards against a stray date, never drops a value.
    return json.dumps(package_document(view), ensure_ascii=False, indent=2, default=str).encode("utf-8")


def load_json_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(JSON_SCHEMA_FILE.read_text(encoding="utf-8"))
    return schema


# --- CSV ----------------------------------------------------------------------------------


def csv_cell(value: Any) -> str:
    """Text as it is, nothing as an empty cell, anything else (numbers, booleans, nested
    objects and lists) as JSON, so a program can read every value back exactly."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def csv_data_column(key: str) -> str:
    return f"{CSV_DATA_PREFIX}{key}" if key in CSV_PLACE_COLUMNS or key.startswith(CSV_DATA_PREFIX) else key


def category_csvs(view: ReportView) -> list[tuple[str, bytes]]:
    """One CSV per category across all companies and systems, since a spreadsheet user
    looks for "my contact details", not for one system's table.

    Columns: where the record came from, then the union of the records' data fields in
    the order first seen. Written as UTF-8 with a byte-order mark, because Excel opens a
    CSV without one in the computer's legacy code page and garbles å, ä and ö; every
    other program skips the mark."""
    by_category: dict[str, list[tuple[CompanyView, SystemView, dict[str, Any]]]] = {}
    for company, system, category in view.places():
        for record in category.records:
            by_category.setdefault(category.category, []).append((company, system, record))
    files: list[tuple[str, bytes]] = []
    for name in sorted(by_category):
        rows = by_category[name]
        data_columns: dict[str, None] = {}
        for _, _, record in rows:
            for key in _record_data(record):
                data_columns.setdefault(str(key))
        out = io.StringIO(newline="")
        writer = csv.writer(out)
        writer.writerow([*CSV_PLACE_COLUMNS, *(csv_data_column(k) for k in data_columns)])
        for company, system, record in rows:
            data = _record_data(record)
            writer.writerow(
                [
                    company.code,
                    system.code,
                    csv_cell(record.get("table")),
                    csv_cell(record.get("key")),
                    *(csv_cell(data.get(k)) for k in data_columns),
                ]
            )
        files.append((f"{CSV_DIR}/{name}.csv", out.getvalue().encode("utf-8-sig")))
    return files


REDACTION_CSV_COLUMNS = ("company", "system", "source_table", "source_key", "field", "kind", "reason")


def redactions_csv(view: ReportView) -> bytes:
    """The redaction log as a spreadsheet, with the same conventions as the data files;
    excluded records follow as rows with no key or field and their count as the reason's
    prefix, so one file answers "what was held back"."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(REDACTION_CSV_COLUMNS)
    for r in view.removals:
        writer.writerow([r.company, r.system, r.table, r.key, r.field, r.kind_label, r.reason])
    for e in view.exclusions:
        writer.writerow([e.company, e.system, "", "", "", "excluded_records", f"{e.records}: {e.reason}"])
    return out.getvalue().encode("utf-8-sig")


def _record_data(record: Mapping[str, Any]) -> Mapping[str, Any]:
    data = record.get("data")
    return data if isinstance(data, Mapping) else {"value": data}


# --- the zip's members --------------------------------------------------------------------


def package_members(view: ReportView) -> list[tuple[str, bytes]]:
    """The files of the zip, the letter first, so it is what a person opens first."""
    return [
        (COVER_LETTER, render_cover_letter(view).encode("utf-8")),
        (REPORT_HTML, render_report_html(view).encode("utf-8")),
        (REPORT_PDF, render_report_pdf(view)),
        (DATA_JSON, render_data_json(view)),
        (REDACTIONS_CSV, redactions_csv(view)),
        *category_csvs(view),
    ]


# --- portability (Art. 20) ----------------------------------------------------------------

# The data the person provided, in a structured, commonly used, machine-readable format:
# portable/data.json (this schema) and one CSV per source table, added to the package
# when portability was asked for. The same data.json is what goes to another controller.
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
            for key in _record_data(record):
                columns.setdefault(str(key))
        out = io.StringIO(newline="")
        writer = csv.writer(out)
        header = [PORTABLE_KEY_COLUMN, *(_portable_column(k) for k in columns)]
        writer.writerow(header)
        for record in t.records:
            data = _record_data(record)
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

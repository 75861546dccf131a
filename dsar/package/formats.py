"""The files of the response package, all made from one `ReportView`.

Everything here is pure: no database, no S3, no clock. The activity gathers the facts,
these functions turn them into bytes, so the formats can be tested without a server.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

from dsar.package.report_pdf import render_report_pdf
from dsar.package.views import (
    COVER_LETTER,
    CSV_DATA_PREFIX,
    CSV_DIR,
    CSV_PLACE_COLUMNS,
    DATA_JSON,
    JSON_SCHEMA_FILE,
    JSON_SCHEMA_ID,
    REDACTIONS_CSV,
    REPORT_HTML,
    REPORT_PDF,
    CompanyView,
    ReportView,
    SystemView,
)
from dsar.rendering import render_html

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
        "earlier_requests": [
            {
                "reference": e.reference,
                "received_on": e.received_on.isoformat(),
                "rights": list(e.rights),
                "status": e.status,
                "closed_on": e.closed_on.isoformat() if e.closed_on else None,
            }
            for e in view.earlier_requests
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
            for key in record_data(record):
                data_columns.setdefault(str(key))
        out = io.StringIO(newline="")
        writer = csv.writer(out)
        writer.writerow([*CSV_PLACE_COLUMNS, *(csv_data_column(k) for k in data_columns)])
        for company, system, record in rows:
            data = record_data(record)
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


def record_data(record: Mapping[str, Any]) -> Mapping[str, Any]:
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

"""What `dsar review` shows: everything a reviewer decides on, read from the case store."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import asyncpg

from casestore.db import Conn
from casestore.redaction_plan import MANUAL, field_name, load_redaction_plan
from dsar.group import GroupRegistry
from dsar.privacy_notice.report_strings import load_report_strings


def record_count(record: Any) -> int:
    """How many of the person's records a stored record holds: one, or a bulk table's CSV part
    its rows. The same count the collection connectors report per system, so `dsar status`
    and `dsar review` give one number for one system."""
    data = record["data"]
    if record["object_key"] and isinstance(data, dict) and isinstance(data.get("rows"), int):
        return int(data["rows"])
    return 1


async def review_overview(
    conn: Conn, registry: GroupRegistry, reference: str, samples: int = 2
) -> dict[str, Any]:
    """Everything a reviewer decides on, from the case store: counts and redacted samples
    per company, system and category; failed systems; open fuzzy matches; findings;
    exclusions. Samples are shown redacted, as the person would see them."""
    results = {
        (r["company"], r["system"]): r
        for r in await conn.fetch(
            "SELECT company, system, kind, status, records, error, note, decided_by"
            " FROM collection_results WHERE reference = $1",
            reference,
        )
    }
    records = await conn.fetch(
        "SELECT id, company, system, category, source_table, source_key, data, object_key,"
        " needs_confirmation,"
        " confirmed_by, rejected_by, confidence, excluded_by, exclusion_reason, exclusion_note"
        " FROM collected_records WHERE reference = $1 ORDER BY company, system, category, id",
        reference,
    )
    findings = await conn.fetch(
        "SELECT record_id, finding_id, source, kind, path, reason, decided_by, kept_by, kept_reason"
        " FROM redactions WHERE reference = $1 ORDER BY record_id, path, span_start",
        reference,
    )
    # The markers in the person's language, as the package shows them ("[redacted: name]").
    language = await conn.fetchval("SELECT language FROM requests WHERE reference = $1", reference)
    plan = await load_redaction_plan(conn, reference, load_report_strings(language) if language else None)
    by_id = {r["id"]: r for r in records}
    by_place: dict[tuple[str, str, str], list[asyncpg.Record]] = defaultdict(list)
    for r in records:
        by_place[(r["company"], r["system"], r["category"])].append(r)

    def where(record_id: int) -> dict[str, Any]:
        r = by_id[record_id]
        return {
            "record": record_id,
            "company": r["company"],
            "system": r["system"],
            "table": r["source_table"],
            "key": r["source_key"],
        }

    companies = []
    for company in registry.companies:
        systems = []
        for system in company.systems:
            result = results.get((company.code, system.code))
            categories = []
            counted = 0
            for category in system.categories:
                rows = by_place.get((company.code, system.code, category.value), [])
                if not rows:
                    continue
                shown = [r for r in rows if r["excluded_by"] is None and r["rejected_by"] is None]
                counted += sum(record_count(r) for r in rows)
                categories.append(
                    {
                        "category": category.value,
                        # Records as the connectors count them (a bulk part: its rows);
                        # `stored` is how many entries hold them (record ids below).
                        "records": sum(record_count(r) for r in rows),
                        "stored": len(rows),
                        "excluded": sum(record_count(r) for r in rows if r["excluded_by"] is not None),
                        "awaiting_confirmation": sum(
                            1
                            for r in rows
                            if r["needs_confirmation"] and not (r["confirmed_by"] or r["rejected_by"])
                        ),
                        "samples": [
                            {
                                "record": r["id"],
                                "table": r["source_table"],
                                "key": r["source_key"],
                                "data": plan.apply(r["id"], r["data"]),
                            }
                            for r in shown[:samples]
                        ],
                    }
                )
            systems.append(
                {
                    "system": system.code,
                    "name": system.name,
                    "status": result["status"] if result else "not collected",
                    "error": result["error"] if result else None,
                    "note": result["note"] if result else None,
                    "records": counted,
                    "categories": categories,
                }
            )
        companies.append({"company": company.code, "systems": systems})
    return {
        "reference": reference,
        "companies": companies,
        "failed_systems": [
            {"company": c, "system": s, "error": r["error"]}
            for (c, s), r in sorted(results.items())
            if r["status"] == "failed"
        ],
        "fuzzy_matches": [
            where(r["id"]) | {"confidence": round(float(r["confidence"]), 2)}
            for r in records
            if r["needs_confirmation"] and not (r["confirmed_by"] or r["rejected_by"])
        ],
        "findings": [
            where(f["record_id"])
            | {
                "finding": f"{f['record_id']}/{f['finding_id']}",
                "kind": f["kind"],
                "field": field_name(f["path"]),
                "source": f["source"],
                "reason": f["reason"],
                "decision": (
                    f"kept by {f['kept_by']}: {f['kept_reason']}"
                    if f["kept_by"]
                    else f"added by {f['decided_by']}"
                    if f["source"] == MANUAL
                    else "redact"
                ),
            }
            for f in findings
        ],
        "excluded": [
            where(r["id"])
            | {"reason_code": r["exclusion_reason"], "note": r["exclusion_note"], "by": r["excluded_by"]}
            for r in records
            if r["excluded_by"] is not None
        ],
    }

"""How long Astrid's access report takes to build, and how many pages its PDF has.

Astrid Lindqvist is the demo person with the most records (three companies, 263 records
including 167 location pings). Before the report was laid out as tables her PDF ran to
92 pages here (91 in the issue's run of the local stack); the target is a third of that,
with the same records, and a first page that is the summary.

    python -m bench.report_benchmark [--language en|sv] [--out report.pdf]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

from bench.demo_records import person_records
from devstack.demo_group import demo_person
from dsar.group import GroupRegistry, load_group
from dsar.labels import load_labels
from dsar.package.assemble import FoundRecord
from dsar.package.build import ReportFacts, build_report_view
from dsar.package.report_pdf import PdfLayout, render_report_pdf_laid_out
from dsar.package.views import ReportView, RequestView

BEFORE_PAGES = 92
ASTRID = "astrid.lindqvist@example.se"


@cache
def astrid_records() -> tuple[FoundRecord, ...]:
    """Made once (the demo dataset takes a few seconds): the benchmark times the report."""
    return tuple(person_records(load_group(), demo_person(ASTRID)))


def astrid_view(registry: GroupRegistry, language: str) -> ReportView:
    person = demo_person(ASTRID)
    records = astrid_records()
    status_of = {(c.code, s.code): "collected" for c in registry.companies for s in c.systems}
    status_of[("gb01", "signups")] = "not_applicable"
    return build_report_view(
        ReportFacts(
            registry=registry,
            labels=load_labels(),
            language=language,
            request=RequestView("DSAR-2026-000001", date(2026, 11, 23), ["access"], "SE"),
            subject_name=person.full_name,
            subject_email=person.email,
            generated_at=datetime(2026, 11, 24, 9, 30, tzinfo=UTC),
            records=records,
            status_of=status_of,
        )
    )


def measure(language: str = "en") -> tuple[bytes, PdfLayout, int, float]:
    """(pdf, layout, records, seconds to build the view and the PDF)."""
    registry = load_group()
    astrid_records()
    started = time.perf_counter()
    view = astrid_view(registry, language)
    pdf, layout = render_report_pdf_laid_out(view)
    return pdf, layout, view.record_count, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--language", default="en", choices=["en", "sv"])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    pdf, layout, records, seconds = measure(args.language)
    if args.out:
        args.out.write_bytes(pdf)
    print(
        f"Astrid's report ({args.language}): {records} records, {layout.pages} pages "
        f"(before: {BEFORE_PAGES}), summary ends on page {layout.summary_last_page}, "
        f"built in {seconds:.2f} s, {len(pdf)} bytes"
    )


if __name__ == "__main__":
    main()

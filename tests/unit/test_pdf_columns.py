"""The report's tables keep every column readable: a floor under each column's width, and a
table wider than the page shown in parts. A web-log table of 14 columns once left its record
number column 4.5 mm wide and fpdf2 refused the page, failing that person's package on every
retry (found by `make bench-pipeline`)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from dsar.labels import load_labels
from dsar.package.pdf_columns import MIN_COLUMN_MM, column_parts, floored_widths
from dsar.package.report_pdf import _Printable, _ReportPDF, font_codepoints, render_report_pdf
from dsar.package.tables import CellWords, category_tables
from dsar.package.views import CategoryView
from tests.unit.test_package_formats import make_view, pdf_text

# The column shares and a row of the table that failed (a generated person's web log).
WEBLOG_SHARES = [7.5, 11.5, 46.5, 14.5, 21.5, 32.5, 33.5, 15.5, 46.5, 25.5, 9.5, 7.5, 8.5, 11.5]
WEBLOG_ROW = {
    "record_number": "285",
    "os": "Windows 11",
    "page": "https://www.example.com/nl-nl/",
    "browser": "Edge",
    "plugins": "PDF Viewer, Widevine",
    "referrer": "https://www.google.com/",
    "cookie_id": "4acb9b7c63f4ae769ddb06cc0bbdc7",
    "event": "page_view",
    "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Edg/126.0",
    "at": "2024-05-08T14:32:00+02:00",
    "response_ms": 418,
    "visit_s": 515,
    "browser_version": "126.0",
    "screen": "1920x1080",
}


def test_every_column_gets_the_floor_and_the_page_is_filled() -> None:
    widths = floored_widths(WEBLOG_SHARES, 174.0)
    assert min(widths) >= MIN_COLUMN_MM
    assert sum(widths) == pytest.approx(174.0)
    # The longest texts keep the most room.
    assert widths[2] == widths[8] == max(widths) > MIN_COLUMN_MM


def test_widths_in_proportion_where_no_column_is_under_the_floor() -> None:
    assert floored_widths([1.0, 3.0], 100.0) == pytest.approx([25.0, 75.0])


def test_more_columns_than_fit_are_refused_by_the_arithmetic() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        floored_widths([1.0] * 20, 174.0)


def test_a_table_wider_than_the_page_is_shown_in_parts_each_with_the_first_column() -> None:
    assert column_parts(14, 174.0) == [list(range(14))]
    parts = column_parts(30, 174.0)
    assert len(parts) > 1
    assert all(part[0] == 0 and len(part) * MIN_COLUMN_MM <= 174.0 for part in parts)
    assert sorted(i for part in parts for i in part[1:]) == list(range(1, 30))


def _with_table(records: list[dict[str, object]]) -> bytes:
    view = make_view("en")
    system = view.companies[0].systems[0]
    category = CategoryView("web", "Website visits", records)
    category.tables = category_tables(
        records, load_labels(), "en", ZoneInfo("Europe/Stockholm"), CellWords("yes", "no", "empty")
    )
    system.categories = [*system.categories, category]
    return render_report_pdf(view)


def test_the_web_log_table_that_failed_is_laid_out() -> None:
    text = pdf_text(_with_table([{"table": "weblog", "key": "285", "data": WEBLOG_ROW}]))
    assert "1920x1080" in text and "page_view" in text


def test_a_table_of_thirty_columns_is_laid_out_in_parts_with_every_value() -> None:
    wide = {f"measure_{n:02d}": f"value-{n:02d}-with-some-length" for n in range(30)}
    text = pdf_text(_with_table([{"table": "metrics", "key": "1", "data": wide}]))
    assert all(f"value-{n:02d}" in text for n in (0, 14, 29))


WEBLOG_HEADER = [
    "Record number", "Operating system", "Page", "Browser", "Plug-ins", "Came from", "Cookie ID", "Event",
    "Browser (technical details)", "When", "Response time", "Length of visit", "Browser version",
    "Screen resolution",
]  # fmt: skip


def test_the_grid_that_failed_is_laid_out() -> None:
    """The exact table of the failure: its shares, its headings, its row."""
    pdf = _ReportPDF("footer", _Printable(font_codepoints()))
    pdf.add_page()
    row = [str(v) for v in WEBLOG_ROW.values()]
    pdf.grid([row], widths=WEBLOG_SHARES, size=7.5, header=WEBLOG_HEADER)
    text = pdf_text(bytes(pdf.output())).replace(" ", "")  # narrow columns break words
    assert "1920x1080" in text and "Recordnumber" in text and "Edg/126.0" in text

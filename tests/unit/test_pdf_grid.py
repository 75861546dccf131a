"""The report's tables and paragraphs are the PDF fpdf2's `table()` and `multi_cell()` made.

`pdf_grid` and `pdf_lines` replaced them for speed (a person with a few hundred records took
about 1.5 s, mostly in fpdf2's line breaking); what the person reads must not change. So
the reference here is fpdf2 itself, called as the report called it before, and the
comparison is the whole document to the byte: the same text in the same places, the same
line and page breaks, the same rules and fills. For Astrid's report (the demo's largest)
in English and Swedish, and for tables made to hit the edge cases: a heading repeated on
a new page, a heading never left alone at the bottom of a page, captions, empty cells,
cells of different heights in one row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from fpdf import FPDF
from fpdf.enums import TableBordersLayout, XPos, YPos

from bench.report_benchmark import astrid_view
from dsar.group import load_group
from dsar.package import report_pdf
from dsar.package.pdf_grid import FirstRow, draw_grid
from dsar.package.report_pdf import (
    CAPTION_STYLE,
    FONT_FAMILY,
    HEADING_STYLE,
    INK,
    font_file,
    render_report_pdf_laid_out,
)


def table_grid(
    pdf: FPDF,
    rows: Sequence[Sequence[str]],
    col_widths: Sequence[float],
    *,
    line_height: float,
    first: FirstRow | None = None,
) -> None:
    """The report's tables as they were drawn before `pdf_grid`: with `FPDF.table()`."""
    heading = first is not None and first.heading
    with pdf.table(
        col_widths=tuple(col_widths),
        first_row_as_headings=heading,
        headings_style=first.style if first is not None and heading else HEADING_STYLE,
        line_height=line_height,
        text_align="LEFT",
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        padding=(0.6, 1.0),
        width=pdf.epw,
    ) as table:
        if first is not None and not heading:
            ink = pdf.text_color
            assert first.style.color is not None
            pdf.set_text_color(first.style.color)
            table.row(first.cells)
            pdf.set_text_color(ink)
        elif first is not None:
            table.row(first.cells)
        for row in rows:
            table.row(list(row))


def multi_cell_block(pdf: FPDF, h: float, text: str) -> None:
    """The report's paragraphs and headings as they were drawn before `pdf_lines`."""
    pdf.multi_cell(0, h, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


@pytest.mark.parametrize("language", ["en", "sv"])
def test_astrids_report_is_the_pdf_fpdf2_made(language: str, monkeypatch: pytest.MonkeyPatch) -> None:
    view = astrid_view(load_group(), language)
    ours, layout = render_report_pdf_laid_out(view)
    monkeypatch.setattr(report_pdf, "draw_grid", table_grid)
    monkeypatch.setattr(report_pdf, "text_block", multi_cell_block)
    theirs, their_layout = render_report_pdf_laid_out(view)
    assert layout == their_layout
    assert layout.summary_last_page == 1 and layout.pages > 10
    assert ours == theirs


def _document() -> FPDF:
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_creation_date(datetime(2026, 1, 1, tzinfo=UTC))
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_font(FONT_FAMILY, "", font_file())
    pdf.add_page()
    pdf.set_text_color(*INK)
    return pdf


def _rows(count: int, columns: int) -> list[list[str]]:
    words = "the quick brown fox jumps over a lazy dog near the river bank".split()
    rows = []
    for n in range(count):
        row = [str(n + 1)]
        for c in range(1, columns):
            length = (n * 7 + c * 3) % 17
            row.append(
                "" if (n + c) % 9 == 0 else " ".join(words[(n + i) % len(words)] for i in range(length))
            )
        rows.append(row)
    return rows


def _tables(grid: object) -> bytes:
    assert callable(grid)
    pdf = _document()
    pdf.set_font(FONT_FAMILY, size=7.5)
    columns = ["No.", "A column heading", "Another, longer column heading", "Short"]
    heading = FirstRow(columns, HEADING_STYLE, heading=True)
    grid(pdf, _rows(150, 4), (5, 30, 50, 15), line_height=7.5 * 0.45, first=heading)
    pdf.ln(2)
    pdf.set_font(FONT_FAMILY, size=8)
    caption = FirstRow(["In every record", ""], CAPTION_STYLE, heading=False)
    grid(
        pdf,
        [["Field", "value"], ["Longer field", "a longer value " * 12]],
        (30, 70),
        line_height=3.6,
        first=caption,
    )
    pdf.ln(2)
    grid(pdf, [["Question?", "Answer one\nAnswer two"], ["", ""]], (30, 70), line_height=4.05)
    # A heading that would be left alone at the bottom of a page moves to the next one.
    pdf.set_y(pdf.page_break_trigger - 6)
    grid(pdf, _rows(3, 4), (5, 30, 50, 15), line_height=3.375, first=heading)
    pdf.set_line_width(0.5)
    grid(
        pdf,
        _rows(40, 6),
        (5, 10, 20, 20, 30, 15),
        line_height=3.375,
        first=FirstRow(list("ABCDEF"), HEADING_STYLE, True),
    )
    assert pdf.page_no() > 3
    return bytes(pdf.output())


def test_tables_are_the_pdf_fpdf2s_table_made() -> None:
    assert _tables(draw_grid) == _tables(table_grid)


def test_a_row_too_high_for_a_page_is_refused_as_fpdf2_refuses_it() -> None:
    for grid in (draw_grid, table_grid):
        pdf = _document()
        pdf.set_font(FONT_FAMILY, size=7.5)
        with pytest.raises(ValueError, match="row with index 0 is too high"):
            grid(pdf, [["word " * 3000]], (1,), line_height=3.375)

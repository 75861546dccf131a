"""The report's own line breaking breaks lines where fpdf2's `multi_cell` does.

`pdf_lines.wrap` replaced fpdf2's line breaker for speed (fpdf2 re-measures a line for every
character it adds); the PDF must not change for it. These tests hold it to fpdf2 itself, on
made-up edge cases and on every table cell of the demo's largest report, so an fpdf2 upgrade
that changes how it breaks lines fails here instead of quietly moving text in people's PDFs.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fpdf import FPDF
from fpdf.enums import MethodReturnValue, TextMode, XPos, YPos
from fpdf.errors import FPDFException

from bench.report_benchmark import astrid_view
from dsar.group import load_group
from dsar.package.pdf_lines import text_block, wrap
from dsar.package.report_pdf import FONT_FAMILY, _Printable, font_codepoints, font_file

PADDING = (0.6, 1.0)  # the report's table cells: 1 mm each side
EDGE_CASES = [
    "",
    "a",
    "hello world",
    "two  spaces  between  words  and  at  the  end  ",
    " leading space",
    "line\nbreak",
    "trailing newline\n",
    "\n",
    "\n\nblank lines around\n\n",
    "no\u00a0break\u00a0space\u00a0between\u00a0these\u00a0words\u00a0at\u00a0all " * 3,
    "zero\u200bwidth\u200bspaces\u200bbreak\u200bhere\u200btoo " * 3,
    "\u200b",
    "x" * 300,
    "https://www.example.com/nl-nl/a/very/long/path/without/spaces?query=1&other=two",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Edg/126.0",
    "Åsa Ödegård-Ärlebäck, Ярослава Ковальчук, Ελληνικά, Tiếng Việt \ufffd",
    "Short\nthen a much longer line of text that has to wrap over several lines of the cell\nend",
    " ".join(f"w{n:04d}" for n in range(400)),
    # Soft hyphens: a break where a word is too long, shown as "-" only there.
    "Donau\u00addampf\u00adschiff\u00adfahrts\u00adgesellschaft and some\u00adthing more " * 3,
    "\u00adleading soft hyphen, a space then one \u00adhere, and\u00ad\u00ad two",
    "form\ffeed, carriage\rreturn",
]
WIDTHS = [9.0, 12.5, 20.0, 33.3, 61.0, 174.0]


def document(size: float = 7.5) -> FPDF:
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_creation_date(datetime(2026, 1, 1, tzinfo=UTC))
    pdf.add_font(FONT_FAMILY, "", font_file())
    pdf.set_font(FONT_FAMILY, size=size)
    pdf.add_page()
    return pdf


def fpdf_lines(pdf: FPDF, text: str, width: float, padded: bool) -> list[str]:
    lines: list[str] = pdf.multi_cell(
        width,
        text=text,
        padding=PADDING if padded else 0,
        dry_run=True,
        output=MethodReturnValue.LINES,
    )
    return lines


def our_lines(pdf: FPDF, text: str, width: float, padded: bool) -> list[str]:
    room = width - 1.0 - 1.0 if padded else width - pdf.c_margin - pdf.c_margin
    return wrap(pdf, text, room).lines or [""]


def both(pdf: FPDF, text: str, width: float, padded: bool = True) -> tuple[list[str] | str, list[str] | str]:
    """fpdf2's lines and ours, or the error each raised (a column too narrow for a character)."""
    results: list[list[str] | str] = []
    for lines in (fpdf_lines, our_lines):
        try:
            results.append(lines(pdf, text, width, padded))
        except FPDFException as error:
            results.append(str(error))
    return results[0], results[1]


@pytest.mark.parametrize("size", [7.5, 9.5, 18])
@pytest.mark.parametrize("padded", [True, False], ids=["table-cell", "paragraph"])
def test_edge_cases_break_as_fpdf_breaks_them(size: float, padded: bool) -> None:
    pdf = document(size)
    for text in EDGE_CASES:
        for width in WIDTHS:
            expected, ours = both(pdf, text, width, padded)
            assert ours == expected, (text, width)


def test_a_line_exactly_as_wide_as_the_room_is_not_broken() -> None:
    """fpdf2 compares widths with a tolerance; the boundary must fall on the same side."""
    pdf = document()
    text = "exactly this wide and then some more words"
    for end in range(1, len(text) + 1):
        expected, ours = both(pdf, text, pdf.get_string_width(text[:end]) + 2.0)
        assert ours == expected, end


def test_a_column_too_narrow_for_a_character_fails_as_fpdf_fails() -> None:
    expected, ours = both(document(), "W", 2.5)
    assert ours == expected == "Not enough horizontal space to render a single character"


def test_every_cell_of_the_largest_report_breaks_as_fpdf_breaks_it() -> None:
    view = astrid_view(load_group(), "sv")
    printable = _Printable(font_codepoints())
    texts = {
        printable(cell)
        for _, _, category in view.places()
        for table in category.tables
        for cell in [
            *table.columns,
            *(c for row in table.rows for c in row),
            *(c for p in table.common for c in p),
        ]
    }
    assert len(texts) > 300
    pdf = document()
    for text in sorted(texts):
        for width in (14.0, 41.0):
            expected, ours = both(pdf, text, width)
            assert ours == expected, (text, width)


def test_a_text_block_draws_what_multi_cell_draws() -> None:
    """The whole document, to the byte: positions, page breaks, the line after a final newline."""
    texts = [*EDGE_CASES[:12], " ".join(EDGE_CASES) * 4, "last\n"]

    def draw(block: bool) -> bytes:
        pdf = document(9.5)
        for number, text in enumerate(texts):
            pdf.text_mode = TextMode.FILL_STROKE if number % 3 == 0 else TextMode.FILL
            if block:
                text_block(pdf, 4.75, text)
            else:
                pdf.multi_cell(0, 4.75, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(1.5)
        assert pdf.page_no() > 2
        return bytes(pdf.output())

    assert draw(block=True) == draw(block=False)

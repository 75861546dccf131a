"""The report's tables, drawn with fpdf2's primitives rather than `FPDF.table()`.

Why: `table()` lays every cell out twice, once to size its row (`_compute_rows_info`) and
once to draw it, each time breaking the text with fpdf2's line breaker, which re-measures
the line for every character. For a person with a few hundred records that was most of
the time a package took to build. Here each cell is broken once (`pdf_lines.wrap`, with
fpdf2's own breaks) and drawn line by line with `cell()`.

The tables look as `table()` drew them with the options the report used, computed with
the same arithmetic so the PDF is the same to the byte (tests/unit/test_pdf_grid.py draws
tables both ways and compares): horizontal rules between rows in the current line width
and colour, padding of 0.6 mm above and below and 1 mm at the sides, text left-aligned and
centred vertically in its row, an optional first row that is either a heading (grey fill,
drawn again at the top of every page the table continues on, and never left alone at the
bottom of a page) or a caption. A row is never split over two pages; `fit` splits a cell
too long for one page over rows of its own beforehand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fpdf import FPDF, FontFace
from fpdf.enums import TableBordersLayout, XPos, YPos
from fpdf.util import Padding

from dsar.package.pdf_lines import wrap

PADDING = Padding.new((0.6, 1.0))
_BORDERS = TableBordersLayout.HORIZONTAL_LINES


@dataclass(frozen=True)
class FirstRow:
    """A row above the records: column names (`heading`) or a caption. `style` is what it
    changes of the table's font: colour, and a fill for a heading."""

    cells: list[str]
    style: FontFace
    heading: bool


@dataclass(frozen=True)
class _Row:
    """A row laid out: each cell's lines and own height (0 for an empty cell), and the
    row's height, that of its tallest cell."""

    cells: list[str]
    style: FontFace
    lines: list[list[str]]
    heights: list[float]
    height: float


def draw_grid(
    pdf: FPDF,
    rows: Sequence[Sequence[str]],
    col_widths: Sequence[float],
    *,
    line_height: float,
    first: FirstRow | None = None,
) -> None:
    """A table across the page's text width in the current font, columns in proportion
    to `col_widths`, from the current position down. Text must be printable in the font
    (`report_pdf._Printable`)."""
    body_style = pdf.font_face()
    shares = sum(col_widths)
    widths = [w / shares * pdf.epw for w in col_widths]  # in `Table._get_col_width`'s order
    lefts = [pdf.l_margin]
    for width in widths:
        lefts.append(lefts[-1] + width)
    table = [_lay_out(pdf, list(cells), body_style, widths, line_height) for cells in rows]
    if first is not None:
        first_style = FontFace.combine(body_style, first.style)
        assert first_style is not None
        table.insert(0, _lay_out(pdf, first.cells, first_style, widths, line_height))
    headings = 1 if first is not None and first.heading else 0
    if len(table) > headings > 0:
        _break_page_if_needed(pdf, table[0].height + table[1].height)  # no heading alone
    for index, row in enumerate(table):
        if _break_page_if_needed(pdf, row.height):
            if pdf.y + row.height > pdf.page_break_trigger:
                raise ValueError(f"The row with index {index} is too high for a page")
            if headings and index >= headings:
                _draw_row(pdf, table, 0, headings, lefts, widths, line_height)
        _draw_row(pdf, table, index, headings, lefts, widths, line_height)
    pdf.x = pdf.l_margin


def _lay_out(pdf: FPDF, cells: list[str], style: FontFace, widths: list[float], line_height: float) -> _Row:
    lines: list[list[str]] = []
    heights: list[float] = []
    for text, width in zip(cells, widths, strict=True):
        if not text:
            lines.append([])
            heights.append(0.0)
            continue
        wrapped = wrap(pdf, text, width - PADDING.right - PADDING.left).lines
        lines.append(wrapped)
        text_height = 0.0
        for _ in range(max(len(wrapped), 1)):  # summed line by line, as multi_cell does
            text_height += line_height
        heights.append(text_height + PADDING.top + PADDING.bottom)
    return _Row(cells, style, lines, heights, max(heights, default=0.0) or line_height)


def _break_page_if_needed(pdf: FPDF, height: float) -> bool:
    if not pdf.will_page_break(height):
        return False
    x = pdf.x
    pdf.add_page(same=True)
    pdf.x = x
    return True


def _draw_row(
    pdf: FPDF,
    table: list[_Row],
    index: int,
    headings: int,
    lefts: list[float],
    widths: list[float],
    line_height: float,
) -> None:
    row = table[index]
    y = pdf.y
    columns = len(widths)
    clearance = pdf.c_margin
    # The padding replaces cell()'s clearance margin, as it does multi_cell's in a table.
    pdf.c_margin = 0
    try:
        for column, text in enumerate(row.cells):
            pdf.set_x(lefts[column])
            rules = _BORDERS.cell_style_getter(
                row_idx=index,
                col_idx=column,
                col_pos=column,
                num_heading_rows=headings,
                num_rows=len(table),
                num_col_idx=columns,
                num_col_pos=columns,
            )
            rules.draw_cell_border(
                pdf, pdf.x, y, pdf.x + widths[column], y + row.height, fill_color=row.style.fill_color
            )
            if text:
                pdf.y += (row.height - row.heights[column]) / 2
                _draw_text(pdf, row.lines[column] or [""], row.style, widths[column], line_height)
            pdf.set_y(y)
    finally:
        pdf.c_margin = clearance
    pdf.ln(row.height)


def _draw_text(pdf: FPDF, lines: list[str], style: FontFace, width: float, line_height: float) -> None:
    with pdf.use_font_face(style):
        pdf.x += PADDING.left
        pdf.y += PADDING.top
        inner = width - PADDING.right - PADDING.left
        for number, line in enumerate(lines, start=1):
            last = number == len(lines)
            pdf.cell(
                inner,
                line_height,
                line,
                new_x=XPos.RIGHT if last else XPos.LEFT,
                new_y=YPos.TOP if last else YPos.NEXT,
            )


# A row is never split over two pages, so a row with a cell longer than this continues in
# rows of its own below it (the other columns left empty); nothing is cut.
LONG_CELL = 1200


def fit(row: Sequence[str]) -> list[list[str]]:
    """`row` as it is, or, where a cell is longer than LONG_CELL, as several rows."""
    if all(len(cell) <= LONG_CELL for cell in row):
        return [list(row)]
    pieces = [_pieces(cell) for cell in row]
    return [[p[i] if i < len(p) else "" for p in pieces] for i in range(max(len(p) for p in pieces))]


def _pieces(text: str) -> list[str]:
    """`text` in pieces of at most LONG_CELL characters, broken at a space where one is."""
    out: list[str] = []
    while len(text) > LONG_CELL:
        cut = text.rfind(" ", 0, LONG_CELL)
        cut = cut if cut > 0 else LONG_CELL
        out.append(text[:cut])
        text = text[cut:].lstrip(" ")
    return [*out, text]

"""Line breaking for the report's PDF, done once per text and in linear time.

Why this exists: fpdf2 (2.8) breaks text into lines in `MultiLineBreak`, which measures
the whole line again for every character it adds (`CurrentLine.width` re-sums every glyph:
quadratic per line), and its `table()` lays every cell out twice, once to size the row and
once to draw it. For a person with a few hundred records that was most of the 1.5 s a
report took. Here the text is broken once, with the font's own glyph widths summed as
integers, and fpdf2 only draws single lines with `cell()`.

The breaks must be fpdf2's own, so that the PDF shows exactly what it showed when
`multi_cell()` broke the lines: `wrap` follows `MultiLineBreak.get_line` for the report's
kind of text (one TrueType font and style, no markdown, no character spacing or
stretching, left-aligned, word wrapping), and computes every width with the same
arithmetic (`units * size_pt * 0.001 / k`, compared with the same tolerance), so a line
that ends exactly at the edge breaks where fpdf2 breaks it. tests/unit/test_pdf_lines.py
compares `wrap` with fpdf2's `multi_cell` on every text of the demo's largest report, so an
fpdf2 upgrade that changes how lines break fails there rather than in a person's PDF.

Soft hyphens (a break where a word is too long, shown as "-" only there) and form feeds
(a line break) are handled as fpdf2 handles them.
"""

from __future__ import annotations

from dataclasses import dataclass

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.errors import FPDFException
from fpdf.fonts import TTFFont
from fpdf.line_break import BREAKING_SPACE_SYMBOLS_STR, NBSP, SOFT_HYPHEN

# fpdf2's FloatTolerance: a character fits when the line is at most this much too wide.
_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Wrapped:
    """The lines of a text. `trailing_newline`: the text ended with "\\n", after which
    `multi_cell` moves down one more line (and the caller must too)."""

    lines: list[str]
    trailing_newline: bool


def wrap(pdf: FPDF, text: str, max_width: float) -> Wrapped:
    """`text` broken into lines no wider than `max_width` (document units, the room left
    after the cell's padding or clearance margins) in `pdf`'s current font and size,
    where fpdf2's `multi_cell` would break them. Raises fpdf2's own error where it would:
    a column too narrow for a single character."""
    font = pdf.current_font
    if not isinstance(font, TTFFont) or pdf.char_spacing or pdf.font_stretching != 100:
        raise ValueError("wrap() handles one TrueType font without spacing or stretching")
    breaker = _LineBreaker(text.replace("\r", ""), font.cw, pdf.font_size_pt, pdf.k, max_width)
    lines: list[str] = []
    trailing_newline = False
    while (line := breaker.next_line()) is not None:
        lines.append(line)
        trailing_newline = breaker.ended_with_newline
    return Wrapped(lines, trailing_newline)


class _LineBreaker:
    """`MultiLineBreak.get_line` for one fragment of text, measured as it goes.

    Widths are computed as fpdf2 computes them, `units * size_pt * 0.001 / k` with the
    units an integer sum, so every comparison comes out the same; only the re-summing of
    the whole line for each character is left out."""

    def __init__(self, text: str, cw: dict[int, float], size_pt: float, k: float, max_width: float) -> None:
        self._text = text
        self._cw = cw
        self._size_pt = size_pt
        self._k = k
        self._max_width = max_width
        self._next = 0
        self._forced_at = -1  # where the last line was cut inside a word, with no break hint
        self.ended_with_newline = False

    def _width(self, units: float) -> float:
        """In fpdf2's order of operations (`TTFFont.get_text_width`, then `/ k`)."""
        return units * self._size_pt * 0.001 / self._k

    def next_line(self) -> str | None:
        text, count = self._text, len(self._text)
        i = self._next
        last_forced, self._forced_at = self._forced_at, -1
        chars: list[str] = []
        units: float = 0
        width: float = 0  # as `CurrentLine.width`: 0 for an empty line
        space = hyphen = (-1, 0, 0.0)  # the last break hint: index in text, in chars, line width
        while i < count:
            char = text[i]
            if char in "\n\f":
                self._next, self.ended_with_newline = i + 1, char == "\n"
                return "".join(chars)
            char_units = self._cw[ord("-" if char == SOFT_HYPHEN else char)]
            if width + self._width(char_units) - self._max_width > _TOLERANCE:
                self.ended_with_newline = False
                if char in BREAKING_SPACE_SYMBOLS_STR:
                    self._next = i + 1  # the space at the break is dropped
                elif hyphen[0] >= 0 and (space[0] < 0 or hyphen[2] > space[2]):
                    self._next = hyphen[0] + 1  # break at the later hint: a soft hyphen, shown
                    return "".join(chars[: hyphen[1]]) + "-"
                elif space[0] >= 0:
                    self._next = space[0] + 1  # or a space, dropped
                    return "".join(chars[: space[1]])
                elif last_forced == i:
                    raise FPDFException("Not enough horizontal space to render a single character")
                else:
                    self._next = self._forced_at = i  # a word wider than the line is cut
                return "".join(chars)
            if char in BREAKING_SPACE_SYMBOLS_STR:
                space = (i, len(chars), width)
            elif char == SOFT_HYPHEN:
                hyphen = (i, len(chars), width)  # invisible unless the line breaks there
                i += 1
                continue
            elif char == NBSP:
                char = " "  # drawn as a space, but never broken at
            chars.append(char)
            units += char_units
            width = self._width(units)
            i += 1
        self._next, self.ended_with_newline = count, False
        return "".join(chars) if width else None  # fpdf2 drops a last line without width


def text_block(pdf: FPDF, h: float, text: str) -> None:
    """What `pdf.multi_cell(0, h, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)`
    draws, from the current position to the right margin, line by line over pages."""
    w = pdf.w - pdf.r_margin - pdf.x
    wrapped = wrap(pdf, text, w - pdf.c_margin - pdf.c_margin)
    lines = wrapped.lines or [""]
    for index, line in enumerate(lines):
        last = index == len(lines) - 1
        # cell() breaks the page first where the line does not fit, as multi_cell does.
        pdf.cell(w, h, line, new_x=XPos.LMARGIN if last else XPos.LEFT, new_y=YPos.NEXT)
    if wrapped.trailing_newline:
        pdf.ln()

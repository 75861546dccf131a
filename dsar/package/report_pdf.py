"""The access report as a PDF, for people who print, archive or cannot open HTML.

Drawn with fpdf2 (pure Python, a wheel) from the same `ReportView` as the HTML report:
the same strings, the same records, the same Art. 15 items, in the same order.

The font is Noto Sans from the `fontpkg-noto-sans` wheel (SIL Open Font License), cut to
its regular instance without the shaping tables (`report_font`), embedded and subset, so
nothing depends on the fonts of the machine that builds or opens the file. It covers Latin
(å, ä, ö and every EU language), Greek, Cyrillic and Vietnamese. Records come from other
systems and may hold any character: one the font cannot draw (Chinese, Arabic, emoji,
control characters) is printed as U+FFFD, and the PDF then says that report.html and
data.json hold the exact text. That replacement is done here, before fpdf2 sees the text,
because fpdf2 would otherwise log the missing characters themselves, and a log line must
never carry personal data.

Records are printed as tables (`dsar.package.tables`: labels, values in the person's
locale, what every record shares printed once above the table), at a small size, so a
person with many records gets pages of tables rather than pages of "field: value" lines.
A cell too long to fit a page is split over rows of its own (`pdf_grid.fit`), never cut.
Tables and paragraphs are broken into lines once, by `pdf_lines` (fpdf2's own breaks,
without its quadratic line measuring), and tables drawn by `pdf_grid`, not `FPDF.table()`.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog
from fpdf import FPDF, FontFace
from fpdf.enums import TextMode

from dsar.package.locale_format import format_date
from dsar.package.pdf_columns import column_parts, floored_widths
from dsar.package.pdf_grid import FirstRow, draw_grid, fit
from dsar.package.pdf_lines import text_block
from dsar.package.report_font import REPORT_FONT

if TYPE_CHECKING:
    from dsar.package.views import ReportView

log = structlog.get_logger(__name__)

FONT_FAMILY = "noto"
REPLACEMENT = "\ufffd"
# Text colours: near-black for text, grey for labels and references.
INK = (26, 26, 26)
MUTED = (85, 85, 85)
RULE = (136, 136, 136)
NOTICE = (178, 107, 0)
# A table's first row: column names on a grey ground, or a caption in the labels' grey.
HEADING_STYLE = FontFace(emphasis="", fill_color=(232, 232, 232), color=INK)
CAPTION_STYLE = FontFace(color=MUTED)


@cache
def font_file() -> Path:
    """Noto Sans at its default instance (regular weight, normal width), as `report_font`
    cut it from the wheel's variable font. There is no bold instance (cutting one per
    document took seconds), so headings and terms are emboldened by also stroking the
    glyphs' outlines."""
    # fontTools logs every subsetting step at INFO; the lines say nothing useful about a
    # report and would drown a worker's own logs.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    return REPORT_FONT


@cache
def font_codepoints() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(font_file(), lazy=True) as font:
        cmap: dict[int, str] = font.getBestCmap()
    return frozenset(cmap)


class _Printable:
    """Maps any text to what the embedded font can draw, counting what it replaced.

    Every text of the report passes through here, some twice, so each character's
    replacement is worked out once, and printable ASCII (all in the font) passes as is."""

    def __init__(self, codepoints: frozenset[int]) -> None:
        self._codepoints = codepoints
        self._ascii_drawable = all(code in codepoints for code in range(0x20, 0x7F))
        self._shown: dict[str, str] = {}
        self.replaced = 0

    def needs_replacement(self, text: str) -> bool:
        if self._plain(text):
            return False
        return any(self._shown_as(ch) == REPLACEMENT != ch for ch in text)

    def __call__(self, text: str) -> str:
        if self._plain(text):
            return text
        out: list[str] = []
        for ch in text:
            shown = self._shown_as(ch)
            if shown == REPLACEMENT and ch != REPLACEMENT:
                self.replaced += 1
            out.append(shown)
        return "".join(out)

    def _plain(self, text: str) -> bool:
        """Only printable ASCII (no control characters), which the font draws."""
        return self._ascii_drawable and text.isascii() and text.isprintable()

    def _shown_as(self, ch: str) -> str:
        shown = self._shown.get(ch)
        if shown is None:
            shown = self._shown[ch] = self._replacement(ch)
        return shown

    def _replacement(self, ch: str) -> str:
        if ch == "\n":
            return ch
        if ch in "\t\r\v\f":
            return " "
        category = unicodedata.category(ch)
        if ord(ch) in self._codepoints and category not in ("Cc", "Cs", "Co", "Cn"):
            return ch
        if category == "Cf":
            # Invisible formatting (zero-width joiners, direction marks): nothing to show.
            return ""
        return REPLACEMENT


class _ReportPDF(FPDF):
    def __init__(self, footer_text: str, printable: _Printable) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self._footer_text = footer_text
        self._printable = printable
        # Page totals are off: fpdf2 would replace the alias wherever it occurs, also
        # inside a record value.
        self.alias_nb_pages("")
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(auto=True, margin=18)
        self.add_font(FONT_FAMILY, "", font_file())
        self.set_font(FONT_FAMILY, size=10)
        self.set_text_color(*INK)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT_FAMILY, size=8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, self._printable(f"{self._footer_text} · {self.page_no()}"), align="C")
        self.set_text_color(*INK)

    # --- blocks ---------------------------------------------------------------------------

    def heading(self, text: str, level: int, *, outline: bool = True) -> None:
        size, before = {1: (18, 0), 2: (14, 7), 3: (12, 5), 4: (10.5, 3)}[level]
        # Keep a heading with at least a few lines of what it introduces.
        if self.get_y() + before + 25 > self.page_break_trigger:
            self.add_page()
        self.ln(before)
        if outline and level in (2, 3):
            self.start_section(self._printable(text)[:120], level=level - 2)
        self.set_font(FONT_FAMILY, size=size)
        with self.strong():
            text_block(self, size * 0.5, self._printable(text))
        if level == 2:
            self.set_draw_color(*INK)
            self.set_line_width(0.5)
            self.line(self.l_margin, self.get_y() + 0.5, self.w - self.r_margin, self.get_y() + 0.5)
            self.ln(2.5)
        else:
            self.ln(1)
        self.set_font(FONT_FAMILY, size=10)

    def paragraph(
        self, text: str, *, color: tuple[int, int, int] = INK, size: float = 10, strong: bool = False
    ) -> None:
        if strong and self.get_y() + 15 > self.page_break_trigger:
            self.add_page()  # a term or caption stays with the first lines it introduces
        self.set_font(FONT_FAMILY, size=size)
        self.set_text_color(*color)
        with self.strong(strong):
            text_block(self, size * 0.5, self._printable(text))
        self.set_text_color(*INK)
        self.ln(1.5)

    @contextmanager
    def strong(self, on: bool = True) -> Iterator[None]:
        """Bold without a bold font: the glyphs are filled and thinly outlined."""
        if not on:
            yield
            return
        self.text_mode = TextMode.FILL_STROKE
        self.set_line_width(0.18)
        self.set_draw_color(*INK)
        try:
            yield
        finally:
            self.text_mode = TextMode.FILL

    def field(self, label: str, value: str) -> None:
        """A "label: value" line, flowing over as many lines and pages as the value needs."""
        self.set_font(FONT_FAMILY, size=10)
        self.set_x(self.l_margin)
        self.set_text_color(*MUTED)
        self.write(5, self._printable(f"{label}: "))
        self.set_text_color(*INK)
        self.write(5, self._printable(value))
        self.ln(5.5)

    def rule(self) -> None:
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        y = self.get_y() + 1
        self.line(self.l_margin, y, self.w - self.r_margin, y)
        self.ln(2.5)

    def grid(
        self,
        rows: Sequence[Sequence[str]],
        *,
        widths: Sequence[float],
        size: float,
        header: Sequence[str] | str | None,
    ) -> None:
        """A table in the report's font; `header` is a row of column names, or one caption
        line spanning the table, or nothing. Every column is at least MIN_COLUMN_MM wide; a
        table with more columns than that allows is shown in parts (pdf_columns)."""
        for part in column_parts(len(widths), self.epw):
            heading = header if header is None or isinstance(header, str) else [header[i] for i in part]
            self._grid_part(
                [[row[i] for i in part] for row in rows], [widths[i] for i in part], size, heading
            )

    def _grid_part(
        self, rows: list[list[str]], shares: list[float], size: float, header: Sequence[str] | str | None
    ) -> None:
        """One part of a table: columns floored to MIN_COLUMN_MM, filling the page's width."""
        widths = floored_widths(shares, self.epw)
        self.set_font(FONT_FAMILY, size=size)
        first = None
        if isinstance(header, str):
            caption = [self._printable(header)] + [""] * (len(widths) - 1)
            first = FirstRow(caption, CAPTION_STYLE, heading=False)
        elif header is not None:
            heading = [self._printable(h) for h in header]
            first = FirstRow(heading, HEADING_STYLE, heading=True)
        body = [[self._printable(cell) for cell in part] for row in rows for part in fit(row)]
        draw_grid(self, body, widths, line_height=size * 0.45, first=first)
        self.ln(2)
        self.set_font(FONT_FAMILY, size=10)

    def indented(self, by: float) -> _Indent:
        return _Indent(self, by)


class _Indent:
    def __init__(self, pdf: FPDF, by: float) -> None:
        self._pdf = pdf
        self._by = by

    def __enter__(self) -> None:
        self._pdf.set_left_margin(self._pdf.l_margin + self._by)
        self._pdf.set_x(self._pdf.l_margin)

    def __exit__(self, *exc: object) -> None:
        self._pdf.set_left_margin(self._pdf.l_margin - self._by)
        self._pdf.set_x(self._pdf.l_margin)


def _texts(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            yield str(key)
            yield from _texts(inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from _texts(inner)


def render_report_pdf(view: ReportView) -> bytes:
    return render_report_pdf_laid_out(view)[0]


def render_report_pdf_laid_out(view: ReportView) -> tuple[bytes, PdfLayout]:
    """The PDF and where its parts fell: the summary must end on page 1."""
    t = view.strings
    request = view.request
    printable = _Printable(font_codepoints())
    generated = view.generated_text or view.generated_at.strftime("%Y-%m-%d %H:%M")
    pdf = _ReportPDF(f"{view.controller.legal_name} · {t['reference']}: {request.reference}", printable)
    pdf.set_title(f"{t['title']} – {request.reference}")
    pdf.set_lang(view.language)
    pdf.set_creator("dsar")
    pdf.set_creation_date(view.generated_at)
    pdf.add_page()

    # --- page 1: who, what, and the answers in plain words
    pdf.heading(t["title"], 1, outline=False)
    pdf.field(t["prepared_for"], view.subject_name)
    pdf.field(t["reference"], request.reference)
    pdf.field(t["received"], view.received_text or str(request.received_on))
    pdf.field(t["generated"], generated)
    if request.rights:
        pdf.field(t["rights_requested"], ", ".join(t.get(f"right_{r}", r) for r in request.rights))
    pdf.ln(1)
    pdf.paragraph(t["intro"], size=9.5)
    person_texts = [view.subject_name, view.subject_email]
    for _, _, category in view.places():
        person_texts.extend(_texts(category.records))
    if any(printable.needs_replacement(text) for text in person_texts):
        pdf.paragraph(t["pdf_unprintable_note"], color=NOTICE, size=9)
    pdf.heading(t["summary_heading"], 2)
    pdf.grid(
        [[item.question, "\n".join(item.answers)] for item in view.summary],
        widths=(30, 70),
        size=9,
        header=None,
    )
    summary_end = pdf.page_no()

    # --- the data, by company, system and category, as tables
    pdf.add_page()
    pdf.heading(t["data_we_hold"], 2)
    pdf.paragraph(f"{t['data_we_hold_intro']} {t['fields_note']}", size=9)
    if view.record_count == 0:
        pdf.paragraph(t["no_data_found"], color=NOTICE)
    for company in view.companies:
        pdf.heading(f"{company.legal_name} ({company.country_name or company.country})", 3)
        for system in company.systems:
            pdf.heading(f"{system.name} – {system.status_text}", 4)
            if system.status_note:
                pdf.paragraph(system.status_note, color=NOTICE, size=9)
            if not system.categories and system.status == "collected":
                pdf.paragraph(t["no_data_in_system"], size=9)
            for category in system.categories:
                for table in category.tables:
                    pdf.paragraph(
                        f"{category.label}: {table.title} – {t['record_count'].lower()}: {table.records}",
                        size=9.5,
                        strong=True,
                    )
                    if table.common:
                        caption = t["in_every_record"] if table.records > 1 else None
                        pdf.grid(
                            [list(pair) for pair in table.common], widths=(30, 70), size=8, header=caption
                        )
                    if table.rows:
                        pdf.grid(
                            table.rows,
                            widths=_widths(table.columns, table.rows),
                            size=7.5,
                            header=table.columns,
                        )

    # --- the redaction log (Art. 15(4)): kinds, places and reasons, never the values
    pdf.heading(t["redactions_heading"], 2)
    pdf.paragraph(t["redactions_intro"], size=9)
    if not view.removals:
        pdf.paragraph(t["redactions_none"], size=9)
    else:
        pdf.grid(
            [[r.place, r.field_label, r.kind_label, r.reason] for r in view.removals],
            widths=(38, 16, 18, 28),
            size=7.5,
            header=[t["redaction_where"], t["redaction_field"], t["redaction_kind"], t["redaction_reason"]],
        )
    if view.exclusions:
        pdf.heading(t["excluded_heading"], 3)
        pdf.paragraph(t["excluded_intro"], size=9)
        pdf.grid(
            [[e.place, str(e.records), e.reason] for e in view.exclusions],
            widths=(45, 15, 40),
            size=8,
            header=[t["redaction_where"], t["record_count"], t["redaction_reason"]],
        )

    # --- Art. 15(1)(a)-(h) and 15(2)
    pdf.heading(t["supplementary_heading"], 2)
    pdf.paragraph(t["supplementary_intro"], size=9.5)
    for item in view.art15:
        pdf.heading(f"{item.reference}: {item.title}", 3)
        for text in item.paragraphs:
            pdf.paragraph(text, size=9.5)
        for entry in item.entries:
            pdf.paragraph(entry.term, size=9.5, strong=True)
            with pdf.indented(5):
                for detail in entry.details:
                    pdf.paragraph(detail, size=9.5)
        if item.key == "15(1)(f)":
            authority = view.authority
            pdf.heading(t["authority_heading"], 4)
            with pdf.indented(4):
                pdf.field(t["authority_name"], authority.name)
                pdf.field(t["authority_address"], authority.address)
                pdf.field(t["authority_website"], authority.website)
                if authority.email:
                    pdf.field(t["authority_email"], authority.email)

    # --- the requests the person made before (Art. 15: the case store holds them too)
    pdf.heading(t["earlier_heading"], 2)
    pdf.paragraph(t["earlier_intro"], size=9.5)
    if view.earlier_requests:
        pdf.grid(
            [[e.reference, e.received_text, e.rights_text, e.outcome_text] for e in view.earlier_requests],
            widths=(22, 22, 30, 26),
            size=8.5,
            header=[t["reference"], t["earlier_received"], t["earlier_rights"], t["earlier_outcome"]],
        )
    else:
        pdf.paragraph(t["earlier_none"], size=9.5)

    # --- who is responsible, contact and footer
    controller = view.controller
    lang = view.language
    pdf.heading(t["controller_heading"], 2)
    pdf.paragraph(controller.scope.in_language(lang), size=9.5)
    pdf.field(t["company"], controller.legal_name)
    registered = f"{t['registered_in'].lower()} {controller.registered_in.in_language(lang)}"
    pdf.field(t["company_number"], f"{controller.company_number} ({registered})")
    for address in controller.addresses:
        pdf.field(
            address.label.in_language(lang),
            f"{', '.join(address.lines)}, {address.country.in_language(lang)}",
        )
    pdf.field(t["privacy_contact"], str(controller.privacy_email))
    pdf.field(t["last_updated"], format_date(controller.last_updated, lang))
    pdf.heading(t["contact_heading"], 2)
    pdf.paragraph(f"{t['contact_text']} {controller.privacy_email}.")
    pdf.ln(4)
    pdf.rule()
    pdf.paragraph(t["footer"], color=MUTED, size=9)
    pdf.paragraph(
        f"{controller.legal_name} · {t['reference']}: {request.reference} · {t['generated']}: {generated}",
        color=MUTED,
        size=9,
    )

    data = bytes(pdf.output())
    if printable.replaced:
        log.info("package.pdf_characters_replaced", reference=request.reference, count=printable.replaced)
    return data, PdfLayout(pages=pdf.page_no(), summary_last_page=summary_end)


@dataclass(frozen=True)
class PdfLayout:
    pages: int
    summary_last_page: int


def _widths(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> tuple[float, ...]:
    """Column shares from what they hold: room for the longest word (so no word breaks
    inside a column that could hold it) and more for long texts, capped, so a yes/no
    column stays narrow and a message column takes what is left."""
    sample = rows[:200]
    weights = []
    for index, name in enumerate(columns):
        cells = [row[index] for row in sample]
        longest = max((len(cell) for cell in cells), default=0)
        word = max((len(w) for text in [name, *cells] for w in text.split()), default=1)
        weights.append(max(min(longest, 45), min(word, 22), 3) + 1.5)
    return tuple(weights)

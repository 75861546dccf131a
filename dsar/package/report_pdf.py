"""The access report as a PDF, for people who print, archive or cannot open HTML.

Drawn with fpdf2 (pure Python, a wheel) from the same `ReportView` as the HTML report:
the same strings, the same records, the same Art. 15 items, in the same order.

The font is Noto Sans from the `fontpkg-noto-sans` wheel (SIL Open Font License),
embedded and subset, so nothing depends on the fonts of the machine that builds or
opens the file. It covers Latin (å, ä, ö and every EU language), Greek, Cyrillic and
Vietnamese. Records come from other systems and may hold any character: one the font
cannot draw (Chinese, Arabic, emoji, control characters) is printed as U+FFFD, and the
PDF then says that report.html and data.json hold the exact text. That replacement is
done here, before fpdf2 sees the text, because fpdf2 would otherwise log the missing
characters themselves, and a log line must never carry personal data.

Records are printed as "field: value" lines rather than as tables: the systems decide
how many fields a record has and how long a value is, and flowing text breaks across
pages wherever it must, where a table row taller than a page could not be drawn.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import fontpkg
import structlog
from fpdf import FPDF
from fpdf.enums import TextMode, XPos, YPos

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


@cache
def font_file() -> Path:
    """The variable Noto Sans at its default instance (regular weight, normal width).
    fpdf2 could cut a bold instance from it, but that takes seconds per document, so
    headings and terms are emboldened by also stroking the glyphs' outlines."""
    # fontTools logs every subsetting step at INFO; the lines say nothing useful about a
    # report and would drown a worker's own logs.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    path: Path = fontpkg.path("Noto Sans")
    return path


@cache
def font_codepoints() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(font_file(), lazy=True) as font:
        cmap: dict[int, str] = font.getBestCmap()
    return frozenset(cmap)


class _Printable:
    """Maps any text to what the embedded font can draw, counting what it replaced."""

    def __init__(self, codepoints: frozenset[int]) -> None:
        self._codepoints = codepoints
        self.replaced = 0

    def needs_replacement(self, text: str) -> bool:
        return any(self._replacement(ch) == REPLACEMENT != ch for ch in text)

    def __call__(self, text: str) -> str:
        out: list[str] = []
        for ch in text:
            shown = self._replacement(ch)
            if shown == REPLACEMENT and ch != REPLACEMENT:
                self.replaced += 1
            out.append(shown)
        return "".join(out)

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
            self.multi_cell(
                0, size * 0.5, self._printable(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
            )
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
            self.multi_cell(
                0, size * 0.5, self._printable(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
            )
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


def value_text(value: Any, t: Mapping[str, str], *, nested: bool = False) -> str:
    """A record value as words, the way the HTML report shows it; a nested object or list
    is bracketed, so where it ends stays clear on one line."""
    if value is None or value == "":
        return t["empty_value"]
    if value is True:
        return t["yes"]
    if value is False:
        return t["no"]
    if isinstance(value, Mapping):
        text = "; ".join(f"{key}: {value_text(inner, t, nested=True)}" for key, inner in value.items())
    elif isinstance(value, list | tuple):
        text = ", ".join(value_text(inner, t, nested=True) for inner in value)
    else:
        return str(value)
    return f"({text})" if nested else text


def record_fields(record: Mapping[str, Any], t: Mapping[str, str]) -> Iterator[tuple[str, str]]:
    """Where the record came from, then each of its data fields on a line of its own."""
    for key, value in record.items():
        if isinstance(value, Mapping) and key == "data":
            for inner_key, inner in value.items():
                yield str(inner_key), value_text(inner, t)
        else:
            yield str(key), value_text(value, t)


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
    t = view.strings
    request = view.request
    printable = _Printable(font_codepoints())
    generated = view.generated_at.strftime("%Y-%m-%d %H:%M %Z").strip()
    pdf = _ReportPDF(f"{view.controller.legal_name} · {t['reference']}: {request.reference}", printable)
    pdf.set_title(f"{t['title']} – {request.reference}")
    pdf.set_lang(view.language)
    pdf.set_creator("dsar")
    pdf.set_creation_date(view.generated_at)
    pdf.add_page()

    # --- header
    pdf.heading(t["title"], 1, outline=False)
    pdf.field(t["prepared_for"], view.subject_name)
    pdf.field(t["reference"], request.reference)
    pdf.field(t["received"], str(request.received_on))
    pdf.field(t["generated"], generated)
    if request.rights:
        pdf.field(t["rights_requested"], ", ".join(t.get(f"right_{r}", r) for r in request.rights))
    pdf.ln(2)
    pdf.paragraph(t["intro"])
    person_texts = [view.subject_name, view.subject_email]
    for _, _, category in view.places():
        person_texts.extend(_texts(category.records))
    if any(printable.needs_replacement(text) for text in person_texts):
        pdf.paragraph(t["pdf_unprintable_note"], color=NOTICE)

    # --- controller
    controller = view.controller
    lang = view.language
    pdf.heading(t["controller_heading"], 2)
    pdf.paragraph(controller.scope.in_language(lang))
    pdf.field(t["company"], controller.legal_name)
    registered = f"{t['registered_in'].lower()} {controller.registered_in.in_language(lang)}"
    pdf.field(t["company_number"], f"{controller.company_number} ({registered})")
    for address in controller.addresses:
        pdf.field(
            address.label.in_language(lang),
            f"{', '.join(address.lines)}, {address.country.in_language(lang)}",
        )
    pdf.field(t["privacy_contact"], str(controller.privacy_email))
    pdf.field(t["last_updated"], str(controller.last_updated))

    # --- the data, by company, system and category
    pdf.heading(t["data_we_hold"], 2)
    pdf.paragraph(t["data_we_hold_intro"])
    if view.record_count == 0:
        pdf.paragraph(t["no_data_found"], color=NOTICE)
    for company in view.companies:
        pdf.heading(company.legal_name, 3)
        pdf.paragraph(f"{t['country']}: {company.country}", color=MUTED)
        for system in company.systems:
            status_key = "status_" + system.status.replace(" ", "_")
            status = t.get(status_key, system.status)
            pdf.heading(f"{t['system']}: {system.name} – {t['status']}: {status}", 4)
            if f"{status_key}_note" in t:
                pdf.paragraph(t[f"{status_key}_note"], color=NOTICE)
            if not system.categories and system.status == "collected":
                pdf.paragraph(t["no_data_in_system"])
            for category in system.categories:
                with pdf.indented(4):
                    pdf.paragraph(
                        f"{t['category']}: {category.label} – "
                        f"{t['record_count'].lower()}: {len(category.records)}",
                        size=10.5,
                        strong=True,
                    )
                    with pdf.indented(4):
                        for index, record in enumerate(category.records):
                            if index:
                                pdf.rule()
                            for label, text in record_fields(record, t):
                                pdf.field(label, text)
                pdf.ln(2)

    # --- the redaction log (Art. 15(4)): kinds, places and reasons, never the values
    pdf.heading(t["redactions_heading"], 2)
    pdf.paragraph(t["redactions_intro"])
    if not view.removals:
        pdf.paragraph(t["redactions_none"])
    for index, removal in enumerate(view.removals):
        if index:
            pdf.rule()
        with pdf.indented(4):
            pdf.field(
                t["redaction_where"], f"{removal.company}/{removal.system}/{removal.table}#{removal.key}"
            )
            pdf.field(t["redaction_field"], removal.field)
            pdf.field(t["redaction_kind"], removal.kind_label)
            pdf.field(t["redaction_reason"], removal.reason)
    if view.exclusions:
        pdf.heading(t["excluded_heading"], 3)
        pdf.paragraph(t["excluded_intro"])
        for exclusion in view.exclusions:
            with pdf.indented(4):
                pdf.field(t["redaction_where"], f"{exclusion.company}/{exclusion.system}")
                pdf.field(t["record_count"], str(exclusion.records))
                pdf.field(t["redaction_reason"], exclusion.reason)

    # --- Art. 15(1)(a)-(h) and 15(2)
    pdf.heading(t["supplementary_heading"], 2)
    pdf.paragraph(t["supplementary_intro"])
    for item in view.art15:
        pdf.heading(f"{item.reference}: {item.title}", 3)
        for text in item.paragraphs:
            pdf.paragraph(text)
        for entry in item.entries:
            pdf.paragraph(entry.term, size=10.5, strong=True)
            with pdf.indented(5):
                for detail in entry.details:
                    pdf.paragraph(detail)
        if item.key == "15(1)(f)":
            authority = view.authority
            pdf.heading(t["authority_heading"], 4)
            with pdf.indented(4):
                pdf.field(t["authority_name"], authority.name)
                pdf.field(t["authority_address"], authority.address)
                pdf.field(t["authority_website"], authority.website)
                if authority.email:
                    pdf.field(t["authority_email"], authority.email)

    # --- contact and footer
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
    return data

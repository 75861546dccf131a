"""The response package's formats, checked the way the person (and a regulator) meets them.

The PDF is rasterised and its text extracted with pdfium, data.json is validated
against the published schema, and every CSV is read back. The data holds Swedish
letters, a Cyrillic name, characters the PDF font cannot draw and markup, since
records come from other systems and may hold anything.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium
import pytest
from jsonschema import Draft202012Validator
from markupsafe import escape

from activities import packaging
from dsar.domain import Right
from dsar.group import Category, load_group
from dsar.labels import load_labels
from dsar.package.assemble import status_words, summary_items
from dsar.package.formats import (
    category_csvs,
    load_json_schema,
    package_document,
    package_members,
    render_cover_letter,
    render_data_json,
    render_report_html,
)
from dsar.package.locale_format import country_name
from dsar.package.report_pdf import REPLACEMENT, render_report_pdf
from dsar.package.tables import CellWords, category_tables
from dsar.package.views import (
    CSV_DATA_PREFIX,
    CSV_PLACE_COLUMNS,
    JSON_SCHEMA_FILE,
    CategoryView,
    CompanyView,
    ReportView,
    RequestView,
    SystemView,
)
from dsar.privacy_notice import art15_items, load_privacy_notice, load_report_strings
from dsar.rendering import authority_view

LANGUAGES = ["sv", "en"]
ART15_KEYS = [*(f"15(1)({letter})" for letter in "abcdefgh"), "15(2)"]
SUBJECT = "Åsa Ödegård-Ärlebäck"
CYRILLIC = "Ярослава Ковальчук"
CJK = "王芳"
HOSTILE = "<script>alert(1)</script>"


def make_view(language: str, *, with_data: bool = True, subject: str = SUBJECT) -> ReportView:
    notice = load_privacy_notice()
    strings = load_report_strings(language)

    def label(category: Category) -> str:
        return notice.category_label(category, language)

    contact = CategoryView(
        Category.CONTACT.value,
        label(Category.CONTACT),
        [
            {
                "table": "customers",
                "key": "42",
                "data": {"name": subject, "email": "asa@example.se", "phone": None, "city": "Göteborg"},
            },
            {
                "table": "contacts",
                "key": "7",
                "data": {
                    "name": CYRILLIC,
                    "alias": f"{CJK} 😀",
                    "email": "jaroslava@example.ua",
                    "active": True,
                    "company": "Ö-bolaget",  # collides with a CSV place column
                    "note": f"{HOSTILE} {{nb}}",
                },
            },
        ],
    )
    support = CategoryView(
        Category.SUPPORT.value,
        label(Category.SUPPORT),
        [
            {
                "table": "tickets",
                "key": "T-1",
                "data": {
                    "subject": "Fråga om faktura",
                    "tags": ["faktura", "brådskande"],
                    "meta": {"priority": 2, "sla": {"hours": 24}},
                    "amount": 1299.5,
                    "body": "x" * 400,  # one unbroken word wider than the page
                },
            }
        ],
    )
    billing = CategoryView(
        Category.BILLING.value,
        label(Category.BILLING),
        [{"table": "invoices", "key": "INV-9", "data": {"total": 100, "paid": False, "due": "2026-12-01"}}],
    )
    companies = [
        CompanyView(
            "se01",
            "ECI Sverige AB",
            "SE",
            [
                SystemView("crm", "Kundregister", "collected", [contact, support] if with_data else []),
                SystemView("erp", "Ekonomi", "failed"),
            ],
        ),
        CompanyView(
            "gb01",
            "ECI Software Solutions Ltd",
            "GB",
            [
                SystemView("billing", "Billing", "collected", [billing] if with_data else []),
                SystemView("web", "Web", "not collected"),
            ],
        ),
    ]
    # What `build_report_view` adds for the person: tables in words, statuses as sentences.
    words = CellWords(strings["yes"], strings["no"], strings["empty_value"])
    for company in companies:
        company.country_name = country_name(company.country, language)
        for system in company.systems:
            system.status_text, system.status_note = status_words(system.status, strings)
            for category in system.categories:
                category.tables = category_tables(
                    category.records, load_labels(), language, ZoneInfo("Europe/Stockholm"), words
                )
    authority = authority_view("SE", language)
    return ReportView(
        summary=summary_items(companies, load_group(), notice, strings, language, authority.name, [], "SE"),
        language=language,
        strings=strings,
        request=RequestView("DSAR-2026-000123", date(2026, 11, 20), ["access"], "SE"),
        subject_name=subject,
        subject_email="asa@example.se",
        generated_at=datetime(2026, 11, 30, 9, 15, tzinfo=UTC),
        companies=companies,
        art15=art15_items(notice, language),
        authority=authority_view("SE", language),
        controller=notice.controller,
    )


@pytest.fixture(scope="module", params=LANGUAGES)
def view(request: pytest.FixtureRequest) -> ReportView:
    return make_view(request.param)


@pytest.fixture(scope="module")
def pdf_bytes(view: ReportView) -> bytes:
    return render_report_pdf(view)


def pdf_text(data: bytes) -> str:
    """All pages' text with whitespace folded, since line breaks fall where the layout puts them."""
    document = pdfium.PdfDocument(data)
    try:
        parts = []
        for index in range(len(document)):
            page = document[index]
            parts.append(page.get_textpage().get_text_range())
        return " ".join(" ".join(parts).split())
    finally:
        document.close()


def folded(text: str) -> str:
    return " ".join(text.split())


# --- the PDF ------------------------------------------------------------------------------


def test_pdf_first_page_is_not_blank(view: ReportView, pdf_bytes: bytes) -> None:
    assert pdf_bytes.startswith(b"%PDF-")
    document = pdfium.PdfDocument(pdf_bytes)
    try:
        assert len(document) >= 2
        image = document[0].render(scale=1.5).to_pil().convert("L")
    finally:
        document.close()
    histogram = image.histogram()
    dark = sum(histogram[:160])
    total = image.width * image.height
    # A page of text inks a few percent of its pixels; a blank or glyph-less page none.
    assert dark / total > 0.02, f"only {dark / total:.2%} of page 1 is inked"


def test_pdf_shows_swedish_and_non_latin_text(view: ReportView, pdf_bytes: bytes) -> None:
    text = pdf_text(pdf_bytes)
    assert SUBJECT in text
    assert CYRILLIC in text
    assert "Göteborg" in text and "Fråga om faktura" in text
    assert "ECI Sverige AB" in text and view.strings["category_support"] in text
    assert "<script>alert(1)</script> {nb}" in text  # shown as text, and not taken for a page total


def test_pdf_replaces_what_its_font_cannot_draw_and_says_so(view: ReportView, pdf_bytes: bytes) -> None:
    text = pdf_text(pdf_bytes)
    assert CJK not in text and "😀" not in text
    assert REPLACEMENT * 2 in text
    assert folded(view.strings["pdf_unprintable_note"]) in text


def test_pdf_without_unprintable_characters_has_no_such_note(view: ReportView) -> None:
    plain = make_view(view.language, with_data=False)
    text = pdf_text(render_report_pdf(plain))
    assert folded(plain.strings["pdf_unprintable_note"]) not in text
    assert folded(plain.strings["no_data_found"]) in text


def test_pdf_logs_no_personal_data(view: ReportView, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        render_report_pdf(view)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for value in (SUBJECT, CYRILLIC, CJK, "asa@example.se", "王", "Ярослава"):
        assert value not in logged


# --- Art. 15 in both human-readable formats -----------------------------------------------


def test_every_art15_item_is_in_the_pdf(view: ReportView, pdf_bytes: bytes) -> None:
    text = pdf_text(pdf_bytes)
    assert [item.key for item in view.art15] == ART15_KEYS
    for item in view.art15:
        assert folded(f"{item.reference}: {item.title}") in text, item.key
        for entry in item.entries:
            assert folded(entry.term) in text, (item.key, entry.term)
    assert view.authority.name in text and view.authority.website in text


def test_every_art15_item_is_in_the_html(view: ReportView) -> None:
    html = render_report_html(view)
    assert [item.key for item in view.art15] == ART15_KEYS
    for item in view.art15:
        assert str(escape(item.title)) in html, item.key
        assert str(escape(item.reference)) in html, item.key
        for entry in item.entries:
            assert str(escape(entry.term)) in html, (item.key, entry.term)
    assert str(escape(SUBJECT)) in html and CYRILLIC in html and CJK in html
    assert "<script" not in html.lower()


# --- the cover letter ---------------------------------------------------------------------


def test_cover_letter_in_the_persons_language(view: ReportView) -> None:
    letter = render_cover_letter(view)
    assert f'<html lang="{view.language}">' in letter
    greeting = "Hej" if view.language == "sv" else "Dear"
    assert f"{greeting} {escape(SUBJECT)}," in letter
    for name in ("report.html", "report.pdf", "data.json", "csv/", "contact.csv"):
        assert name in letter
    assert view.request.reference in letter
    assert str(view.controller.privacy_email) in letter
    assert str(escape(view.authority.name)) in letter
    rights = next(item for item in view.art15 if item.key == "15(1)(e)")
    for entry in rights.entries:
        assert str(escape(entry.term)) in letter
    found = "hittade 4 poster om dig i 2 bolag" if view.language == "sv" else "found 4 records about you in 2"
    assert found in folded(letter) and "ECI Sverige AB" in letter
    assert f"contact.csv: {view.strings['category_contact'].lower()}" in folded(letter)


def test_cover_letter_escapes_the_name() -> None:
    letter = render_cover_letter(make_view("en", subject=f"Anna {HOSTILE}"))
    assert "<script" not in letter.lower()
    assert str(escape(HOSTILE)) in letter


def test_cover_letter_when_nothing_was_found() -> None:
    letter = render_cover_letter(make_view("sv", with_data=False))
    assert "hittade inga uppgifter om dig" in letter
    assert "csv/" not in letter


# --- data.json and its schema -------------------------------------------------------------


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = load_json_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_schema_is_published_under_the_packages_id() -> None:
    schema = json.loads(JSON_SCHEMA_FILE.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == packaging.JSON_SCHEMA_ID
    assert schema["properties"]["$schema"]["const"] == packaging.JSON_SCHEMA_ID
    # The enums are the product's own, so a new category or right cannot be forgotten here.
    assert schema["$defs"]["category"]["properties"]["category"]["enum"] == [c.value for c in Category]
    rights = schema["properties"]["request"]["properties"]["rights"]["items"]["enum"]
    assert rights == [r.value for r in Right]


def test_data_json_validates(view: ReportView, validator: Draft202012Validator) -> None:
    document = json.loads(render_data_json(view))
    assert document["$schema"] == packaging.JSON_SCHEMA_ID
    validator.validate(document)
    assert [i["article"] for i in document["supplementary_information"]] == ART15_KEYS
    assert document["subject"]["full_name"] == SUBJECT
    empty = json.loads(render_data_json(make_view(view.language, with_data=False)))
    validator.validate(empty)


def _drop(*path: str | int) -> Callable[[dict[str, Any]], None]:
    def mutate(document: dict[str, Any]) -> None:
        target: Any = document
        for step in path[:-1]:
            target = target[step]
        del target[path[-1]]

    return mutate


def _set(value: Any, *path: str | int) -> Callable[[dict[str, Any]], None]:
    def mutate(document: dict[str, Any]) -> None:
        target: Any = document
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return mutate


@pytest.mark.parametrize(
    "mutate",
    [
        _drop("$schema"),
        _set("https://example.com/other.json", "$schema"),
        _drop("companies"),
        _set("de", "language"),
        _set("not a date", "request", "received_on"),
        _drop("companies", 0, "systems", 0, "categories", 0, "records", 0, "data"),
        _set("a string", "companies", 0, "systems", 0, "categories", 0, "records", 0, "data"),
        _set("favourite_colour", "companies", 0, "systems", 0, "categories", 0, "category"),
        _set([], "supplementary_information"),
        _set("extra", "unexpected"),
    ],
    ids=[
        "no-$schema",
        "other-$schema",
        "no-companies",
        "unknown-language",
        "bad-date",
        "record-without-data",
        "data-not-an-object",
        "unknown-category",
        "no-art15",
        "unknown-field",
    ],
)
def test_broken_data_json_does_not_validate(
    validator: Draft202012Validator, mutate: Callable[[dict[str, Any]], None]
) -> None:
    document = package_document(make_view("en"))
    document = json.loads(json.dumps(document, default=str))
    validator.validate(document)
    mutate(document)
    assert not validator.is_valid(document)


# --- CSV ----------------------------------------------------------------------------------


def _decoded(cell: str, original: Any) -> Any:
    """The reading rule the CSV files follow: text as is, empty for nothing, else JSON."""
    if isinstance(original, str):
        return cell
    if original is None:
        assert cell == ""
        return None
    return json.loads(cell)


def test_csv_per_category_round_trips_the_records(view: ReportView) -> None:
    files = dict(category_csvs(view))
    assert sorted(files) == ["csv/billing.csv", "csv/contact.csv", "csv/support.csv"]
    for name, content in files.items():
        assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark, for Excel
        category = name.removeprefix("csv/").removesuffix(".csv")
        expected = [
            (company.code, system.code, record)
            for company, system, cat in view.places()
            if cat.category == category
            for record in cat.records
        ]
        rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))
        assert len(rows) == len(expected)
        header = list(rows[0])
        assert header[: len(CSV_PLACE_COLUMNS)] == list(CSV_PLACE_COLUMNS)
        data_columns = header[len(CSV_PLACE_COLUMNS) :]
        union = list(dict.fromkeys(k for _, _, r in expected for k in r["data"]))
        assert [c.removeprefix(CSV_DATA_PREFIX) for c in data_columns] == union
        for row, (company, system, record) in zip(rows, expected, strict=True):
            assert (row["company"], row["system"]) == (company, system)
            assert (row["source_table"], row["source_key"]) == (record["table"], record["key"])
            back = {}
            for column in data_columns:
                key = column.removeprefix(CSV_DATA_PREFIX)
                if key in record["data"]:
                    back[key] = _decoded(row[column], record["data"][key])
                else:
                    assert row[column] == ""
            assert back == record["data"]
    contact = files["csv/contact.csv"].decode("utf-8-sig")
    assert "data.company" in contact.splitlines()[0]
    assert CYRILLIC in contact and CJK in contact and SUBJECT in contact


# --- the zip's members --------------------------------------------------------------------


def test_package_members_in_order(view: ReportView) -> None:
    members = package_members(view)
    names = [name for name, _ in members]
    assert names == [
        "cover_letter.html",
        "report.html",
        "report.pdf",
        "data.json",
        "redactions.csv",
        "csv/billing.csv",
        "csv/contact.csv",
        "csv/support.csv",
    ]
    assert all(isinstance(content, bytes) and content for _, content in members)
    assert [name for name, _ in view.csv_files] == names[5:]  # what the letter lists is there


@pytest.mark.parametrize("language", LANGUAGES)
def test_cover_letter_tells_not_applicable_apart_from_not_searched(language: str) -> None:
    """A system the team marked not applicable is not "could not be searched": nothing more
    will come from it. A failed one is outstanding, and the letter says so."""
    view = make_view(language)
    strings = view.strings
    for company in view.companies:
        for system in company.systems:
            if system.code == "web":
                system.status = "not_applicable"
                system.status_text, system.status_note = status_words(system.status, strings)
    letter = folded(render_cover_letter(view))
    report = folded(render_report_html(view))
    if language == "en":
        assert "1 system could not be searched in time: Ekonomi (ECI Sverige AB)" in letter
        assert "1 system did not apply to your request, so we did not search it: Web" in letter
    else:
        assert "1 system kunde inte sökas igenom i tid: Ekonomi (ECI Sverige AB)" in letter
        assert "1 system gällde inte din begäran, så där har vi inte sökt: Web" in letter
    assert folded(strings["status_not_applicable_note"]) in report
    assert "not_applicable" not in letter and "not_applicable" not in report


def test_a_cell_longer_than_a_page_continues_in_rows_of_its_own() -> None:
    """fpdf2 cannot split one table row over two pages: a long message continues in rows
    below it, and every word of it is printed."""
    view = make_view("en")
    words = [f"w{n:05d}" for n in range(1800)]  # about 12 000 characters
    long_record = {"table": "tickets", "key": "T-2", "data": {"subject": "Long", "body": " ".join(words)}}
    company = view.companies[0]
    support = next(c for c in company.systems[0].categories if c.category == "support")
    support.records.append(long_record)
    support.tables = category_tables(
        support.records, load_labels(), "en", ZoneInfo("Europe/Stockholm"), CellWords("Yes", "No", "–")
    )
    text = pdf_text(render_report_pdf(view))
    assert all(word in text for word in words)

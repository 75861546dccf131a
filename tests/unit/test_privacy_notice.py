"""The privacy notice config and the access report built from it.

The report is the group's legal answer under Art. 15, so these tests check what a
regulator would: every item of 15(1)(a)-(h) and 15(2) present in both languages,
every data category explained, and nothing from the searched systems able to
become markup in the HTML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Undefined
from markupsafe import escape

from dsar.group import Category
from dsar.privacy_notice import (
    DEFAULT_NOTICE_FILE,
    Art15Item,
    PrivacyNotice,
    art15_items,
    load_privacy_notice,
    load_report_strings,
)

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
LANGUAGES = ["sv", "en"]
ART15_KEYS = [
    "15(1)(a)",
    "15(1)(b)",
    "15(1)(c)",
    "15(1)(d)",
    "15(1)(e)",
    "15(1)(f)",
    "15(1)(g)",
    "15(1)(h)",
    "15(2)",
]
HOSTILE = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def notice() -> PrivacyNotice:
    return load_privacy_notice()


# --- the notice -----------------------------------------------------------------------


def test_notice_loads_with_controller_facts(notice: PrivacyNotice) -> None:
    controller = notice.controller
    assert controller.legal_name == "ECI Software Solutions Europe Holdings Limited"
    assert controller.company_number == "05921693"
    assert str(controller.privacy_email) == "europe-privacy@ecisolutions.com"
    assert controller.last_updated == date(2022, 12, 1)
    assert {a.country_code for a in controller.addresses} == {"GB", "SE"}
    assert notice.automated_decisions.used is False


def test_default_notice_is_cached(notice: PrivacyNotice) -> None:
    assert load_privacy_notice() is notice
    assert load_privacy_notice(DEFAULT_NOTICE_FILE) is not notice


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("category", list(Category))
def test_every_category_has_label_and_activity(
    notice: PrivacyNotice, category: Category, language: str
) -> None:
    info = notice.categories[category]
    assert info.label.in_language(language).strip()
    assert info.description.in_language(language).strip()
    activities = [a for a in notice.activities if a.id in info.activities]
    assert activities, f"{category.value} has no activity"
    for activity in activities:
        assert category in activity.categories
        assert activity.name.in_language(language).strip()
        assert activity.purposes.in_language(language).strip()
    assert info.retention and info.sources


def test_every_right_is_explained(notice: PrivacyNotice) -> None:
    from dsar.domain import Right

    assert [r.right for r in notice.rights] == list(Right)


def test_scc_copy_is_offered(notice: PrivacyNotice) -> None:
    sccs = [s for s in notice.transfers.safeguards if s.kind == "standard_contractual_clauses"]
    assert sccs and sccs[0].copy_on_request
    assert "group_companies" in sccs[0].applies_to


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('article_6_1 = "b"', 'article_6_1 = "f"', "article_6_1"),
        ("[categories.cookies]", "[categories_removed.cookies]", "categories_removed"),
        ('legal_bases]]\nbasis = "contract"', 'legal_bases]]\nbasis = "contracts"', "basis"),
        ('retention = ["purpose"]', 'retention = ["forever"]', "retention"),
        (
            'activities = ["event_booking", "event_attendee_list", "event_photography", ',
            'activities = ["event_booking", "event_attendee_list", ',
            "categories.events.activities",
        ),
    ],
)
def test_bad_config_names_the_field(tmp_path: Path, old: str, new: str, field: str) -> None:
    text = DEFAULT_NOTICE_FILE.read_text(encoding="utf-8")
    assert old in text
    bad = tmp_path / "notice.toml"
    bad.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(field)):
        load_privacy_notice(bad)


def test_missing_category_block_is_reported(tmp_path: Path) -> None:
    text = DEFAULT_NOTICE_FILE.read_text(encoding="utf-8")
    start = text.index("[categories.cookies]")
    bad = tmp_path / "notice.toml"
    bad.write_text(text[:start], encoding="utf-8")
    with pytest.raises(ValueError, match=r"categories: no block for \['cookies'\]"):
        load_privacy_notice(bad)


# --- report strings -------------------------------------------------------------------


def test_report_strings_match_across_languages(notice: PrivacyNotice) -> None:
    sv, en = load_report_strings("sv"), load_report_strings("en")
    assert sv.keys() == en.keys()
    assert sv["title"] != en["title"]
    # The packaging code labels categories from these strings; they must say what the
    # notice says.
    for category in Category:
        for language, strings in (("sv", sv), ("en", en)):
            assert strings[f"category_{category.value}"] == notice.category_label(category, language)


def test_unknown_language_is_refused(notice: PrivacyNotice) -> None:
    with pytest.raises(ValueError, match="language"):
        load_report_strings("de")
    with pytest.raises(ValueError, match="language"):
        art15_items(notice, "de")


# --- Art. 15 --------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_art15_items_are_complete_and_ordered(notice: PrivacyNotice, language: str) -> None:
    items = art15_items(notice, language)
    assert [i.key for i in items] == ART15_KEYS
    for item in items:
        assert item.title.strip(), item.key
        assert item.reference.strip(), item.key
        assert item.paragraphs and all(p.strip() for p in item.paragraphs), item.key
        for entry in item.entries:
            assert entry.term.strip() and entry.details, item.key
    assert len({i.title for i in items}) == len(items)


def test_art15_differs_by_language(notice: PrivacyNotice) -> None:
    sv = {i.key: i for i in art15_items(notice, "sv")}
    en = {i.key: i for i in art15_items(notice, "en")}
    for key in ART15_KEYS:
        assert sv[key].title != en[key].title


def test_art15_content_follows_the_notice(notice: PrivacyNotice) -> None:
    items = {i.key: i for i in art15_items(notice, "en")}
    purposes = items["15(1)(a)"]
    assert len(purposes.entries) == len(notice.activities)
    assert any("Article 6(1)(a)" in d for e in purposes.entries for d in e.details)
    assert any("Article 6(1)(f)" in d for e in purposes.entries for d in e.details)

    assert len(items["15(1)(b)"].entries) == len(Category)

    outside = [r for r in notice.recipients if r.outside_eea]
    marked = [e for e in items["15(1)(c)"].entries if any("outside the EEA" in d for d in e.details)]
    assert len(marked) == len(outside) > 0

    rights = {e.term for e in items["15(1)(e)"].entries}
    assert {"Rectification", "Erasure", "Restriction", "Objection"} <= rights
    assert "Access" not in rights

    sources = {e.term for e in items["15(1)(g)"].entries}
    assert {"Data brokers", "Our customer records"} <= sources

    assert "no decisions" in items["15(1)(h)"].paragraphs[0]

    transfers = items["15(2)"]
    assert any("standard contractual clauses" in e.term.lower() for e in transfers.entries)
    assert any("europe-privacy@ecisolutions.com" in d for e in transfers.entries for d in e.details)


# --- the template ---------------------------------------------------------------------


@dataclass
class FakeCategory:
    category: str
    label: str
    records: list[dict[str, object]]


@dataclass
class FakeSystem:
    code: str
    name: str
    status: str
    categories: list[FakeCategory] = field(default_factory=list)


@dataclass
class FakeCompany:
    code: str
    legal_name: str
    country: str
    systems: list[FakeSystem]


@dataclass(frozen=True)
class FakeRequest:
    reference: str
    received_on: date
    rights: list[str]
    jurisdiction: str


@dataclass(frozen=True)
class FakeAuthority:
    name: str
    address: tuple[str, ...]
    website: str
    email: str | None


def _context(notice: PrivacyNotice, language: str, *, with_data: bool = True) -> dict[str, Any]:
    """The report's real context (`ReportView.template_context`), with hostile text in
    the records and the name."""
    from tests.unit.test_package_formats import make_view

    view = make_view(language, with_data=with_data, subject=f"Anna {HOSTILE} Andersson")
    context = view.template_context()
    context["authority"] = FakeAuthority(
        "Integritetsskyddsmyndigheten (IMY)",
        ("Box 8114", "104 20 Stockholm"),
        "https://www.imy.se",
        "imy@imy.se",
    )
    return context


def _render(context: dict[str, Any], undefined: type[Undefined] = Undefined) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=undefined)
    return env.get_template("report/access_report.html.j2").render(context)


@pytest.mark.parametrize("language", LANGUAGES)
def test_report_renders_every_art15_item_and_escapes_data(notice: PrivacyNotice, language: str) -> None:
    context = _context(notice, language)
    html = _render(context)
    items: list[Art15Item] = context["art15"]
    for item in items:
        assert str(escape(item.title)) in html, item.key
    assert f'<html lang="{language}">' in html
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert f'<th scope="row">{"E-postadress" if language == "sv" else "E-mail address"}</th>' in html
    assert "jaroslava@example.ua" in html
    assert "imy@imy.se" in html
    strings = context["t"]
    assert str(escape(strings["status_failed_note"])) in html
    assert str(escape(strings["no_data_found"])) not in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_report_uses_only_defined_strings(notice: PrivacyNotice, language: str) -> None:
    # Production renders with StrictUndefined: a missing string must fail here, not there.
    html = _render(_context(notice, language), StrictUndefined)
    assert "<script" not in html.lower()


@pytest.mark.parametrize("language", LANGUAGES)
def test_report_says_when_nothing_was_found(notice: PrivacyNotice, language: str) -> None:
    context = _context(notice, language, with_data=False)
    html = _render(context, StrictUndefined)
    assert str(escape(context["t"]["no_data_found"])) in html

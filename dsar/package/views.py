"""One view of the request, which every file of the response package is rendered from.

The cover letter, the HTML report, the PDF report, data.json and the per-category CSV
files are different renderings of the same facts. They are built from one `ReportView`
so a fix in what the person is told (a record, an Art. 15 item, the authority) reaches
every format at once, and no format can silently fall behind the others. The view lives
in its own module so the renderers (`formats`, `report_pdf`) import it and not each other.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from dsar.config import PROJECT_ROOT
from dsar.package.locale_format import format_date
from dsar.package.tables import TableView
from dsar.privacy_notice import Art15Item, Controller
from dsar.rendering import AuthorityView

# The `$id` of the published schema, and the `$schema` every data.json carries, so a
# reader (or another controller, for portability) can validate the file it received.
JSON_SCHEMA_ID = "https://dsar.example/schemas/access-package/v1.json"
JSON_SCHEMA_FILE = PROJECT_ROOT / "infra" / "schemas" / "access-package.schema.json"

COVER_LETTER = "cover_letter.html"
REPORT_HTML = "report.html"
REPORT_PDF = "report.pdf"
DATA_JSON = "data.json"
REDACTIONS_CSV = "redactions.csv"
CSV_DIR = "csv"

# CSV columns that say where a record came from; a data field with one of these names
# is written as `data.<name>` so it can never overwrite the provenance.
CSV_PLACE_COLUMNS = ("company", "system", "source_table", "source_key")
CSV_DATA_PREFIX = "data."


@dataclass
class CategoryView:
    """`records` are the exact values (data.json, CSV); `tables` the same records in
    words for the HTML and the PDF."""

    category: str
    label: str
    records: list[dict[str, Any]] = field(default_factory=list)
    tables: list[TableView] = field(default_factory=list)


# Collection statuses as the person is told them; anything else is "not searched yet".
SEARCHED = "collected"
NOT_APPLICABLE = "not_applicable"
FAILED = "failed"


@dataclass
class SystemView:
    """`status` is the collection's code (data.json keeps it); `status_text` and
    `status_note` are what the person reads about it."""

    code: str
    name: str
    status: str
    categories: list[CategoryView] = field(default_factory=list)
    status_text: str = ""
    status_note: str = ""

    @property
    def outstanding(self) -> bool:
        """Failed or not searched yet: the answer is incomplete here. A system the team
        marked not applicable is not outstanding: nothing more will come from it."""
        return self.status not in (SEARCHED, NOT_APPLICABLE)


@dataclass
class CompanyView:
    code: str
    legal_name: str
    country: str
    systems: list[SystemView] = field(default_factory=list)
    country_name: str = ""


@dataclass(frozen=True)
class SummaryItem:
    """One question of the first page and its answer in plain words."""

    question: str
    answers: list[str]


@dataclass(frozen=True)
class EarlierRequestView:
    """A rights request the person made before (Art. 15: the case store holds it too).
    The codes are for data.json; the texts for the person."""

    reference: str
    received_on: date
    rights: list[str]
    status: str
    closed_on: date | None
    received_text: str
    rights_text: str
    outcome_text: str


@dataclass(frozen=True)
class RemovalView:
    """One entry of the redaction log (Art. 15(4)): what was removed, where and why.
    Deliberately without the value: the log goes to the person."""

    company: str
    system: str
    table: str
    key: str
    field: str
    kind: str
    kind_label: str
    reason: str
    # What the person reads: the company, system and kind of record, and the field, in words.
    place: str = ""
    field_label: str = ""


@dataclass(frozen=True)
class ExclusionView:
    """Records a reviewer left out, counted by reason; their content is never shown."""

    company: str
    system: str
    reason_code: str
    reason: str
    records: int
    place: str = ""


@dataclass(frozen=True)
class RequestView:
    reference: str
    received_on: date
    rights: list[str]
    jurisdiction: str


@dataclass(frozen=True)
class ReportView:
    """Everything any format of the package shows, in the person's language.

    `strings` are the report strings of that language (templates/report/strings.toml)
    and `art15` the Art. 15 items made from the privacy notice, so the HTML and the PDF
    print the same headings and the same answers."""

    language: str
    strings: Mapping[str, str]
    request: RequestView
    subject_name: str
    subject_email: str
    generated_at: datetime
    companies: list[CompanyView]
    art15: list[Art15Item]
    authority: AuthorityView
    controller: Controller
    removals: list[RemovalView] = field(default_factory=list)
    exclusions: list[ExclusionView] = field(default_factory=list)
    summary: list[SummaryItem] = field(default_factory=list)
    earlier_requests: list[EarlierRequestView] = field(default_factory=list)
    # Dates and times as the person writes them (`locale_format`), made once for every format.
    received_text: str = ""
    generated_text: str = ""

    def template_context(self) -> dict[str, Any]:
        """The names the jinja2 templates were written against."""
        return {
            "lang": self.language,
            "t": dict(self.strings),
            "request": self.request,
            "subject_name": self.subject_name,
            "generated_at": self.generated_at,
            "companies": self.companies,
            "art15": self.art15,
            "authority": self.authority,
            "controller": self.controller,
            "record_count": self.record_count,
            "companies_with_data": self.companies_with_data,
            "systems_not_searched": self.systems_not_searched,
            "csv_files": self.csv_files,
            "removals": self.removals,
            "exclusions": self.exclusions,
            "summary": self.summary,
            "earlier_requests": self.earlier_requests,
            "received_text": self.received_text or str(self.request.received_on),
            "generated_text": self.generated_text or self.generated_at.strftime("%Y-%m-%d %H:%M"),
            "systems_not_applicable": self.systems_not_applicable,
            "systems_outstanding": self.systems_outstanding,
            "last_updated_text": format_date(self.controller.last_updated, self.language),
            "generated_on_text": format_date(self.generated_at.date(), self.language),
        }

    def places(self) -> Iterator[tuple[CompanyView, SystemView, CategoryView]]:
        for company in self.companies:
            for system in company.systems:
                for category in system.categories:
                    yield company, system, category

    @property
    def record_count(self) -> int:
        return sum(len(category.records) for _, _, category in self.places())

    @property
    def companies_with_data(self) -> list[CompanyView]:
        return [c for c in self.companies if any(cat.records for s in c.systems for cat in s.categories)]

    @property
    def csv_files(self) -> list[tuple[str, str]]:
        """(file name, category label) of the CSV files, so the letter can say which
        file holds which kind of data in the person's language."""
        labels = {category.category: category.label for _, _, category in self.places() if category.records}
        return [(f"{CSV_DIR}/{name}.csv", labels[name]) for name in sorted(labels)]

    @property
    def systems_outstanding(self) -> list[tuple[CompanyView, SystemView]]:
        """Failed or not yet searched: the letter says the answer is not complete there."""
        return [(c, s) for c in self.companies for s in c.systems if s.outstanding]

    @property
    def systems_not_applicable(self) -> list[tuple[CompanyView, SystemView]]:
        """Marked not applicable by the privacy team: not searched, and nothing to follow."""
        return [(c, s) for c in self.companies for s in c.systems if s.status == NOT_APPLICABLE]

    @property
    def systems_not_searched(self) -> int:
        """Counted so the letter can say the answer is not yet complete (not applicable
        systems are not counted: there is nothing more to come from them)."""
        return len(self.systems_outstanding)

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
    category: str
    label: str
    records: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class SystemView:
    code: str
    name: str
    status: str
    categories: list[CategoryView] = field(default_factory=list)


@dataclass
class CompanyView:
    code: str
    legal_name: str
    country: str
    systems: list[SystemView] = field(default_factory=list)


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


@dataclass(frozen=True)
class ExclusionView:
    """Records a reviewer left out, counted by reason; their content is never shown."""

    company: str
    system: str
    reason_code: str
    reason: str
    records: int


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
    def systems_not_searched(self) -> int:
        """Counted so the letter can say the answer is not yet complete."""
        return sum(1 for c in self.companies for s in c.systems if s.status != "collected")

"""The labels registry (infra/labels.toml) and the way the report turns values into words.

Every system of the group registry has a name in Swedish and English, and every table
and column the demo group holds has a label, so no code reaches the person; dates and
numbers follow the person's locale; a coded value a system stores reads as words.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from devstack.demo_group.schemas import COLUMNS
from dsar.group import SystemKind, load_group
from dsar.labels import LabelsError, load_labels, parse_labels
from dsar.package.locale_format import format_date, format_datetime, format_number
from dsar.package.tables import CellWords, category_tables

STOCKHOLM = ZoneInfo("Europe/Stockholm")
WORDS = {"sv": CellWords("Ja", "Nej", "–"), "en": CellWords("Yes", "No", "–")}


def test_every_system_of_the_registry_has_a_name_in_both_languages() -> None:
    labels = load_labels()
    missing = [
        f"{c.code}/{s.code}"
        for c in load_group().companies
        for s in c.systems
        if f"{c.code}/{s.code}" not in labels.systems
    ]
    assert missing == []
    assert labels.system_name("dk01", "newsletter", "en", "Nyhedsbrev (SaaS)") == "Newsletter"
    assert labels.system_name("nl01", "crm", "sv", "CRM: klanten") == "CRM: kunder och kontaktanteckningar"


def test_every_table_and_column_of_the_demo_group_has_a_label() -> None:
    labels = load_labels()
    tables = {t.table for c in load_group().companies for s in c.systems for t in s.tables}
    assert tables <= set(COLUMNS)
    for table in sorted(tables):
        assert table in labels.tables, table
        for column in ("id", "processing_restricted", *COLUMNS[table]):
            assert labels.field(table, column) is not None, f"{table}.{column}"
    # The connectors' own kinds of record.
    kinds = {s.kind for c in load_group().companies for s in c.systems}
    assert {SystemKind.S3, SystemKind.HTTP, SystemKind.MANUAL} <= kinds
    assert {"objects", "api", "upload"} <= set(labels.tables)


def test_a_label_file_with_an_unknown_format_is_refused_naming_the_field() -> None:
    with pytest.raises(LabelsError, match=r"tables\.t\.fields\.f\.format"):
        parse_labels(
            '[tables.t]\nsv = "T"\nen = "T"\n'
            '[tables.t.fields]\nf = { sv = "F", en = "F", format = "colour" }\n'
        )


@pytest.mark.parametrize(
    ("language", "expected"),
    [("sv", ("4 mars 2026", "4 mars 2026 kl. 10:12", "8\u202f600,50", "\u22121\u202f234")),
     ("en", ("4 March 2026", "4 March 2026, 10:12", "8,600.50", "-1,234"))],
)  # fmt: skip
def test_dates_times_and_numbers_in_the_persons_locale(language: str, expected: tuple[str, ...]) -> None:
    assert format_date(date(2026, 3, 4), language) == expected[0]
    assert format_datetime(datetime(2026, 3, 4, 9, 12, tzinfo=UTC), language, STOCKHOLM) == expected[1]
    assert format_number(Decimal("8600.5"), language, decimals=2) == expected[2]
    assert format_number(-1234, language) == expected[3]


@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_record_becomes_a_table_in_words(language: str) -> None:
    records = [
        {"table": "billing_invoices", "key": str(n), "data": {
            "id": n, "invoice_number": f"INV-{n}", "customer_number": "C-1", "issued_on": "2025-01-31",
            "net_amount": 1000.5 * n, "currency": "SEK", "status": "paid", "paid_on": None,
            "processing_restricted": False, "lines": [{"item": "Licence", "qty": 2}],
        }}
        for n in (1, 2)
    ]  # fmt: skip
    (table,) = category_tables(records, load_labels(), language, STOCKHOLM, WORDS[language])
    assert table.title == ("Fakturor" if language == "sv" else "Invoices")
    common = dict(table.common)
    # What every record shares is said once; no snake_case, no ISO date, no raw code.
    assert common["Kundnummer" if language == "sv" else "Customer number"] == "C-1"
    assert common["Fakturadatum" if language == "sv" else "Invoice date"] == (
        "31 januari 2025" if language == "sv" else "31 January 2025"
    )
    assert (
        common["Behandlingen begränsad" if language == "sv" else "Processing restricted"]
        == WORDS[language].no
    )
    amount = "Belopp exkl. moms" if language == "sv" else "Amount excl. VAT"
    assert amount in table.columns and "Valuta" not in table.columns and "Currency" not in table.columns
    cells = [row[table.columns.index(amount)] for row in table.rows]
    assert cells == (
        ["1\u202f000,50 SEK", "2\u202f001,00 SEK"] if language == "sv" else ["1,000.50 SEK", "2,001.00 SEK"]
    )
    shown = " ".join(
        [table.title, *table.columns, *(c for row in table.rows for c in row), *(k for k, _ in table.common)]
    )
    assert "_" not in shown and "2025-01-31" not in shown
    # An empty field in every record is not a column (data.json and the CSV still hold it).
    assert "Betald" not in table.columns and "Paid on" not in table.columns


def test_a_coded_value_reads_as_words() -> None:
    records = [{"table": "marketing_preferences", "key": "1", "data": {"legal_basis": "legitimate_interest"}}]
    (table,) = category_tables(records, load_labels(), "en", STOCKHOLM, WORDS["en"])
    assert table.common == [("Legal basis", "Legitimate interests")]

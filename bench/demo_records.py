"""A demo person's collected records, made in memory from the demo dataset.

The benchmark of the access report needs the rows collection would store for a person
(`row_to_json` of each matching row) without a PostgreSQL server: this matches the demo
dataset's rows on the registry's `match` columns the way the connector's query does
(e-mails compared lower-cased) and turns each row into the JSON the case store holds.
Bulk tables become one file record per 50 000 rows, as the connector stores them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

from devstack.demo_group.build import build_dataset
from devstack.demo_group.people import DemoPerson
from devstack.demo_group.schemas import COLUMNS
from dsar.group import GroupRegistry, SystemKind
from dsar.package.assemble import FoundRecord

SEED_PEOPLE = 300
SEED = 20261125
BULK_PART_ROWS = 50_000


def _json_value(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def person_records(registry: GroupRegistry, person: DemoPerson) -> Iterator[FoundRecord]:
    data = build_dataset(registry, SEED_PEOPLE, SEED)
    wanted = {"email": person.email.lower(), "phone": person.phone, "customer_number": person.customer_number}
    for company in registry.companies:
        rows_of = data.rows.get(company.code, {})
        for system in company.systems:
            if system.kind is not SystemKind.POSTGRES:
                continue
            for mapping in system.tables:
                columns = COLUMNS[mapping.table]
                matched: list[dict[str, object]] = []
                for index, row in enumerate(rows_of.get(mapping.table, []), start=1):
                    values = dict(zip(columns, row, strict=True))
                    for key, column in mapping.match.items():
                        value = values.get(column)
                        target = wanted.get(str(key.value))
                        if value is None or target is None:
                            continue
                        if str(value).lower() == str(target).lower():
                            record = {"id": index, **{k: _json_value(v) for k, v in values.items()}}
                            record["processing_restricted"] = False
                            matched.append(record)
                            break
                if mapping.bulk:
                    for part in range(0, len(matched), BULK_PART_ROWS):
                        rows = len(matched[part : part + BULK_PART_ROWS])
                        name = f"{mapping.table}/part-{part // BULK_PART_ROWS + 1:05d}.csv"
                        yield FoundRecord(
                            company.code,
                            system.code,
                            mapping.category.value,
                            mapping.table,
                            f"part-{part // BULK_PART_ROWS + 1:05d}",
                            {
                                "file": name,
                                "format": "csv",
                                "rows": rows,
                                "bytes": rows * 120,
                                "last_key": "0",
                            },
                        )
                    continue
                for record in matched:
                    yield FoundRecord(
                        company.code,
                        system.code,
                        mapping.category.value,
                        mapping.table,
                        str(record["id"]),
                        record,
                    )

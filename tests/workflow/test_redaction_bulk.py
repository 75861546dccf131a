"""A bulk CSV part with a third party's e-mail is redacted in the delivered package.

Astrid's app usage events (se01, a bulk table: collected as CSV parts, never as records)
gain a search query quoting another person's e-mail address and phone number. The package
is built by the real workers on the time-skipping server, read back from S3, and the part
must hold her own e-mail but not the other person's, and the redaction log must list it.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

import asyncpg

from tests.workflow.conftest import astrid, running_workers, start_request_for
from tests.workflow.test_redaction_golden import approve_and_read, to_review

OTHER_EMAIL = "omar.khalil@example.net"
OTHER_PHONE = "07700 900461"
QUERY = f"forward receipt to {OTHER_EMAIL} or call {OTHER_PHONE}"
PART = "files/se01/app/Use of the app part-00001.csv"  # named after the table's label


async def test_a_bulk_part_loses_a_third_partys_email(
    time_skipping_env: Any, workers_kwargs: dict[str, Any], case_pool: asyncpg.Pool
) -> None:
    client = time_skipping_env.client
    person = astrid()
    registry = workers_kwargs["registry"]
    connection = next(s.connection for s in registry.company("se01").systems if s.code == "app")
    source = workers_kwargs["source_pools"][connection]
    device = uuid.uuid4()
    await source.execute(
        "INSERT INTO app_usage_events (user_email, device_id, platform, app_version, event_type,"
        " search_query, occurred_at) VALUES ($1, $2, 'ios', '4.2.0', 'search', $3, $4)",
        person.email,
        device,
        QUERY,
        datetime(2026, 11, 1, 12, 0, tzinfo=UTC),
    )
    try:
        async with running_workers(client, **workers_kwargs) as control_queue:
            handle = await start_request_for(client, control_queue, case_pool, date(2026, 11, 20))
            reference = handle.id.removeprefix("dsar-")
            try:
                await to_review(client, handle)
                members = await approve_and_read(handle, workers_kwargs["settings"], reference)
            finally:
                await handle.terminate("test done: no retention timer left behind")
    finally:
        await source.execute("DELETE FROM app_usage_events WHERE device_id = $1", device)

    part = members[PART].decode("utf-8")
    assert "forward receipt to [redacted: e-mail address] or call [redacted: phone number]" in part
    assert OTHER_EMAIL not in part and OTHER_PHONE not in part
    assert person.email in part  # her own e-mail (the column the table is matched on) stays
    log = list(csv.DictReader(io.StringIO(members["redactions.csv"].decode("utf-8-sig"))))
    in_part = {r["kind"] for r in log if r["source_table"] == PART.removeprefix("files/se01/app/")}
    assert {"E-mail address", "Phone number"} <= in_part
    removed = json.loads(members["data.json"])["redactions"]["removed"]
    from_part = {r["kind"]: r for r in removed if r["table"] == PART.removeprefix("files/se01/app/")}
    assert {"email", "phone"} <= set(from_part)
    assert from_part["email"]["reason"] == "Another person's e-mail address."
    assert from_part["email"]["field"] == "whole file" and from_part["email"]["key"] == "1 ×"

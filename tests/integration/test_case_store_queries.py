"""The case-store queries the CLI asks, against a real PostgreSQL with the real migrations."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from casestore import queries
from casestore.audit import append_audit
from casestore.db import connection, migrate
from tests.conftest import Servers


async def test_the_cli_queries_answer_from_the_case_store(servers: Servers, tmp_path: Path) -> None:
    name = "".join(ch for ch in f"queries_{tmp_path.name[-8:].lower()}" if ch.isalnum() or ch == "_")
    servers.postgres.create_database(name)
    dsn = servers.postgres.dsn(name)
    await migrate(dsn)
    async with connection(dsn) as conn:
        reference = await queries.allocate_reference(conn, 2026)
        assert reference == "DSAR-2026-000001"
        assert await queries.allocate_reference(conn, 2026) == "DSAR-2026-000002"
        await conn.execute(
            "INSERT INTO requests (reference, rights, jurisdiction, language, channel, received_on, status,"
            " subject_key_id, subject_ciphertext, email_lookup)"
            " VALUES ($1, $2, 'SE', 'sv', 'email', $3, 'review', 'k1', $4, 'lookup')",
            reference,
            ["access", "erasure"],
            date(2026, 3, 2),
            b"sealed",
        )
        # An open request covers a later submission of the same or fewer rights, not of others.
        assert await queries.open_request_covering(conn, "lookup", {"access"}) == reference
        assert await queries.open_request_covering(conn, "lookup", {"restriction"}) is None
        assert await queries.open_request_covering(conn, "other", {"access"}) is None

        record = await conn.fetchval(
            "INSERT INTO collected_records (reference, company, system, source_table, source_key,"
            " category, matched_on, data, confidence, needs_confirmation)"
            " VALUES ($1, 'gb01', 'crm', 'contacts', '7', 'contact', 'name_postcode', $2, 0.75, true)"
            " RETURNING id",
            reference,
            {"full_name": "Ann Berg", "postcode": "752 36"},
        )
        (match,) = await queries.fuzzy_matches(conn, reference)
        assert (match.id, match.confidence, match.confirmed_by) == (record, 0.75, None)
        assert match.data == {"full_name": "Ann Berg", "postcode": "752 36"}
        assert await queries.record_data(conn, reference, record) == match.data
        assert await queries.record_data(conn, reference, record + 1) is None

        (row,) = await queries.requests_received_between(conn, date(2026, 3, 1), date(2026, 3, 31))
        assert (row.reference, row.rights, row.timezone) == (
            reference,
            ("access", "erasure"),
            "Europe/Stockholm",
        )
        assert await queries.requests_received_between(conn, date(2026, 4, 1), date(2026, 4, 30)) == []

        await append_audit(conn, reference=reference, actor="officer", action="request.registered")
        await append_audit(
            conn, reference=reference, actor="officer", action="status.review", details={"n": 1}
        )
        trail = await queries.audit_trail(conn, reference)
        assert [(e.action, e.details) for e in trail] == [
            ("request.registered", {}),
            ("status.review", {"n": 1}),
        ]
        assert trail[0].seq < trail[1].seq

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


async def test_earlier_requests_are_the_same_persons_and_received_before(
    servers: Servers, tmp_path: Path
) -> None:
    """Art. 15: the access package lists the person's other requests the case store holds;
    found by the keyed e-mail hash, oldest first, never someone else's or a later one."""
    name = "".join(ch for ch in f"earlier_{tmp_path.name[-8:].lower()}" if ch.isalnum() or ch == "_")
    servers.postgres.create_database(name)
    dsn = servers.postgres.dsn(name)
    await migrate(dsn)
    rows = [
        # reference, email lookup, received, status, closed
        ("DSAR-2025-000001", "anna", date(2025, 3, 3), "delivered", "2025-03-21 15:00+00"),
        ("DSAR-2025-000002", "anna", date(2025, 9, 1), "rejected", "2025-09-02 08:00+00"),
        ("DSAR-2025-000003", "bert", date(2025, 5, 5), "delivered", "2025-05-20 08:00+00"),
        ("DSAR-2026-000001", "anna", date(2026, 3, 2), "packaging", None),
        ("DSAR-2026-000002", "anna", date(2026, 4, 1), "received", None),
    ]
    async with connection(dsn) as conn:
        for reference, lookup, received, status, closed in rows:
            await conn.execute(
                "INSERT INTO requests (reference, rights, jurisdiction, language, channel, received_on,"
                " status, subject_key_id, subject_ciphertext, email_lookup, closed_at)"
                " VALUES ($1, $2, 'SE', 'sv', 'email', $3, $4, 'k1', $5, $6, $7::text::timestamptz)",
                reference,
                ["erasure"] if reference.startswith("DSAR-2025") else ["access"],
                received,
                status,
                b"sealed",
                lookup,
                closed,
            )
        earlier = await queries.earlier_requests(conn, "DSAR-2026-000001")
        assert [(e.reference, e.status, e.rights) for e in earlier] == [
            ("DSAR-2025-000001", "delivered", ["erasure"]),
            ("DSAR-2025-000002", "rejected", ["erasure"]),
        ]
        assert earlier[0].received_on == date(2025, 3, 3) and earlier[0].closed_at is not None
        assert await queries.earlier_requests(conn, "DSAR-2025-000003") == []

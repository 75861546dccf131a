"""One fingerprint of everything a request's package is built from, so a package built
while the request waited for review can be sent as it is if nothing has changed since.

The package is built when review opens (the heavy part of the answer is ready before
anyone approves it) and approval only checks that it still shows what the case store holds:
the request's language, rights and dates, the sealed identity, each system's collection
result and note for the person, every collected record with its confirmation and exclusion,
every redaction and whether a reviewer kept the value, and the person's earlier requests as
the report lists them. A review decision, a system collected again, a match confirmed: any of
them changes the fingerprint and the package is built again.

Computed by the database in one statement (hashes of the rows, never the rows themselves sent
to the worker), so the check at approval costs one round trip whatever the request's size.
The build computes it in the same read-only repeatable-read transaction as the rows it renders.
"""

from __future__ import annotations

from casestore.db import Conn

# Each part hashes its rows in a fixed order; NULLs and empty sets hash to a fixed value.
FINGERPRINT_SQL = """
SELECT encode(sha256(convert_to(concat_ws('|',
    (SELECT row(language, received_on, rights, jurisdiction, subject_key_id,
                encode(sha256(subject_ciphertext), 'hex'))::text
       FROM requests WHERE reference = $1),
    (SELECT coalesce(string_agg(row(company, system, status, note_for_person)::text, ','
                                ORDER BY company, system), '')
       FROM collection_results WHERE reference = $1),
    (SELECT coalesce(string_agg(row(id, company, system, category, source_table, source_key,
                                    matched_on, encode(sha256(convert_to(data::text, 'UTF8')), 'hex'),
                                    object_key, exclusion_reason, needs_confirmation,
                                    confirmed_by IS NOT NULL)::text, ',' ORDER BY id), '')
       FROM collected_records WHERE reference = $1),
    (SELECT coalesce(string_agg(row(id, record_id, finding_id, source, kind, path, span_start,
                                    span_end, reason, kept_by IS NULL)::text, ',' ORDER BY id), '')
       FROM redactions WHERE reference = $1),
    (SELECT coalesce(string_agg(row(o.reference, o.received_on, o.rights, o.status,
                                    o.closed_at)::text, ',' ORDER BY o.reference), '')
       FROM requests AS r JOIN requests AS o ON o.email_lookup = r.email_lookup
      WHERE r.reference = $1 AND o.reference <> r.reference
        AND (o.received_on, o.created_at) <= (r.received_on, r.created_at))
), 'UTF8')), 'hex')
"""


async def package_fingerprint(conn: Conn, reference: str) -> str:
    """The fingerprint of what `reference`'s package would be built from now."""
    value = await conn.fetchval(FINGERPRINT_SQL, reference)
    assert isinstance(value, str)
    return value

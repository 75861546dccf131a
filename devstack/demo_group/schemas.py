"""The table schemas the seeder knows (the registry may use any subset of them), and the
SQL that creates them, their flags, the suppression lists and the export views.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from casestore.db import quote_ident
from dsar.domain import IdentityKey
from dsar.group import Company, SystemKind

_SCHEMAS: dict[str, tuple[tuple[str, str], ...]] = {
    "crm_customers": (
        ("customer_number", "text NOT NULL"),
        ("full_name", "text NOT NULL"),
        ("email", "text"),
        ("phone", "text"),
        ("company_name", "text"),
        ("job_title", "text"),
        ("industry", "text"),
        ("street", "text"),
        ("postcode", "text"),
        ("city", "text"),
        ("country", "char(2)"),
        ("preferred_language", "text"),
        ("customer_since", "date NOT NULL"),
        ("status", "text NOT NULL"),
        ("credit_limit", "numeric(12,2)"),
        ("created_at", "timestamptz NOT NULL"),
        ("updated_at", "timestamptz NOT NULL"),
    ),
    "crm_notes": (
        ("customer_number", "text NOT NULL"),
        ("author", "text NOT NULL"),
        ("channel", "text NOT NULL"),
        ("body", "text NOT NULL"),
        ("created_at", "timestamptz NOT NULL"),
    ),
    "billing_invoices": (
        ("invoice_number", "text NOT NULL UNIQUE"),
        ("customer_number", "text NOT NULL"),
        ("billing_name", "text NOT NULL"),
        ("billing_email", "text"),
        ("billing_address", "text"),
        ("issued_on", "date NOT NULL"),
        ("due_on", "date NOT NULL"),
        ("currency", "char(3) NOT NULL"),
        ("net_amount", "numeric(12,2) NOT NULL"),
        ("vat_amount", "numeric(12,2) NOT NULL"),
        ("total_amount", "numeric(12,2) NOT NULL"),
        ("status", "text NOT NULL"),
        ("paid_on", "date"),
        ("lines", "jsonb NOT NULL"),
    ),
    "billing_payments": (
        ("invoice_number", "text NOT NULL"),
        ("customer_number", "text NOT NULL"),
        ("payer_name", "text"),
        ("method", "text NOT NULL"),
        ("card_brand", "text"),
        ("card_last4", "text"),
        ("iban", "text"),
        ("provider", "text NOT NULL"),
        ("provider_reference", "text NOT NULL"),
        ("amount", "numeric(12,2) NOT NULL"),
        ("currency", "char(3) NOT NULL"),
        ("paid_at", "timestamptz NOT NULL"),
        ("risk_check", "jsonb"),
    ),
    "events_registrations": (
        ("event_code", "text NOT NULL"),
        ("event_name", "text NOT NULL"),
        ("event_date", "date NOT NULL"),
        ("venue", "text"),
        ("city", "text"),
        ("full_name", "text NOT NULL"),
        ("email", "text"),
        ("phone", "text"),
        ("company_name", "text"),
        ("industry", "text"),
        ("ticket_price", "numeric(10,2) NOT NULL"),
        ("currency", "char(3) NOT NULL"),
        ("paid", "boolean NOT NULL"),
        ("card_last4", "text"),
        ("dietary_requirements", "text"),
        ("attendee_note", "text"),
        ("share_on_attendee_list", "boolean NOT NULL"),
        ("photo_consent", "boolean NOT NULL"),
        ("registered_at", "timestamptz NOT NULL"),
        ("checked_in_at", "timestamptz"),
    ),
    "events_attendee_lists": (
        ("event_code", "text NOT NULL"),
        ("full_name", "text NOT NULL"),
        ("job_title", "text"),
        ("company_name", "text"),
        ("email", "text"),
        ("shared_with", "text NOT NULL"),
        ("shared_at", "timestamptz NOT NULL"),
    ),
    "support_tickets": (
        ("ticket_number", "text NOT NULL UNIQUE"),
        ("customer_number", "text"),
        ("requester_name", "text NOT NULL"),
        ("requester_email", "text"),
        ("requester_phone", "text"),
        ("channel", "text NOT NULL"),
        ("product", "text"),
        ("subject", "text NOT NULL"),
        ("body", "text NOT NULL"),
        ("status", "text NOT NULL"),
        ("priority", "text NOT NULL"),
        ("opened_at", "timestamptz NOT NULL"),
        ("closed_at", "timestamptz"),
    ),
    "support_messages": (
        ("ticket_number", "text NOT NULL"),
        ("direction", "text NOT NULL"),
        ("author_name", "text NOT NULL"),
        ("author_email", "text"),
        ("body", "text NOT NULL"),
        ("sent_at", "timestamptz NOT NULL"),
    ),
    "marketing_preferences": (
        ("email", "text NOT NULL"),
        ("phone", "text"),
        ("full_name", "text"),
        ("postal_address", "text"),
        ("email_opt_in", "boolean NOT NULL"),
        ("email_opt_in_at", "timestamptz"),
        ("sms_opt_in", "boolean NOT NULL"),
        ("sms_opt_in_at", "timestamptz"),
        ("post_opt_in", "boolean NOT NULL"),
        ("legal_basis", "text NOT NULL"),
        ("source", "text NOT NULL"),
        ("unsubscribed_at", "timestamptz"),
        ("updated_at", "timestamptz NOT NULL"),
    ),
    "marketing_email_events": (
        ("email", "text NOT NULL"),
        ("campaign", "text NOT NULL"),
        ("event", "text NOT NULL"),
        ("link_url", "text"),
        ("occurred_at", "timestamptz NOT NULL"),
    ),
    "marketing_broker_leads": (
        ("broker", "text NOT NULL"),
        ("broker_record_id", "text NOT NULL"),
        ("full_name", "text"),
        ("job_title", "text"),
        ("company_name", "text"),
        ("company_size", "text"),
        ("industry", "text"),
        ("email", "text"),
        ("phone", "text"),
        ("acquired_at", "timestamptz NOT NULL"),
        ("licence_expires_on", "date"),
        ("attributes", "jsonb NOT NULL"),
    ),
    "app_location_pings": (
        ("user_email", "text NOT NULL"),
        ("device_id", "uuid NOT NULL"),
        ("recorded_at", "timestamptz NOT NULL"),
        ("latitude", "numeric(9,6)"),
        ("longitude", "numeric(9,6)"),
        ("accuracy_m", "integer"),
        ("service_call_ref", "text"),
        ("location_consent", "boolean NOT NULL"),
    ),
    "app_usage_events": (
        ("user_email", "text NOT NULL"),
        ("device_id", "uuid NOT NULL"),
        ("platform", "text NOT NULL"),
        ("app_version", "text NOT NULL"),
        ("event_type", "text NOT NULL"),
        ("search_query", "text"),
        ("result_count", "integer"),
        ("suggestion", "text"),
        ("occurred_at", "timestamptz NOT NULL"),
    ),
    "web_page_views": (
        ("cookie_id", "text NOT NULL"),
        ("user_email", "text"),
        ("ip", "inet NOT NULL"),
        ("user_agent", "text"),
        ("browser", "text"),
        ("browser_version", "text"),
        ("os", "text"),
        ("screen_resolution", "text"),
        ("timezone", "text"),
        ("plugins", "jsonb"),
        ("url", "text NOT NULL"),
        ("referrer", "text"),
        ("event_type", "text NOT NULL"),
        ("response_ms", "integer"),
        ("visit_seconds", "integer"),
        ("occurred_at", "timestamptz NOT NULL"),
    ),
    "web_call_log": (
        ("caller_phone", "text NOT NULL"),
        ("called_number", "text NOT NULL"),
        ("started_at", "timestamptz NOT NULL"),
        ("duration_seconds", "integer NOT NULL"),
        ("last_page_url", "text"),
        ("agent", "text"),
    ),
    "web_cookies": (
        ("cookie_id", "text NOT NULL UNIQUE"),
        ("user_email", "text"),
        ("first_seen", "timestamptz NOT NULL"),
        ("last_seen", "timestamptz NOT NULL"),
        ("consent", "jsonb NOT NULL"),
        ("user_agent", "text"),
    ),
}
COLUMNS: dict[str, tuple[str, ...]] = {
    table: tuple(name for name, _ in columns) for table, columns in _SCHEMAS.items()
}
# A system's tables share a prefix; the prefix is the unit a person is "in" or not.
FAMILIES = ("crm", "billing", "events", "support", "marketing", "app", "web")


def table_family(table: str) -> str:
    return table.split("_", 1)[0]


# Restriction (Art. 18): every table carries the flag the systems' own exports honour. It is
# not among the generated columns (`COLUMNS`): loading leaves it at its default.
RESTRICTION_COLUMN = "processing_restricted"


def create_table_sql(table: str) -> str:
    columns = ", ".join(f"{quote_ident(name)} {kind}" for name, kind in _SCHEMAS[table])
    return (
        f"CREATE TABLE IF NOT EXISTS {quote_ident(table)} "
        f"(id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, {columns}, "
        f"{quote_ident(RESTRICTION_COLUMN)} boolean NOT NULL DEFAULT false)"
    )


def add_flag_sql(table: str, column: str) -> str:
    """For databases seeded before the flag existed (or a system naming its own flag column)."""
    return (
        f"ALTER TABLE {quote_ident(table)} ADD COLUMN IF NOT EXISTS {quote_ident(column)}"
        " boolean NOT NULL DEFAULT false"
    )


def suppression_table_sql(table: str) -> str:
    """The list a company's mailings check before sending (objection to direct marketing)."""
    return (
        f"CREATE TABLE IF NOT EXISTS {quote_ident(table)} (value text PRIMARY KEY,"
        " kind text NOT NULL CHECK (kind IN ('email', 'phone')),"
        " added_at timestamptz NOT NULL DEFAULT now(), source text)"
    )


@dataclass(frozen=True)
class Extras:
    """What a company's systems need beyond their tables: flag columns and suppression lists."""

    flags: dict[str, frozenset[str]] = field(default_factory=dict)
    suppression_tables: tuple[str, ...] = ()


def company_extras(company: Company) -> Extras:
    flags: dict[str, set[str]] = {}
    suppression: list[str] = []
    for system in company.systems:
        if system.kind is not SystemKind.POSTGRES:
            continue
        for mapping in system.tables:
            flags.setdefault(mapping.table, set()).add(system.restriction_column)
        if system.suppression_table and system.suppression_table not in suppression:
            suppression.append(system.suppression_table)
    return Extras({t: frozenset(c) for t, c in flags.items()}, tuple(suppression))


def export_views_sql(tables: Iterable[str], suppression_tables: Sequence[str]) -> list[str]:
    """Views standing in for the systems' own exports, which leave restricted and suppressed
    people out: what a mailing or an analytics feed would actually read."""
    present = set(tables)
    flag = quote_ident(RESTRICTION_COLUMN)
    views: list[str] = []
    if "marketing_preferences" in present:
        suppressed = "".join(
            f" AND NOT EXISTS (SELECT 1 FROM {quote_ident(s)} AS s"  # noqa: S608
            " WHERE s.value = lower(p.email) OR s.value = p.phone)"
            for s in suppression_tables
        )
        views.append(
            "CREATE OR REPLACE VIEW marketing_export AS SELECT p.* FROM marketing_preferences AS p"  # noqa: S608
            f" WHERE p.email_opt_in AND NOT p.{flag}{suppressed}"
        )
    parts = [
        f"SELECT '{table}'::text AS source_table, id, user_email, event_type, occurred_at"  # noqa: S608
        f" FROM {quote_ident(table)} WHERE NOT {flag}"
        for table in ("web_page_views", "app_usage_events")
        if table in present
    ]
    if parts:
        views.append("CREATE OR REPLACE VIEW analytics_export AS " + " UNION ALL ".join(parts))
    return views


def company_tables(company: Company) -> dict[str, dict[IdentityKey, str]]:
    """The tables of a company's PostgreSQL systems, checked against the known schemas.

    A registry edit that names a table or column the seeder cannot create should fail here,
    with the name, rather than as a missing-column error in the middle of a request.
    """
    tables: dict[str, dict[IdentityKey, str]] = {}
    for system in company.systems:
        if system.kind is not SystemKind.POSTGRES:
            continue
        for mapping in system.tables:
            if mapping.table not in _SCHEMAS:
                raise ValueError(
                    f"{company.code}/{system.code}: the demo seeder has no schema for table {mapping.table}"
                )
            known = {"id", *COLUMNS[mapping.table]}
            missing = sorted({mapping.key_column, *mapping.match.values()} - known)
            if missing:
                raise ValueError(
                    f"{company.code}/{system.code}: table {mapping.table} has no column(s) "
                    f"{', '.join(missing)}"
                )
            tables.setdefault(mapping.table, {}).update(mapping.match)
    return tables

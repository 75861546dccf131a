"""Connection pools and schema migrations for the case store.

Migrations are plain, numbered SQL files under `infra/migrations`, applied in order inside
one transaction each and recorded in `schema_migrations`; an advisory lock lets several
workers start at once without racing to migrate.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg

from dsar.config import PROJECT_ROOT

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

# A plain connection or one borrowed from a pool; activities accept either.
Conn: TypeAlias = "asyncpg.Connection[Any] | PoolConnectionProxy[Any]"

MIGRATIONS_DIR = PROJECT_ROOT / "infra" / "migrations"
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_LOCK_ID = 0x44534152  # "DSAR"


def quote_ident(identifier: str) -> str:
    """Quote a (registry-validated) SQL identifier; values always go as bound parameters."""
    return '"' + identifier.replace('"', '""') + '"'


async def init_connection(conn: asyncpg.Connection) -> None:
    # jsonb arrives as Python objects, so activities never hand-parse JSON text.
    # Binary format, so COPY (used to stream collected records) can encode it too.
    await conn.set_type_codec(
        "jsonb",
        encoder=_jsonb_encode,
        decoder=_jsonb_decode,
        schema="pg_catalog",
        format="binary",
    )


def _jsonb_encode(value: Any) -> bytes:
    return b"\x01" + json.dumps(value, ensure_ascii=False).encode("utf-8")


def _jsonb_decode(data: bytes) -> Any:
    # The first byte is jsonb's binary format version.
    return json.loads(data[1:])


@asynccontextmanager
async def connection(dsn: str) -> AsyncIterator[asyncpg.Connection[Any]]:
    """One short-lived connection (CLI commands, set-up), with the same codecs as the pool."""
    conn = await asyncpg.connect(dsn)
    try:
        await init_connection(conn)
        yield conn
    finally:
        await conn.close()


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """A pool with the case store's codecs. The workers size theirs by `Settings.db_pool`
    (DSAR_DB_POOL_SIZE, else their activity slots up to a cap): a pool follows the slots."""
    pool = await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, init=init_connection)
    assert pool is not None
    return pool


def migration_files(directory: Path = MIGRATIONS_DIR) -> list[tuple[int, Path]]:
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise ValueError(f"migration file {path.name} must be named NNNN_description.sql")
        found.append((int(match.group(1)), path))
    versions = [v for v, _ in found]
    if len(versions) != len(set(versions)):
        raise ValueError("two migration files share a version number")
    return found


# Each component's group role (migration 0010); deployments create one login per component
# (and per company) in its group, with a password.
COMPONENT_ROLES = {
    "control": "dsar_control",
    "company": "dsar_company",
    "public": "dsar_public",
    "team": "dsar_team",
}


async def ensure_app_login(admin_dsn: str, user: str = "dsar") -> None:
    """A login user with the control worker's privileges (the old shared role, dsar_app)."""
    if not user.isidentifier():
        raise ValueError("the application user must be a plain identifier")
    async with connection(admin_dsn) as conn:
        exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", user)
        if not exists:
            await conn.execute(f'CREATE ROLE "{user}" LOGIN IN ROLE dsar_app')


async def ensure_login(
    case_admin_dsn: str,
    user: str,
    component: str,
    *,
    password: str | None = None,
    company: str | None = None,
) -> None:
    """A component's login in its group role, with its password; a company worker's login is
    mapped to its company, which is all row-level security lets it see.

    `case_admin_dsn` is the case store's database as its owner (the mapping lives there)."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", user):
        raise ValueError("a login name must be lower-case letters, digits and underscores")
    if (component == "company") != (company is not None):
        raise ValueError("a company worker's login, and only that, names its company")
    group = COMPONENT_ROLES[component]
    async with connection(case_admin_dsn) as conn, conn.transaction():
        if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", user):
            await conn.execute(f"CREATE ROLE {quote_ident(user)} LOGIN")
        await conn.execute(f"GRANT {group} TO {quote_ident(user)}")
        if password is not None:
            literal = await conn.fetchval("SELECT quote_literal($1)", password)
            await conn.execute(f"ALTER ROLE {quote_ident(user)} PASSWORD {literal}")
        if company is not None:
            # Its own rows of the COPY-filled tables are views in this schema (migration 0010).
            await conn.execute(f"ALTER ROLE {quote_ident(user)} SET search_path = dsar_company_rows, public")
            await conn.execute(
                "INSERT INTO company_db_logins (login, company) VALUES ($1, $2)"
                " ON CONFLICT (login) DO UPDATE SET company = excluded.company",
                user,
                company,
            )


COMPANY_LOGIN_PREFIX = "dsar_co_"


async def register_company_logins(case_admin_dsn: str, codes: list[str]) -> list[str]:
    """Map each existing login named dsar_co_<code> to its company (deployments create the
    logins before the schema exists; the mapping lives in it). Returns the logins mapped."""
    async with connection(case_admin_dsn) as conn:
        rows = await conn.fetch(
            "INSERT INTO company_db_logins (login, company)"
            " SELECT r.rolname, c.code FROM unnest($1::text[]) AS c(code)"
            " JOIN pg_roles r ON r.rolname = $2 || c.code"
            " ON CONFLICT (login) DO UPDATE SET company = excluded.company RETURNING login",
            codes,
            COMPANY_LOGIN_PREFIX,
        )
        for row in rows:
            await conn.execute(
                f"ALTER ROLE {quote_ident(row['login'])} SET search_path = dsar_company_rows, public"
            )
    return [str(r["login"]) for r in rows]


async def migrate(dsn: str, directory: Path = MIGRATIONS_DIR) -> list[int]:
    """Apply pending migrations; returns the versions applied now."""
    conn = await asyncpg.connect(dsn)
    applied_now: list[int] = []
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_ID)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version int PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
        for version, path in migration_files(directory):
            if version in done:
                continue
            async with conn.transaction():
                await conn.execute(path.read_text(encoding="utf-8"))
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                    version,
                    path.name,
                )
            applied_now.append(version)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_ID)
        await conn.close()
    return applied_now

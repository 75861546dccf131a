"""A long-time app user with a great many analytics events, for scale tests and the benchmark.

The rows are generated inside PostgreSQL (`generate_series`), so a million of them take
seconds to create and nothing large passes through Python. They belong to a person who is
in no other demo system, so they never change what tests about the well-known people see.
"""

from __future__ import annotations

import asyncpg

HEAVY_USER_EMAIL = "heavy.user@example.se"
HEAVY_USER_NAME = "Frida Storanvändare"
TABLE = "app_usage_events"  # se01's app system, matched on user_email


async def seed_events(dsn: str, count: int, email: str = HEAVY_USER_EMAIL) -> int:
    """Make the person have exactly `count` usage events (idempotent for the same count)."""
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            have = await conn.fetchval(f"SELECT count(*) FROM {TABLE} WHERE lower(user_email) = $1", email)  # noqa: S608
            if have == count:
                return count
            await conn.execute(f"DELETE FROM {TABLE} WHERE lower(user_email) = $1", email)  # noqa: S608
            await conn.execute(
                f"INSERT INTO {TABLE} (user_email, device_id, platform, app_version, event_type,"  # noqa: S608
                " search_query, result_count, suggestion, occurred_at)"
                " SELECT $1, md5('device' || (n % 3))::uuid,"
                " (ARRAY['ios', 'android', 'web'])[1 + n % 3], '4.' || (n % 12) || '.0',"
                " (ARRAY['app_open', 'search', 'view_job', 'sync', 'photo_upload'])[1 + n % 5],"
                " CASE WHEN n % 5 = 1 THEN 'work order ' || (n % 997) END,"
                " CASE WHEN n % 5 = 1 THEN n % 40 END, NULL,"
                " timestamptz '2019-01-01 06:00+00' + n * interval '97 seconds'"
                " FROM generate_series(1, $2::integer) AS n",
                email,
                count,
            )
        # As a table in use would be: statistics current, visibility map set (no hint-bit
        # writes on the first read of a million fresh rows).
        await conn.execute(f"VACUUM (ANALYZE) {TABLE}")
        return count
    finally:
        await conn.close()

"""Shared fixtures: the real servers the product runs on, started once per test session.

PostgreSQL, S3 and SMTP are the same local servers `dsar dev` runs (`devstack.local_servers`);
Temporal is either the time-skipping test server (long clocks) or the dev server
(visibility, end to end). Nothing is mocked but what lies outside the product.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from casestore.db import create_pool, ensure_login, migrate
from casestore.storage import ensure_bucket, s3_client
from devstack.demo_outside import DemoNewsletterApi, seed_demo_objects
from devstack.local_servers import LocalPostgres, LocalS3, MailCatcher, free_port, venv_binary
from dsar import search_attributes as sa
from dsar.codec import KeyRing, data_converter
from dsar.config import Settings
from dsar.group import GroupRegistry, load_group
from tests.signing_team import ServerClock, roles_text, signer, write_keys

os.environ.setdefault("DSAR_PG_FAST", "1")
# Test-only: every process of the tests appends to the audit trail with this key.
TEST_AUDIT_MAC_KEYS = "t1:test-only-audit-mac-key-0123456789abcdef"
os.environ.setdefault("DSAR_AUDIT_MAC_KEYS", TEST_AUDIT_MAC_KEYS)

# The case store's logins in the tests, one per component (docs/case-store-security.md);
# `case_dsn` (and `case_pool`) is the control worker's, which runs most activities.
CONTROL_LOGIN, PUBLIC_LOGIN, TEAM_LOGIN = "dsar", "dsar_pages", "dsar_cli"


# The shared case store's logins' DSNs, once the `servers` fixture made them: helpers that are
# not fixtures (the pages' test client) take their own component's login from here.
ROLE_DSNS: dict[str, str] = {}


def company_login(code: str) -> str:
    return f"dsar_co_{code}"


async def prepare_case_store(postgres: LocalPostgres, database: str = "dsar") -> dict[str, str]:
    """Migrate a case-store database and give each component its login (with a password);
    returns each component's DSN: control, public, team, and company:<code> per company."""
    admin = postgres.dsn(database)
    await migrate(admin)
    logins = {"control": CONTROL_LOGIN, "public": PUBLIC_LOGIN, "team": TEAM_LOGIN}
    for component, user in logins.items():
        await ensure_login(admin, user, component, password=postgres.password_for(user))
    dsns = {component: postgres.dsn(database, user) for component, user in logins.items()}
    for company in load_group().companies:
        user = company_login(company.code)
        await ensure_login(admin, user, "company", password=postgres.password_for(user), company=company.code)
        dsns[f"company:{company.code}"] = postgres.dsn(database, user)
    return dsns


@dataclass
class Servers:
    postgres: LocalPostgres
    s3: LocalS3
    mail: MailCatcher
    case_dsn: str
    connections: dict[str, str]
    newsletter: DemoNewsletterApi
    role_dsns: dict[str, str] = field(default_factory=dict)  # prepare_case_store's

    async def as_owner(self, sql: str, *args: Any) -> None:
        """One statement as the schema's owner: what no component's own login may do (move a
        code's clock or its tries), which a test stands in for."""
        conn = await asyncpg.connect(self.postgres.dsn("dsar"))
        try:
            await conn.execute(sql, *args)
        finally:
            await conn.close()

    def settings(self, ring_text: str, **overrides: str) -> Settings:
        env = {
            "DSAR_DATABASE_URL": self.case_dsn,
            "DSAR_S3_ENDPOINT_URL": self.s3.endpoint_url,
            "DSAR_S3_BUCKET": "dsar-test-packages",
            "DSAR_SMTP_URL": self.mail.url,
            "DSAR_CODEC_KEYS": ring_text.replace("\n", ","),
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test-secret",
            "DSAR_DOWNLOAD_SIGNING_KEY": DOWNLOAD_SIGNING_KEY,
            "DSAR_DOWNLOAD_BASE_URL": "http://download.test",
            "DSAR_AUDIT_MAC_KEYS": TEST_AUDIT_MAC_KEYS,
            **{f"DSAR_CONN_{k}": v for k, v in self.connections.items()},
            **overrides,
        }
        return Settings.from_env(env)


HISTORIES = Path(__file__).parent / "histories"
# Test-only: signs download links in the workflow tests and checks them in the page tests.
DOWNLOAD_SIGNING_KEY = "test-only-download-signing-key-0123456789abcdef"


@pytest.fixture(scope="session")
def key_text() -> str:
    """A fixed test-only key, so histories recorded by one run replay in every later run."""
    lines = (HISTORIES / "test-codec-keys").read_text().splitlines()
    return "\n".join(line for line in lines if line and not line.startswith("#"))


@pytest.fixture(scope="session")
def ring(key_text: str) -> KeyRing:
    return KeyRing.parse(key_text)


@pytest.fixture(scope="session")
def registry() -> GroupRegistry:
    return load_group()


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory, registry: GroupRegistry) -> Iterator[Servers]:
    import asyncio

    from devstack.demo_group import seed_demo_group

    root = tmp_path_factory.mktemp("servers")
    postgres = LocalPostgres(root / "pg", free_port(), root / "logs" / "pg.log")
    s3 = LocalS3(free_port())
    mail = MailCatcher(root / "mail", free_port())
    newsletter = DemoNewsletterApi(free_port())
    postgres.start()
    try:
        s3.start()
        mail.start()
        newsletter.start()
        postgres.create_database("dsar")
        role_dsns = asyncio.run(prepare_case_store(postgres))
        case_dsn = role_dsns["control"]
        ROLE_DSNS.update(role_dsns)
        databases = asyncio.run(seed_demo_group(postgres.admin_dsn, registry))
        s3_settings = Settings.from_env(
            {
                "DSAR_S3_ENDPOINT_URL": s3.endpoint_url,
                "AWS_ACCESS_KEY_ID": "test",
                "AWS_SECRET_ACCESS_KEY": "test-secret",
            }
        )
        outside = seed_demo_objects(s3_client(s3_settings), s3_settings.s3_region)
        connections = databases | outside | newsletter.connections()
        servers = Servers(postgres, s3, mail, case_dsn, connections, newsletter, role_dsns)
        yield servers
    finally:
        newsletter.stop()
        mail.stop()
        s3.stop()
        postgres.stop()


ROLES = roles_text()


@pytest.fixture(scope="session")
def roles_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("roles") / "roles.toml"
    path.write_text(ROLES, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def team_keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test team's private keys, where the `dsar` command looks (DSAR_KEYS_DIR)."""
    return write_keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="session")
def settings(servers: Servers, key_text: str, roles_file: Path) -> Settings:
    settings = servers.settings(key_text, DSAR_ROLES_FILE=str(roles_file))
    ensure_bucket(s3_client(settings), settings.s3_bucket, settings.s3_region)
    return settings


@pytest_asyncio.fixture(scope="session")
async def case_pool(servers: Servers) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(servers.case_dsn)
    yield pool
    await pool.close()


@pytest_asyncio.fixture(scope="session")
async def source_pools(servers: Servers) -> AsyncIterator[dict[str, asyncpg.Pool]]:
    pools = {
        name: await create_pool(dsn, max_size=4)
        for name, dsn in servers.connections.items()
        if dsn.startswith("postgres")
    }
    yield pools
    for pool in pools.values():
        await pool.close()


@asynccontextmanager
async def time_skipping_server(ring: KeyRing) -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server, with the product's codec and search attributes."""
    clock = ServerClock()
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=venv_binary("temporal-test-server"),
        data_converter=data_converter(ring),
        interceptors=[signer(clock)],
    )
    clock.now = env.get_current_time
    await register_search_attributes(env)
    try:
        yield env
    finally:
        await env.shutdown()


@pytest_asyncio.fixture(scope="session")
async def time_skipping_env(ring: KeyRing) -> AsyncIterator[WorkflowEnvironment]:
    async with time_skipping_server(ring) as env:
        yield env


@pytest_asyncio.fixture
async def own_time_skipping_env(ring: KeyRing) -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server for one test, for tests that skip weeks ahead.

    The shared server's clock is one for all tests, and a skip can stall behind work left
    by an earlier test (its workers gone); a test whose point is a long wait gets a
    server of its own, started in about a second.
    """
    async with time_skipping_server(ring) as env:
        yield env


@pytest_asyncio.fixture(scope="session")
async def dev_env(ring: KeyRing) -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=venv_binary("temporal"),
        data_converter=data_converter(ring),
        search_attributes=sa.ALL,
        dev_server_log_level="warn",
        interceptors=[signer(ServerClock())],
    )
    yield env
    await env.shutdown()


async def register_search_attributes(env: WorkflowEnvironment) -> None:
    """The time-skipping server knows no custom search attributes until told; an
    unregistered upsert fails the workflow task and the test would just hang."""
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest

    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=env.client.namespace,
            search_attributes={
                key.name: IndexedValueType.ValueType(key.indexed_value_type) for key in sa.ALL
            },
        )
    )


@pytest.fixture
def task_suffix() -> str:
    return f"-t{uuid.uuid4().hex[:8]}"


def tests_dir() -> Path:
    return Path(__file__).parent


async def record_history(handle: Any, name: str) -> None:
    """With DSAR_RECORD_HISTORIES=1, keep this run's history as a replay fixture.

    Record a new shape whenever workflow code changes in a way that is released; old
    recordings stay, so every shape ever shipped keeps replaying."""
    if os.environ.get("DSAR_RECORD_HISTORIES") != "1":
        return
    history = await handle.fetch_history()
    target = HISTORIES / f"{name}.json"
    target.write_text(history.to_json(), encoding="utf-8")

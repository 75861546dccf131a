"""Worker entry points: `python -m workers control`, `python -m workers company <code>` or
`python -m workers packaging`.

Containers run one of these each; configuration comes only from the environment.
SIGTERM (container stop) and Ctrl-C shut the worker down gracefully, letting running
activities finish within the grace period. `python -m workers setup [--demo]` is the
one-shot job before them. The commands are typer's, like the `dsar` command's.
"""

from __future__ import annotations

import asyncio
import signal
from contextlib import AsyncExitStack
from typing import Annotated

import httpx
import structlog
import typer

from casestore.db import create_pool, migrate
from dsar.client import connect, ensure_namespace, key_ring
from dsar.config import Settings
from dsar.group import SystemKind, load_group
from dsar.logs import configure_logging
from workers.audit_anchor import anchor_loop
from workers.company import company_worker
from workers.control import control_worker
from workers.faults import fault_interceptors
from workers.identity_relay import IdentityRelay, relay_client
from workers.metrics import publish_case_metrics, runtime_with_metrics
from workers.packaging import packaging_worker
from workers.schedules import ensure_schedules

log = structlog.get_logger("workers")

app = typer.Typer(
    name="python -m workers",
    help="Run a worker of the DSAR product, or the setup job before the workers.",
    no_args_is_help=True,
    add_completion=False,
)


async def run(role: str, company_code: str | None) -> None:
    settings = Settings.from_env()
    configure_logging(settings.log_format, settings.log_level)
    registry = load_group()
    ring = key_ring(settings)
    runtime = runtime_with_metrics(settings.metrics_bind)
    client = await connect(settings, ring, runtime)
    faults = fault_interceptors()  # empty unless the chaos harness set DSAR_FAULT_INJECT
    stop = asyncio.Event()
    async with AsyncExitStack() as stack:
        if role == "control":
            await migrate(settings.migration_database_url or settings.database_url)
            pool = await create_pool(
                settings.control_database_url or settings.database_url,
                max_size=settings.db_pool(settings.control_activity_slots),
            )
            stack.push_async_callback(pool.close)
            http = httpx.AsyncClient(timeout=httpx.Timeout(30.0), follow_redirects=False)
            stack.push_async_callback(http.aclose)
            worker = control_worker(
                client,
                settings=settings,
                ring=ring,
                registry=registry,
                pool=pool,
                http=http,
                interceptors=faults,
            )
            # The retention purge (docs/retention.md) and each jurisdiction's team reminders; one
            # that cannot be made is logged, and the worker still serves requests.
            await ensure_schedules(client, settings)
            # Codes entered on the verification page reach their workflows through this relay.
            signing = relay_client(client, settings)
            if signing is None:
                # Codes entered stay in the case store (the relay's outbox) until a relay with a key runs.
                log.error("identity.relay_disabled", reason="DSAR_RELAY_SIGNING_KEY_FILE is not set")
            else:
                relay = asyncio.create_task(IdentityRelay(signing, pool).run(stop))
                stack.push_async_callback(lambda: relay)
            # The audit chain's head, anchored outside the database at least hourly.
            anchors = asyncio.create_task(anchor_loop(pool, settings, stop))
            stack.push_async_callback(lambda: anchors)
            if runtime is not None:
                gauges = asyncio.create_task(publish_case_metrics(pool, runtime.metric_meter, stop))
                stack.push_async_callback(lambda: gauges)
        elif role == "packaging":
            # The control worker's login: a package is read from every company's results.
            dsn = settings.control_database_url or settings.database_url
            pool = await create_pool(dsn, max_size=settings.db_pool(settings.packaging_slots))
            stack.push_async_callback(pool.close)
            worker = packaging_worker(
                client, settings=settings, ring=ring, registry=registry, pool=pool, interceptors=faults
            )
        else:
            assert company_code is not None
            company = registry.company(company_code)
            # As many connections as activity slots (up to a cap): a collector holds one of
            # each pool for its whole run, and a slot waiting for a connection does nothing.
            pool_size = settings.db_pool(settings.company_activity_slots)
            case_pool = await create_pool(
                settings.company_database_url or settings.database_url, max_size=pool_size
            )
            stack.push_async_callback(case_pool.close)
            sources = {}
            databases = {
                s.connection for s in company.systems if s.connection and s.kind is SystemKind.POSTGRES
            }
            for name in sorted(databases):
                source = await create_pool(settings.connection(name), max_size=pool_size)
                stack.push_async_callback(source.close)
                sources[name] = source
            http = httpx.AsyncClient(timeout=httpx.Timeout(30.0), follow_redirects=False)
            stack.push_async_callback(http.aclose)
            worker = company_worker(
                client,
                company=company,
                settings=settings,
                ring=ring,
                registry=registry,
                case_pool=case_pool,
                sources=sources,
                http=http,
                interceptors=faults,
            )
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with worker:
            log.info("worker.started", role=role, company=company_code, task_queue=worker.task_queue)
            await stop.wait()
        log.info("worker.stopped", role=role, company=company_code)


async def run_setup(demo: bool) -> None:
    """One-shot job before the workers: schema, bucket, search attributes (and demo data)."""
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest

    from casestore.anchor import ensure_anchor_bucket
    from casestore.db import register_company_logins
    from casestore.storage import ensure_bucket, s3_client
    from dsar import search_attributes as sa

    settings = Settings.from_env()
    configure_logging(settings.log_format, settings.log_level)
    owner = settings.migration_database_url or settings.database_url
    await migrate(owner)
    # Company workers' logins (dsar_co_<code>, made with the database) see only their company.
    await register_company_logins(owner, [c.code for c in load_group().companies])
    ensure_bucket(s3_client(settings), settings.s3_bucket, settings.s3_region)
    ensure_anchor_bucket(s3_client(settings), settings.audit_anchor_bucket, settings.s3_region)
    client = await connect(settings)
    await ensure_namespace(client)  # the server's image no longer creates it (docs/containers.md)
    existing = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=settings.temporal_namespace)
    )
    missing = {
        key.name: IndexedValueType.ValueType(key.indexed_value_type)
        for key in sa.ALL
        if key.name not in existing.custom_attributes
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=settings.temporal_namespace, search_attributes=missing)
        )
    if demo:
        from devstack.demo_group import seed_demo_group

        admin = settings.migration_database_url or settings.database_url
        await seed_demo_group(admin, load_group())
    log.info("setup.done", search_attributes_added=sorted(missing), demo=demo)


@app.command()
def control() -> None:
    """The control-plane worker."""
    asyncio.run(run("control", None))


@app.command()
def company(
    code: Annotated[str, typer.Argument(help="company code from the group registry, e.g. se01")],
) -> None:
    """The worker of one group company."""
    codes = [c.code for c in load_group().companies]
    if code not in codes:
        raise typer.BadParameter(f"unknown code {code!r}; known: {', '.join(codes)}", param_hint="company")
    asyncio.run(run("company", code))


@app.command()
def packaging() -> None:
    """A worker building response packages (run as many as the load needs)."""
    asyncio.run(run("packaging", None))


@app.command()
def setup(
    demo: Annotated[bool, typer.Option("--demo", help="also load the demo group's data")] = False,
) -> None:
    """Migrate, create the bucket, register search attributes."""
    asyncio.run(run_setup(demo))


def main() -> None:
    app()


if __name__ == "__main__":
    main()

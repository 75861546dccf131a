"""The HTTP connector: a generic JSON API of a SaaS system, searched by identity key.

Back-off is Temporal's (the shared rule in `dsar.http_errors`): a 429 or 5xx fails the
attempt as retryable, with the server's Retry-After as the next delay, so waiting costs no
worker slot and survives a restart. An authentication or configuration error is permanent
and reported on the system; a 404 on a search means nobody is held there.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import asyncpg
import httpx
from temporalio import activity

from activities._heartbeat import heartbeating
from activities.case_store import load_subject
from activities.collection import (
    PERMANENT,
    RegistryLookup,
    configured,
    guarded,
    jsonable,
    permanent,
    record_row,
    replace_records,
)
from dsar.codec import KeyRing
from dsar.group import GroupRegistry, System
from dsar.http_errors import check_answer
from dsar.messages.activity_names import Activity
from dsar.messages.collection import CollectSystemInput, SystemResult, SystemStatus

MAX_PAGES = 1000


def system_answered(response: httpx.Response, system: System, *, gone_ok: bool = False) -> bool:
    """The shared HTTP rule (`dsar.http_errors`) as a system's connectors report it."""
    return check_answer(
        response, source=system.code, permanent_type=PERMANENT, gone_ok=gone_ok, token_hint=True
    )


class HttpCollector:
    def __init__(
        self,
        case_pool: asyncpg.Pool,
        ring: KeyRing,
        registry: GroupRegistry,
        http: httpx.AsyncClient,
        connections: dict[str, str],
    ) -> None:
        self._case_pool = case_pool
        self._ring = ring
        self._lookup = RegistryLookup(registry)
        self._http = http
        self._connections = connections

    @activity.defn(name=Activity.COLLECT_HTTP)
    @heartbeating
    async def collect_http_api(self, inp: CollectSystemInput) -> SystemResult:
        system = self._lookup.system(inp.company, inp.system)
        return await guarded(inp, lambda: self._collect(inp, system), (httpx.InvalidURL,))

    async def _collect(self, inp: CollectSystemInput, system: System) -> SystemResult:
        assert system.http is not None and system.connection is not None
        base = configured(self._connections, system)
        token = self._connections.get(f"{system.connection}_TOKEN")
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        async with self._case_pool.acquire() as case:
            keys = (await load_subject(case, self._ring, inp.reference)).search_keys()
        found: dict[str, tuple[dict[str, Any], list[str]]] = {}
        for key, path in system.http.search.items():
            value = keys.get(key)
            if value is None:
                continue
            url: str | None = base.rstrip("/") + path.replace("{value}", quote(value, safe=""))
            pages = 0
            while url and pages < MAX_PAGES:
                body = await self._get(url, headers, system)
                records = body.get(system.http.records_field, []) if isinstance(body, dict) else []
                for record in records if isinstance(records, list) else []:
                    if not isinstance(record, dict):
                        continue
                    ident = str(record.get(system.http.id_field, len(found)))
                    _, matched = found.setdefault(ident, (jsonable(record), []))
                    matched.append(key.value)
                nxt = body.get("next") if isinstance(body, dict) else None
                url = str(httpx.URL(url).join(nxt)) if isinstance(nxt, str) and nxt else None
                pages += 1
                activity.heartbeat(len(found))
        category = system.http.category.value
        rows = [
            record_row(inp, table="api", key=ident, category=category, matched_on=",".join(m), data=data)
            for ident, (data, m) in found.items()
        ]
        result = SystemResult(
            company=inp.company,
            system=inp.system,
            name=system.name,
            kind=system.kind.value,
            status=SystemStatus.COLLECTED,
            records=len(rows),
            bytes=sum(len(str(r[7])) for r in rows),
            categories=[category] if rows else [],
        )
        return await replace_records(self._case_pool, inp.reference, result, rows)

    async def _get(self, url: str, headers: dict[str, str], system: System) -> Any:
        response = await self._http.get(url, headers=headers)
        if not system_answered(response, system, gone_ok=True):
            return {}  # a search path with nobody behind it: nothing held
        try:
            return response.json()
        except ValueError:
            raise permanent(f"{system.code} did not answer with JSON") from None

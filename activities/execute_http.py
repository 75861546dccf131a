"""The HTTP connector for the rights other than access: the SaaS vendor's own action endpoints.

The person's records are found with the same search as collection (one GET per identity
key, `next` links followed); then the registry's spec for the action (`METHOD /path/{id}`
below the connection's base URL) is called once per record id, with the same bearer
token. A system without a spec for the action cannot take it: NOT_APPLICABLE, with a note.

Failures follow the shared rule (`dsar.http_errors`): a 429 or 5xx fails the attempt as
retryable with the server's Retry-After as the next delay; 401 or 403 is permanent (the
token), and so is any other answer outside 2xx. Unlike collection, a 404 on the search is
permanent too: a search endpoint that is not there must not be read as "nothing to
erase". A 404 on an action call means the record is already gone (an earlier attempt
erased it): done, but not counted as changed.

Erasure: a legal hold keeps every record (the letter says so); a registry retention rule
for the system's category keeps them too, since a generic API's records carry no date the
rule could be measured from.

Only codes, counts and HTTP status codes are logged or put in error messages: URLs carry
e-mail addresses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import asyncpg
import httpx
import structlog
from temporalio import activity

from activities._heartbeat import heartbeating
from activities.actions import record_executed, retention_rules
from activities.case_store import load_subject
from activities.collect_http import MAX_PAGES, system_answered
from activities.collection import RegistryLookup, configured, guarded, permanent
from dsar.codec import KeyRing
from dsar.group import Company, GroupRegistry, System
from dsar.messages.actions import Action, ActionResult, ActionStatus, ExecuteSystemInput, KeptData
from dsar.messages.activity_names import Activity

log = structlog.get_logger(__name__)


class HttpExecutor:
    def __init__(
        self,
        case_pool: asyncpg.Pool,
        ring: KeyRing,
        registry: GroupRegistry,
        http: httpx.AsyncClient,
        connections: Mapping[str, str],
    ) -> None:
        self._case_pool = case_pool
        self._ring = ring
        self._lookup = RegistryLookup(registry)
        self._http = http
        self._connections = connections

    @activity.defn(name=Activity.EXECUTE_HTTP)
    @heartbeating
    async def execute_http_api(self, inp: ExecuteSystemInput) -> ActionResult:
        company = self._lookup.company(inp.company)
        system = self._lookup.system(inp.company, inp.system)
        return await guarded(inp, lambda: self._execute(inp, company, system), (httpx.InvalidURL,), "action")

    async def _execute(self, inp: ExecuteSystemInput, company: Company, system: System) -> ActionResult:
        if system.http is None:
            raise permanent(f"{inp.company}/{inp.system} is not an http system")
        result = ActionResult(
            company=inp.company,
            system=inp.system,
            name=system.name,
            kind=system.kind.value,
            action=inp.action,
            status=ActionStatus.DONE,
        )
        spec = next((s for a, s in system.http.actions.items() if a == inp.action.value), None)
        if spec is None:
            note = f"the system's API offers no {inp.action.value} action: ask the system's owner"
            return await record_executed(
                self._case_pool,
                inp,
                result.model_copy(update={"status": ActionStatus.NOT_APPLICABLE, "note": note}),
            )
        method, _, path = spec.partition(" ")
        base = configured(self._connections, system).rstrip("/")
        token = self._connections.get(f"{system.connection}_TOKEN")
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        ids = await self._search(inp, system, base, headers)
        category = system.http.category.value
        if inp.action is Action.ERASE and ids:
            if inp.legal_hold is not None:
                kept = KeptData(
                    category=category, items=len(ids), legal_basis=f"legal hold: {inp.legal_hold}"
                )
                return await record_executed(self._case_pool, inp, result.model_copy(update={"kept": [kept]}))
            rules = retention_rules(system, company, category, inp.jurisdiction)
            if rules:
                rule = max(rules, key=lambda r: r.years)
                kept = KeptData(category=category, items=len(ids), legal_basis=rule.legal_basis)
                return await record_executed(self._case_pool, inp, result.model_copy(update={"kept": [kept]}))
        changed = 0
        for ident in ids:
            url = base + path.replace("{id}", quote(ident, safe=""))
            response = await self._http.request(method, url, headers=headers)
            if system_answered(response, system, gone_ok=True):  # 404: already gone
                changed += 1
            activity.heartbeat(changed)
        return await record_executed(self._case_pool, inp, result.model_copy(update={"changed": changed}))

    async def _search(
        self, inp: ExecuteSystemInput, system: System, base: str, headers: dict[str, str]
    ) -> list[str]:
        """The ids of the person's records, as collection finds them."""
        assert system.http is not None
        async with self._case_pool.acquire() as case:
            keys = (await load_subject(case, self._ring, inp.reference)).search_keys()
        found: dict[str, None] = {}
        for key, path in system.http.search.items():
            value = keys.get(key)
            if value is None:
                continue
            url: str | None = base + path.replace("{value}", quote(value, safe=""))
            pages = 0
            while url and pages < MAX_PAGES:
                body = await self._get(url, headers, system)
                records = body.get(system.http.records_field, []) if isinstance(body, dict) else []
                for record in records if isinstance(records, list) else []:
                    if not isinstance(record, dict):
                        continue
                    ident = record.get(system.http.id_field)
                    if ident is None or isinstance(ident, dict | list) or str(ident) == "":
                        raise permanent(f"a record from {system.code} has no {system.http.id_field}")
                    found[str(ident)] = None
                nxt = body.get("next") if isinstance(body, dict) else None
                url = str(httpx.URL(url).join(nxt)) if isinstance(nxt, str) and nxt else None
                pages += 1
                activity.heartbeat(len(found))
        return list(found)

    async def _get(self, url: str, headers: dict[str, str], system: System) -> Any:
        response = await self._http.get(url, headers=headers)
        system_answered(response, system)  # a 404 here is no "nothing to erase": permanent
        try:
            return response.json()
        except ValueError:
            raise permanent(f"{system.code} did not answer with JSON") from None

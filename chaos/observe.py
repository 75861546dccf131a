"""What a finished request left behind, and how it compares with the undisturbed run.

Everything is read where it landed, not from what the workflow says it did: the e-mails in
the catcher's folder, the artefact rows and the S3 objects, the POSTs the receiving
controller saw, the person's rows in every company's database, the audit chain
(`dsar audit --verify`). The request's final state (`dsar status --json`) is compared
too, with what differs between two people (the reference, dates, names) left out.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
from temporalio.client import Client

from chaos.mailbox import Key, MailBox
from chaos.rig import Rig
from tests.rights_people import PlantedPerson


@dataclass
class Observation:
    state: dict[str, Any] = field(default_factory=dict)
    mails: Counter[Key] = field(default_factory=Counter)
    artefacts: Counter[str] = field(default_factory=Counter)  # kind -> rows
    objects_missing: int = 0
    imports_accepted: int = 0
    posts: int = 0
    rows: dict[str, Any] = field(default_factory=dict)
    audit_intact: bool = False


def _final_state(raw: dict[str, Any]) -> dict[str, Any]:
    """The parts of `dsar status --json` that must be the same for every person."""
    companies = sorted(
        (c["company"], s["system"], s["status"], s.get("records"))
        for c in raw.get("companies", [])
        for s in c.get("systems", [])
    )
    actions = sorted(
        (a["company"], a["system"], a["action"], a["status"], a.get("changed"), len(a.get("kept") or []))
        for a in raw.get("actions", [])
    )
    transmitted = raw.get("transmitted") or {}
    return {
        "status": raw.get("status"),
        "systems": companies,
        "actions": actions,
        "holds": sorted(raw.get("legal_holds", {})),
        "recipients_notified": sorted(raw.get("recipients_notified", [])),
        "transmitted": transmitted.get("status_code"),
        "package": bool(raw.get("package")),
    }


async def _rows(rig: Rig, person: PlantedPerson) -> dict[str, Any]:
    """Per company database and table: the rows that still name the person; crm cities."""
    found: dict[str, Any] = {}
    needles = [person.email.lower(), person.customer_number.lower()]
    for name, dsn in sorted(rig.stack.env.items()):
        if not (name.startswith("DSAR_CONN_") and dsn.startswith("postgresql://")):
            continue
        conn = await asyncpg.connect(dsn)
        try:
            tables = await conn.fetch(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1"
            )
            for row in tables:
                table = str(row["table_name"])
                count = await conn.fetchval(
                    f'SELECT count(*) FROM "{table}" AS r WHERE'  # noqa: S608 - names from the catalogue
                    " position($1 in lower(row_to_json(r)::text)) > 0"
                    " OR position($2 in lower(row_to_json(r)::text)) > 0",
                    *needles,
                )
                if count:
                    found[f"{name.removeprefix('DSAR_CONN_')}.{table}"] = int(count)
            if any(t["table_name"] == "crm_customers" for t in tables):
                cities = await conn.fetch(
                    "SELECT city FROM crm_customers WHERE customer_number = $1", person.customer_number
                )
                found[f"{name.removeprefix('DSAR_CONN_')}.crm_customers.city"] = sorted(
                    str(c["city"]) for c in cities
                )
        finally:
            await conn.close()
    return found


async def _artefacts(rig: Rig, reference: str) -> tuple[Counter[str], int]:
    from casestore.storage import s3_client
    from dsar.config import Settings

    conn = await asyncpg.connect(rig.stack.env["DSAR_MIGRATION_DATABASE_URL"])
    try:
        rows = await conn.fetch("SELECT kind, bucket, s3_key FROM artefacts WHERE reference = $1", reference)
    finally:
        await conn.close()
    s3 = s3_client(Settings.from_env({**rig.stack.env, "DSAR_S3_ENDPOINT_URL": rig.stack.s3.endpoint_url}))
    missing = 0
    for row in rows:
        listed = s3.list_objects_v2(Bucket=row["bucket"], Prefix=row["s3_key"])
        missing += 0 if listed.get("KeyCount", 0) else 1
    return Counter(str(r["kind"]) for r in rows), missing


def observe(rig: Rig, mail: MailBox, reference: str, person: PlantedPerson) -> Observation:
    import asyncio

    obs = Observation()
    shown = rig.dsar("status", reference, "--json")
    if shown.returncode == 0:
        obs.state = _final_state(json.loads(shown.stdout))
    obs.mails = mail.counts(reference)
    obs.artefacts, obs.objects_missing = asyncio.run(_artefacts(rig, reference))
    email = person.email.encode()
    obs.imports_accepted = sum(1 for r in rig.receiver.received if email in r.body)
    obs.posts = sum(1 for body in list(rig.receiver.all_bodies) if email in body)
    obs.rows = asyncio.run(_rows(rig, person))
    obs.audit_intact = rig.dsar("audit", "--verify").returncode == 0
    return obs


def compare(reference: Observation, got: Observation) -> tuple[int, list[str]]:
    """(duplicates, problems): anything sent or stored twice, anything unlike the reference."""
    duplicates = sum(n - 1 for n in got.mails.values() if n > 1)
    duplicates += max(0, got.imports_accepted - 1) + sum(n - 1 for n in got.artefacts.values() if n > 1)
    problems: list[str] = []
    twice = sorted(f"{k}{':' + o if o else ''} x{n}" for (k, o), n in got.mails.items() if n > 1)
    if twice:
        problems.append("mailed twice: " + ", ".join(twice))
    missing = sorted(set(reference.mails) - set(got.mails))
    extra = sorted(set(got.mails) - set(reference.mails))
    if missing:
        problems.append("e-mails missing: " + ", ".join(f"{k}:{o}" if o else k for k, o in missing))
    if extra:
        problems.append(
            "e-mails not in the reference: " + ", ".join(f"{k}:{o}" if o else k for k, o in extra)
        )
    for key in sorted(set(reference.state) | set(got.state)):
        if reference.state.get(key) != got.state.get(key):
            problems.append(f"final state differs in {key}")
    if got.artefacts != reference.artefacts or got.objects_missing:
        problems.append(f"package objects {dict(got.artefacts)} ({got.objects_missing} missing)")
    if got.imports_accepted != reference.imports_accepted:
        problems.append(f"transmissions {got.imports_accepted} (reference {reference.imports_accepted})")
    if got.rows != reference.rows:
        differing = sorted(
            k for k in set(reference.rows) | set(got.rows) if reference.rows.get(k) != got.rows.get(k)
        )
        problems.append("rows differ: " + ", ".join(differing))
    if not got.audit_intact:
        problems.append("audit chain broken")
    return duplicates, problems


# --- when the request moved again -----------------------------------------------------------


async def _histories(client: Client, reference: str) -> list[Any]:
    """The request's history and its children's, found by following child starts."""
    pending, seen, found = [f"dsar-{reference}"], set(), []
    while pending:
        workflow_id = pending.pop()
        if workflow_id in seen:
            continue
        seen.add(workflow_id)
        try:
            history = await client.get_workflow_handle(workflow_id).fetch_history()
        except Exception:  # noqa: S112 - a child not started yet has no history to read
            continue
        found.append(history)
        for event in history.events:
            if event.HasField("child_workflow_execution_started_event_attributes"):
                pending.append(
                    event.child_workflow_execution_started_event_attributes.workflow_execution.workflow_id
                )
    return found


Step = tuple[str, str]  # (activity type, task queue)
Call = tuple[str, str]  # (workflow id, activity id): one activity call, retries included


async def activity_events(
    client: Client, reference: str
) -> tuple[set[Step], list[tuple[datetime, Step, Call]]]:
    """Every (activity type, task queue) scheduled anywhere in the request; completions, by time."""
    scheduled: set[Step] = set()
    completed: list[tuple[datetime, Step, Call]] = []
    for history in await _histories(client, reference):
        steps: dict[int, tuple[Step, str]] = {}
        for event in history.events:
            if event.HasField("activity_task_scheduled_event_attributes"):
                attrs = event.activity_task_scheduled_event_attributes
                step = (attrs.activity_type.name, attrs.task_queue.name)
                steps[event.event_id] = (step, attrs.activity_id)
                scheduled.add(step)
            elif event.HasField("activity_task_completed_event_attributes"):
                done, activity_id = steps.get(
                    event.activity_task_completed_event_attributes.scheduled_event_id, (("", ""), "")
                )
                at = event.event_time.ToDatetime(tzinfo=UTC)
                completed.append((at, done, (history.workflow_id, activity_id)))
    return scheduled, sorted(completed)


def next_progress(
    completed: list[tuple[datetime, Step, Call]], since: datetime, call: Call | None = None
) -> float | None:
    """Seconds from `since` to the completion of the killed `call` (its retry), or of any step."""
    for at, _, done in completed:
        if at > since and (call is None or done == call):
            return (at - since).total_seconds()
    return None

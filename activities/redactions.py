"""Review and redaction (Art. 15(4)): other people's data found in the collected records,
the reviewer's decisions about it, and what the package and `dsar review` make of both.

Where detection runs, and why:
- Names cannot be recognised from text alone, so the detector looks for names the group
  knows. Those live in each company's customer tables (the `fuzzy.name` columns of
  `infra/group.toml`), which only that company's worker may read. So each company's
  worker hands keyed fingerprints of its names (and of their first words, as given
  names) to the case store (`index_known_names`, on the company's queue): no customer
  list leaves a company in clear, and a name known to one company is still found in
  another company's records (a Swedish customer quoted in a British support ticket).
  Only the names the request's records mention are kept: the control worker first notes
  the fingerprints of the records' capitalised phrases (`note_name_candidates`), and the
  case store's `keep_known_names` keeps a company's fingerprints among them (migration
  0018), so a request stores a few of each company's names, not its customer list.
- The scan itself (`scan_redactions`) runs on the control worker over every record of
  the request: it looks up the capitalised phrases of the records among the
  fingerprints, then runs `dsar.redaction.Detector` (e-mail addresses, phone numbers,
  national and organisation numbers, IBANs, cards, and the names just found, plus any
  common given name (the lexicon's, `dsar/redaction/lexicon.py`) followed by a capitalised
  surname; the lexicon and context rules of `dsar/redaction/people.py` find the rest). The
  person's own identifiers are the request's identity plus the identity-key fields of
  records matched exactly, so her own phone in her own ticket is not removed.
- Findings are stored as spans (record, JSON path, start, end, kind, reason), never as
  values, and applied when the package is built, after the reviewer's decisions
  (`casestore.redaction_plan`; what `dsar review` shows is `casestore.review_overview`).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import asyncpg
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities._heartbeat import heartbeating
from activities.case_store import load_subject
from activities.collection import RegistryLookup
from casestore.audit import append_audit
from casestore.db import Conn, quote_ident
from casestore.redaction_plan import MANUAL
from casestore.review_overview import review_overview
from dsar.codec import KeyRing
from dsar.config import PROJECT_ROOT
from dsar.domain import IdentityKey
from dsar.group import GroupRegistry, SystemKind
from dsar.messages.activity_names import Activity
from dsar.messages.review import IndexNamesInput, RedactionDecisionInput, ScanResult
from dsar.redaction import (
    Detector,
    NameCandidate,
    OwnIdentifiers,
    finding_id,
    iter_strings,
    name_candidates,
    name_fingerprint,
    redact_record,
)
from dsar.redaction.lexicon import lexicon

log = structlog.get_logger(__name__)

# `review_overview` is re-exported for the CLI, which imported it from here.
__all__ = [
    "GIVEN_NAMES_FILE",
    "KnownNameActivities",
    "RedactionActivities",
    "common_given_names",
    "own_identifiers",
    "review_overview",
]

_BATCH = 500
GIVEN_NAMES_FILE = PROJECT_ROOT / "infra" / "given_names.txt"


@cache
def common_given_names() -> frozenset[str]:
    """Public statistics, not anyone's data: finds a quoted colleague no company knows. The
    lexicon's given names (those that are no ordinary word) and the short list in infra/."""
    lines = GIVEN_NAMES_FILE.read_text(encoding="utf-8").splitlines()
    listed = {line.strip().lower() for line in lines if line.strip() and not line.startswith("#")}
    lex = lexicon()
    return frozenset(listed | (lex.given - lex.words - lex.not_names))


# Columns of an exactly matched record that hold her postcode or birth date: never removed.
_POSTCODE_COLUMN = re.compile(r"post_?code|postal_?code|postnummer|postnr|zip", re.IGNORECASE)
_ADDRESS_COLUMN = re.compile(r"address|adress|street|gatuadress", re.IGNORECASE)
_BIRTH_COLUMN = re.compile(r"birth|dob|f[oö]delse|born|f[oö]dd", re.IGNORECASE)
_POSTCODE_IN_TEXT = re.compile(r"\b\d{3} ?\d{2}\b|\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b")


def own_identifiers(
    identity: Mapping[str, Any], records: Sequence[asyncpg.Record], registry: GroupRegistry
) -> OwnIdentifiers:
    """The request's identity plus the identity-key fields of exactly matched records:
    those fields are how the systems know the person, so they are hers; so are the
    postcode, address and birth date such a record holds. Used by the scan and by the
    package's file scan alike."""
    found: dict[IdentityKey, set[str]] = defaultdict(set)
    postcodes: set[str] = set()
    births: set[str] = set()
    for key in IdentityKey:
        if identity.get(key.value):
            found[key].add(str(identity[key.value]))
    columns: dict[tuple[str, str, str], Mapping[IdentityKey, str]] = {}
    for company in registry.companies:
        for system in company.systems:
            for mapping in system.tables:
                columns[(company.code, system.code, mapping.table)] = mapping.match
    for record in records:
        data = record["data"]
        match = columns.get((record["company"], record["system"], record["source_table"]))
        if record["needs_confirmation"] or match is None or not isinstance(data, Mapping):
            continue
        for key, column in match.items():
            value = data.get(column)
            if isinstance(value, str) and value.strip():
                found[key].add(value)
        for column, value in data.items():
            if not isinstance(value, str) or not value.strip():
                continue
            if _POSTCODE_COLUMN.search(column):
                postcodes.add(value)
            elif _ADDRESS_COLUMN.search(column):
                postcodes.update(_POSTCODE_IN_TEXT.findall(value))
            elif _BIRTH_COLUMN.search(column):
                births.add(value)
    if identity.get("postcode"):
        postcodes.add(str(identity["postcode"]))
    return OwnIdentifiers.of(
        emails=found[IdentityKey.EMAIL],
        phones=found[IdentityKey.PHONE],
        national_ids=found[IdentityKey.NATIONAL_ID],
        customer_numbers=found[IdentityKey.CUSTOMER_NUMBER],
        names=[str(identity.get("full_name") or "")],
        postcodes=postcodes,
        birth_dates=births,
    )


def invalid(message: str) -> ApplicationError:
    """A decision that names something this request does not have: refused, not retried."""
    return ApplicationError(message, type="InvalidRequestError", non_retryable=True)


@dataclass(frozen=True)
class CandidatePrints:
    """The records' capitalised phrases and their keyed fingerprints (whole and first word):
    what the control worker notes for the companies, and what the scan looks up."""

    candidates: frozenset[NameCandidate]
    full: Mapping[str, str]
    given: Mapping[str, str]

    @classmethod
    def of(cls, records: Sequence[asyncpg.Record], key: bytes) -> CandidatePrints:
        candidates: set[NameCandidate] = set()
        for record in records:
            if isinstance(record["data"], Mapping):
                for _, text in iter_strings(record["data"]):
                    candidates |= name_candidates(text)
        return cls(
            candidates=frozenset(candidates),
            full={c.phrase: name_fingerprint(key, "full", c.phrase) for c in candidates},
            given={c.given: name_fingerprint(key, "given", c.given) for c in candidates if c.given},
        )

    def rows(self) -> set[tuple[str, str]]:
        """(kind, fingerprint) pairs, as `name_candidates` and `known_name_fingerprints` hold them."""
        return {("full", fp) for fp in self.full.values()} | {("given", fp) for fp in self.given.values()}


# --- the company side: names the company knows ---------------------------------------------


class KnownNameActivities:
    """Runs inside one company: reads its customer names, writes only fingerprints."""

    def __init__(
        self,
        case_pool: asyncpg.Pool,
        ring: KeyRing,
        registry: GroupRegistry,
        sources: Mapping[str, asyncpg.Pool],
    ) -> None:
        self._case_pool = case_pool
        self._key = ring.lookup_key
        self._lookup = RegistryLookup(registry)
        self._sources = sources

    @activity.defn(name=Activity.INDEX_KNOWN_NAMES)
    @heartbeating
    async def index_known_names(self, inp: IndexNamesInput) -> int:
        """The company's names for this request's scan; returns how many names it knows."""
        names = await self._names(inp.company)
        full = {name_fingerprint(self._key, "full", n) for n in names}
        given = {name_fingerprint(self._key, "given", n.split()[0]) for n in names}
        async with self._case_pool.acquire() as case:
            if inp.among_candidates:
                # Only the names the records mention are stored (migration 0018).
                await case.execute(
                    "SELECT public.keep_known_names($1, $2, $3::text[], $4::text[])",
                    inp.reference,
                    inp.company,
                    sorted(full),
                    sorted(given),
                )
            else:
                # A request started before `names-among-candidates`: no candidates were noted.
                await self._store_all(case, inp, full, given)
        log.info("redaction.names_indexed", reference=inp.reference, company=inp.company, names=len(names))
        return len(names)

    async def _names(self, company: str) -> set[str]:
        """Every distinct name in the company's customer tables (the `fuzzy.name` columns)."""
        names: set[str] = set()
        for system in self._lookup.company(company).systems:
            source = self._sources.get(system.connection or "")
            if system.kind is not SystemKind.POSTGRES or source is None:
                continue
            for mapping in system.tables:
                if mapping.fuzzy is None:
                    continue
                column = quote_ident(mapping.fuzzy.name)
                rows = await source.fetch(
                    f"SELECT DISTINCT {column} AS name FROM {quote_ident(mapping.table)}"  # noqa: S608
                    f" WHERE {column} IS NOT NULL"
                )
                names.update(str(r["name"]) for r in rows if str(r["name"]).strip())
        return names

    @staticmethod
    async def _store_all(case: Conn, inp: IndexNamesInput, full: set[str], given: set[str]) -> None:
        prints = {("full", fp) for fp in full} | {("given", fp) for fp in given}
        async with case.transaction():
            await case.execute(
                "DELETE FROM known_name_fingerprints WHERE reference = $1 AND company = $2",
                inp.reference,
                inp.company,
            )
            await case.copy_records_to_table(
                "known_name_fingerprints",
                records=[(inp.reference, inp.company, kind, fp) for kind, fp in sorted(prints)],
                columns=["reference", "company", "kind", "fingerprint"],
            )


# --- the control side: the scan, and the reviewer's decisions --------------------------------


class RedactionActivities:
    def __init__(self, pool: asyncpg.Pool, ring: KeyRing, registry: GroupRegistry) -> None:
        self._pool = pool
        self._ring = ring
        self._registry = registry

    @activity.defn(name=Activity.NOTE_NAME_CANDIDATES)
    @heartbeating
    async def note_name_candidates(self, reference: str) -> int:
        """The fingerprints of the records' capitalised phrases, among which each company
        then keeps the names it knows; replaced whole, so a retry or a re-scan after more
        records were collected stores the current set once."""
        async with self._pool.acquire() as conn:
            records = await conn.fetch("SELECT data FROM collected_records WHERE reference = $1", reference)
            prints = CandidatePrints.of(records, self._ring.lookup_key).rows()
            async with conn.transaction():
                await conn.execute("DELETE FROM name_candidates WHERE reference = $1", reference)
                await conn.copy_records_to_table(
                    "name_candidates",
                    records=[(reference, kind, fp) for kind, fp in sorted(prints)],
                    columns=["reference", "kind", "fingerprint"],
                )
        log.info("redaction.candidates_noted", reference=reference, candidates=len(prints))
        return len(prints)

    @activity.defn(name=Activity.SCAN_REDACTIONS)
    @heartbeating
    async def scan_redactions(self, reference: str) -> ScanResult:
        """Scan every record again; a reviewer's keep decisions survive a re-scan."""
        async with self._pool.acquire() as conn:
            subject = await load_subject(conn, self._ring, reference)
            records = await conn.fetch(
                "SELECT id, company, system, source_table, needs_confirmation, data"
                " FROM collected_records WHERE reference = $1 ORDER BY id",
                reference,
            )
            own = own_identifiers(subject.model_dump(), records, self._registry)
            names = await self._known_names(conn, reference, records)
            detector = Detector(own, names, self._ring.lookup_key)
            rows: list[tuple[Any, ...]] = []
            for record in records:
                data = record["data"]
                if not isinstance(data, Mapping):
                    continue
                for f in redact_record(data, detector).findings:
                    rows.append(
                        (
                            reference,
                            record["id"],
                            f.id,
                            f.kind.value,
                            f.path,
                            f.start,
                            f.end,
                            f.reason,
                            f.fingerprint,
                        )
                    )
            async with conn.transaction():
                await conn.execute(
                    "DELETE FROM redactions WHERE reference = $1 AND source = 'auto' AND kept_by IS NULL",
                    reference,
                )
                for i in range(0, len(rows), _BATCH):
                    await conn.executemany(
                        "INSERT INTO redactions (reference, record_id, finding_id, source, kind, path,"
                        " span_start, span_end, reason, fingerprint)"
                        " VALUES ($1, $2, $3, 'auto', $4, $5, $6, $7, $8, $9)"
                        " ON CONFLICT (record_id, finding_id) DO NOTHING",
                        rows[i : i + _BATCH],
                    )
                await append_audit(
                    conn,
                    reference=reference,
                    actor="dsar-redaction",
                    action="redaction.scanned",
                    details={"records": len(records), "findings": len(rows)},
                    idempotency_key=f"{reference}:scan:{activity.info().workflow_run_id}:{activity.info().activity_id}",
                )
        log.info("redaction.scanned", reference=reference, records=len(records), findings=len(rows))
        return ScanResult(records=len(records), findings=len(rows))

    async def _known_names(self, conn: Conn, reference: str, records: list[asyncpg.Record]) -> set[str]:
        """The capitalised phrases of the records that name someone a company knows."""
        prints = CandidatePrints.of(records, self._ring.lookup_key)
        if not prints.candidates:
            return set()
        known = await conn.fetch(
            "SELECT DISTINCT kind, fingerprint FROM known_name_fingerprints"
            " WHERE reference = $1 AND fingerprint = ANY($2::text[])",
            reference,
            sorted({fp for _, fp in prints.rows()}),
        )
        hits = {(r["kind"], r["fingerprint"]) for r in known}
        common = common_given_names()
        full, given = prints.full, prints.given
        return {
            c.phrase
            for c in prints.candidates
            if ("full", full[c.phrase]) in hits
            or (c.given and (c.given in common or ("given", given[c.given]) in hits))
        }

    @activity.defn(name=Activity.DECIDE_REDACTION)
    @heartbeating
    async def decide_redaction(self, inp: RedactionDecisionInput) -> int:
        """Exclude records, add a manual redaction, or keep a finding: stored and audited."""
        info = activity.info()
        once = f"{inp.reference}:redaction-decision:{info.workflow_run_id}:{info.activity_id}"
        async with self._pool.acquire() as conn, conn.transaction():
            if inp.exclude is not None:
                d = inp.exclude
                changed = await conn.fetch(
                    "UPDATE collected_records SET excluded_by = $3, exclusion_reason = $4,"
                    " exclusion_note = $5 WHERE reference = $1 AND id = ANY($2::bigint[]) RETURNING id",
                    inp.reference,
                    d.record_ids,
                    d.actor,
                    d.reason_code.value,
                    d.note.strip(),
                )
                ids = sorted(r["id"] for r in changed)
                missing = sorted(set(d.record_ids) - set(ids))
                if missing:
                    raise invalid(f"record: {missing[0]} is not a record of {inp.reference}")
                actor, action = d.actor, "record.excluded"
                details: dict[str, Any] = {"records": json.dumps(ids), "reason_code": d.reason_code.value}
                count = len(ids)
            elif inp.redact is not None:
                m = inp.redact
                data = await conn.fetchval(
                    "SELECT data FROM collected_records WHERE reference = $1 AND id = $2",
                    inp.reference,
                    m.record_id,
                )
                if not isinstance(data, Mapping):
                    raise invalid(f"record: {m.record_id} is not a record of {inp.reference}")
                text = dict(iter_strings(data)).get(m.path)
                if text is None:
                    raise invalid(f"field: record {m.record_id} has no text at {m.path}")
                spans = m.spans or [(0, len(text))]
                if any(not 0 <= start < end <= len(text) for start, end in spans):
                    raise invalid(f"text: a span lies outside the field {m.path}")
                if not text:
                    raise invalid(f"field: {m.path} of record {m.record_id} is empty")
                await conn.executemany(
                    "INSERT INTO redactions (reference, record_id, finding_id, source, kind, path,"
                    " span_start, span_end, reason, decided_by) VALUES ($1, $2, $3, 'manual', 'manual',"
                    " $4, $5, $6, $7, $8) ON CONFLICT (record_id, finding_id) DO UPDATE SET"
                    " reason = EXCLUDED.reason, decided_by = EXCLUDED.decided_by",
                    [
                        (
                            inp.reference,
                            m.record_id,
                            finding_id(m.path, MANUAL, start, end),
                            m.path,
                            start,
                            end,
                            m.reason.strip(),
                            m.actor,
                        )
                        for start, end in spans
                    ],
                )
                actor, action = m.actor, "redaction.added"
                details = {"record": m.record_id, "field": m.path, "spans": len(spans)}
                count = len(spans)
            elif inp.keep is not None:
                k = inp.keep
                kept = await conn.fetch(
                    "UPDATE redactions SET kept_by = $4, kept_reason = $5 WHERE reference = $1"
                    " AND record_id = $2 AND finding_id = $3 AND source = 'auto' RETURNING id",
                    inp.reference,
                    k.record_id,
                    k.finding_id,
                    k.actor,
                    k.reason.strip(),
                )
                if not kept:
                    raise invalid(
                        f"finding: {k.record_id}/{k.finding_id} is not a finding of {inp.reference}"
                    )
                actor, action = k.actor, "redaction.kept"
                details = {"finding": f"{k.record_id}/{k.finding_id}"}
                count = len(kept)
            else:
                raise invalid("decision: name records to exclude, a field to redact or a finding to keep")
            await append_audit(
                conn,
                reference=inp.reference,
                actor=actor,
                action=action,
                details=details,
                idempotency_key=once,
            )
        return count

"""The response package: one zip in S3 with a cover letter, the report as HTML and PDF,
data.json (with its published JSON Schema) and a CSV file per data category; for a
portability request (Art. 20) also portable/: the data the person provided, as JSON and
a CSV file per source table. That portable data.json is also stored on its own, so a
transmission to another controller sends exactly what the person got, never a rebuild.

The files themselves are made in `dsar.package` from one view; this
activity gathers the facts for that view and stores the result.

Built from the case store (never from workflow history) and written under a key derived
from the request reference alone, so building it twice yields one object, one artefact
row and the same checksum as far as content allows.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import asyncpg
import structlog
from temporalio import activity

from activities._heartbeat import heartbeating
from activities.case_store import load_subject
from activities.file_redaction import ScannedFile, redact_file
from activities.redactions import own_identifiers
from casestore.audit import append_audit
from casestore.package_inputs import package_fingerprint
from casestore.queries import earlier_requests
from casestore.redaction_plan import RedactionPlan, Removal, field_name, load_redaction_plan
from casestore.storage import artefact_id, package_key
from dsar.codec import KeyRing
from dsar.domain import Right
from dsar.group import GroupRegistry, System, SystemKind
from dsar.labels import load_labels
from dsar.messages.activity_names import Activity
from dsar.messages.delivery import BuildPackageInput, PackageResult
from dsar.package.assemble import EarlierRequest, FoundRecord
from dsar.package.build import RemovedSpan, ReportFacts, build_report_view
from dsar.package.formats import package_members
from dsar.package.portable import PortableTable, PortableView, portable_members, render_portable_json
from dsar.package.views import JSON_SCHEMA_ID, RequestView
from dsar.privacy_notice import Controller, load_report_strings
from dsar.redaction import Detector

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = structlog.get_logger(__name__)

PACKAGE_KIND = "access-package"
PORTABLE_KIND = "portable-data"
# The table name the HTTP connector gives an API's records (see `activities.collect_http`).
API_TABLE = "api"
__all__ = ["JSON_SCHEMA_ID", "PACKAGE_KIND", "PORTABLE_KIND", "PackagingActivities", "portable_key"]


def portable_key(artefact: str) -> str:
    """Built from the generated artefact id only, like the package's key."""
    return f"packages/{artefact}/portable-data.json"


class PackagingActivities:
    def __init__(
        self,
        pool: asyncpg.Pool,
        ring: KeyRing,
        registry: GroupRegistry,
        s3: S3Client,
        bucket: str,
    ) -> None:
        self._pool = pool
        self._ring = ring
        self._registry = registry
        self._s3 = s3
        self._bucket = bucket

    @activity.defn(name=Activity.BUILD_PACKAGE)
    @heartbeating
    async def build_package(self, inp: BuildPackageInput) -> PackageResult:
        async with (
            self._pool.acquire() as conn,
            # One moment of the case store: the fingerprint and the rows agree, whatever a
            # reviewer decides meanwhile.
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            # What the rows below amount to, seen at the same moment: approval sends a package
            # built during review as it is only while this still matches (package_inputs.py).
            fingerprint = await package_fingerprint(conn, inp.reference)
            request = await conn.fetchrow("SELECT * FROM requests WHERE reference = $1", inp.reference)
            assert request is not None, "registered before packaging"
            subject = await load_subject(conn, self._ring, inp.reference)
            results = await conn.fetch(
                "SELECT company, system, status, note_for_person FROM collection_results"
                " WHERE reference = $1",
                inp.reference,
            )
            found = await conn.fetch(
                "SELECT id, company, system, category, source_table, source_key, matched_on, data,"
                " object_key, exclusion_reason, needs_confirmation FROM collected_records"
                " WHERE reference = $1"
                " AND (NOT needs_confirmation OR confirmed_by IS NOT NULL)"
                " ORDER BY company, system, category, id",
                inp.reference,
            )
            plan = await load_redaction_plan(conn, inp.reference, load_report_strings(request["language"]))
            earlier = await earlier_requests(conn, inp.reference)
        # Review decisions: excluded records stay out (counted by reason in the report),
        # the others are sent redacted.
        rows = [r for r in found if r["exclusion_reason"] is None]
        language = request["language"]
        status_of = {(r["company"], r["system"]): r["status"] for r in results}
        generated_at = datetime.now(UTC)
        labels = load_labels()
        files = attached_files(rows, lambda table: labels.table_name(table, language))
        file_of = {object_key: name for name, object_key in files}
        # Files (bulk table parts, uploaded exports) are scanned now, line by line, with the
        # same detector as the records; the log counts their removals per file and kind.
        own = own_identifiers(subject.model_dump(), found, self._registry)
        detector = Detector(own, key=self._ring.lookup_key)
        scanned = await asyncio.to_thread(self._scan_files, files, detector)
        view = build_report_view(
            ReportFacts(
                registry=self._registry,
                labels=labels,
                language=language,
                request=RequestView(
                    reference=inp.reference,
                    received_on=request["received_on"],
                    rights=list(request["rights"]),
                    jurisdiction=request["jurisdiction"],
                ),
                subject_name=subject.full_name,
                subject_email=subject.email,
                generated_at=generated_at,
                records=[
                    FoundRecord(
                        r["company"],
                        r["system"],
                        r["category"],
                        r["source_table"],
                        r["source_key"],
                        plan.apply(r["id"], r["data"]),
                        file_of.get(r["object_key"]) if r["object_key"] else None,
                    )
                    for r in rows
                ],
                status_of=status_of,
                notes_for_person={
                    (r["company"], r["system"]): r["note_for_person"] for r in results if r["note_for_person"]
                },
                removals=[_removal(r, removal) for r in rows for removal in plan.removals.get(r["id"], [])]
                + _file_removals(scanned, language),
                exclusions=[
                    (company, system, code, count) for (company, system, code), count in _exclusions(found)
                ],
                earlier=[
                    EarlierRequest(e.reference, e.received_on, e.rights, e.status, e.closed_at)
                    for e in earlier
                ],
            )
        )
        # Rendering (the PDF above all) is CPU work: off the event loop, like the upload.
        members = await asyncio.to_thread(package_members, view)
        portable: tuple[str, str, int, PortableView] | None = None
        if inp.portable:
            pview = self._portable_view(inp.reference, rows, plan, view.controller, generated_at)
            data_json = render_portable_json(pview)
            members += portable_members(pview, data_json)
            portable_artefact = artefact_id(inp.reference, PORTABLE_KIND)
            portable_digest = await asyncio.to_thread(
                self._put_json, portable_key(portable_artefact), data_json
            )
            portable = (portable_artefact, portable_digest, len(data_json), pview)
        artefact = artefact_id(inp.reference, PACKAGE_KIND)
        key = package_key(artefact)
        digest, size = await asyncio.to_thread(self._upload, key, members, generated_at, scanned)
        details: dict[str, Any] = {"artefact": artefact, "bytes": size, "records": len(rows)}
        async with self._pool.acquire() as conn, conn.transaction():
            if portable is not None:
                portable_artefact, portable_digest, portable_size, pview = portable
                await conn.execute(
                    "INSERT INTO artefacts (id, reference, kind, bucket, s3_key, sha256, bytes)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7)"
                    " ON CONFLICT (reference, kind) DO UPDATE SET sha256 = EXCLUDED.sha256,"
                    " bytes = EXCLUDED.bytes, created_at = now(), deleted_at = NULL",
                    portable_artefact,
                    inp.reference,
                    PORTABLE_KIND,
                    self._bucket,
                    portable_key(portable_artefact),
                    portable_digest,
                    portable_size,
                )
                details |= {"portable_artefact": portable_artefact, "portable_records": pview.record_count}
            await conn.execute(
                "INSERT INTO artefacts (id, reference, kind, bucket, s3_key, sha256, bytes)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7)"
                " ON CONFLICT (reference, kind) DO UPDATE SET sha256 = EXCLUDED.sha256,"
                " bytes = EXCLUDED.bytes, created_at = now()",
                artefact,
                inp.reference,
                PACKAGE_KIND,
                self._bucket,
                key,
                digest,
                size,
            )
            await append_audit(
                conn,
                reference=inp.reference,
                actor="dsar-packaging",
                action="package.built",
                details=details,
                idempotency_key=f"{inp.reference}:package:{digest}",
            )
        # Records as collection and review count them: a bulk table's part by its rows.
        from casestore.review_overview import record_count

        records = sum(record_count(r) for r in rows)
        log.info("package.built", reference=inp.reference, bytes=size, records=records)
        return PackageResult(
            artefact_id=artefact,
            bytes=size,
            sha256=digest,
            records=records,
            companies_with_data=sorted({r["company"] for r in rows}),
            fingerprint=fingerprint,
        )

    def _portable_view(
        self,
        reference: str,
        rows: list[asyncpg.Record],
        plan: RedactionPlan,
        controller: Controller,
        generated_at: datetime,
    ) -> PortableView:
        """The records the person provided (Art. 20(1)), from the rows the access package
        shows (review exclusions and unconfirmed matches already left out), redacted by
        the same plan, in registry order: company, system, table."""
        by_table: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
        for r in rows:
            # Files (collected objects, bulk table parts, uploaded exports) are not records
            # that can be written into data.json; they stay in the package's files/.
            if r["object_key"] is None:
                by_table[(r["company"], r["system"], r["source_table"])].append(
                    {"key": r["source_key"], "data": plan.apply(r["id"], r["data"])}
                )
        tables: list[PortableTable] = []
        names: dict[str, str] = {}
        for company in self._registry.companies:
            for system in company.systems:
                for table, category in portable_tables(system):
                    records = by_table.get((company.code, system.code, table))
                    if records:
                        names[company.code] = company.legal_name
                        tables.append(
                            PortableTable(company.code, system.code, system.name, table, category, records)
                        )
        return PortableView(reference, generated_at, controller, names, tables)

    def _put_json(self, key: str, body: bytes) -> str:
        digest = hashlib.sha256(body).hexdigest()
        self._s3.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=body,
            ServerSideEncryption="AES256",
            ContentType="application/json",
            Metadata={"sha256": digest},
        )
        return digest

    def _scan_files(
        self, files: Sequence[tuple[str, str]], detector: Detector
    ) -> list[tuple[str, ScannedFile]]:
        """Each collected file read from the case bucket once, redacted into a spool."""
        out = []
        for name, object_key in files:
            body = self._s3.get_object(Bucket=self._bucket, Key=object_key)["Body"]
            out.append((name, redact_file(body.iter_chunks(1 << 20), detector)))
        return out

    def _upload(
        self,
        key: str,
        members: list[tuple[str, bytes]],
        built_at: datetime,
        files: Sequence[tuple[str, ScannedFile]] = (),
    ) -> tuple[str, int]:
        # Entries carry the build time rather than the clock at zipping, so a package's
        # bytes depend on its content and on nothing else.
        stamp = built_at.timetuple()[:6]
        with tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024) as spool:
            with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for name, content in members:
                    info = zipfile.ZipInfo(name, date_time=stamp)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.external_attr = 0o644 << 16
                    archive.writestr(info, content)
                # Collected files (photos, recordings, uploaded exports, large tables as CSV)
                # are streamed from the case bucket into the zip, never held whole in memory.
                for name, scanned in files:
                    info = zipfile.ZipInfo(name, date_time=stamp)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.external_attr = 0o644 << 16
                    with scanned.body, archive.open(info, "w", force_zip64=True) as entry:
                        shutil.copyfileobj(scanned.body, entry, 1 << 20)
            spool.seek(0)
            digest = hashlib.sha256()
            size = 0
            for chunk in iter(lambda: spool.read(1 << 20), b""):
                digest.update(chunk)
                size += len(chunk)
            spool.seek(0)
            self._s3.upload_fileobj(
                spool,
                self._bucket,
                key,
                ExtraArgs={
                    "ServerSideEncryption": "AES256",
                    "ContentType": "application/zip",
                    "Metadata": {"sha256": digest.hexdigest()},
                },
            )
        return digest.hexdigest(), size


def portable_tables(system: System) -> list[tuple[str, str]]:
    """(table, category) of a system whose records go into a portability export: only
    systems whose registry rights include portability, and of a PostgreSQL system only the
    tables marked `provided` (not notes written about the person, nor bought-in leads).
    An HTTP system's records are its API's (`api`), which the registry declares as a whole.
    S3 and manual systems hold files, which are not records of data.json."""
    if Right.PORTABILITY not in system.rights:
        return []
    if system.kind is SystemKind.POSTGRES:
        return [(t.table, t.category.value) for t in system.tables if t.provided]
    if system.kind is SystemKind.HTTP and system.http is not None:
        return [(API_TABLE, system.http.category.value)]
    return []


def attached_files(
    rows: list[asyncpg.Record], table_label: Callable[[str], str] | None = None
) -> list[tuple[str, str]]:
    """Zip names for the files behind records, under files/<company>/<system>/; one entry per
    object. A large table's parts ("<table>/part-00001.csv") are named after the table's
    label in the person's language ("Use of the app part-00001.csv"), not the table."""
    seen: dict[str, str] = {}
    for r in rows:
        object_key = r["object_key"]
        if not object_key or object_key in seen.values():
            continue
        data = r["data"] if isinstance(r["data"], dict) else {}
        # Collected files carry their name; an uploaded export's rows do not, so it is named
        # after its checksum (its object key ends with it).
        given = data.get("file")
        name = (
            str(given) if isinstance(given, str) and given else f"export-{object_key.rsplit('/', 1)[-1][:12]}"
        )
        table, slash, part = name.partition("/")
        if slash and table == r["source_table"] and table_label is not None:
            name = f"{table_label(table)} {part}"
        name = name.replace("\\", "/").strip("/").replace("..", "_")
        path = f"files/{r['company']}/{r['system']}/{name}"
        while path in seen:
            path = f"{path}.{len(seen)}"
        seen[path] = object_key
    return list(seen.items())


# --- the redaction log -------------------------------------------------------------------


def _removal(row: asyncpg.Record, removal: Removal) -> RemovedSpan:
    """Where one removal was and of what kind; never the value."""
    return RemovedSpan(
        company=row["company"],
        system=row["system"],
        table=row["source_table"],
        key=row["source_key"],
        field=field_name(removal.path),
        kind=removal.kind,
        # A reviewer's manual reason is theirs, verbatim; detected kinds have one text each.
        manual_reason=None if removal.source == "auto" else removal.reason,
    )


def _file_removals(scanned: Sequence[tuple[str, ScannedFile]], language: str) -> list[RemovedSpan]:
    """One entry per file and kind, with the count: a bulk part may lose thousands of values.
    The log's table is the file's name in the package, its key the count, its field "whole file"."""
    whole_file = load_report_strings(language).get("redaction_whole_file", "whole file")
    spans = []
    for name, file in scanned:
        _, company, system, *rest = name.split("/")
        in_package = "/".join(rest)
        for kind, count in sorted(file.removed.items()):
            span = RemovedSpan(company, system, in_package, f"{count} ×", whole_file, kind)
            spans.append(span.in_file(in_package, count))
    return spans


def _exclusions(found: list[asyncpg.Record]) -> list[tuple[tuple[str, str, str], int]]:
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    for r in found:
        if r["exclusion_reason"] is not None:
            counts[(r["company"], r["system"], r["exclusion_reason"])] += 1
    return sorted(counts.items())

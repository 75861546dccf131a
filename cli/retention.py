"""Retention of the case store's own copies: holds, the purge, and the counts by state.

`dsar hold-case REF --reason ...` keeps everything a case holds while a complaint, a claim
or a legal hold concerns it; `dsar release-case REF` lets retention take its course again.
Both are case-store writes, not workflow Updates: the command checks the actor's role in
the roles file, and the audit trail names the actor. `dsar purge --dry-run` lists what the
next purge run would remove, case by case, counted, never shown; `dsar purge` starts a run
now through the Schedule, so it shows in the Temporal UI like every nightly run.
See docs/retention.md.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from cli._base import (
    JsonFlag,
    Reference,
    UsageError,
    connect_client,
    fail,
    load_settings,
    out,
    require_role,
    run,
)
from dsar.config import Settings
from dsar.roles import Role

HOLD_REASON_MAX = 500


def hold_case(
    reference: Reference,
    reason: Annotated[
        str, typer.Option("--reason", help="Why the case is kept: the complaint's or claim's reference.")
    ],
    kind: Annotated[str, typer.Option("--kind", help="complaint, claim or legal-hold.")] = "complaint",
    as_json: JsonFlag = False,
) -> None:
    """Keep everything a closed case holds while a complaint or a claim concerns it (reviewer)."""
    from casestore.audit import append_audit
    from casestore.db import connection
    from casestore.retention import HoldError, HoldKind, place_hold

    text = reason.strip()
    if not text or len(text) > HOLD_REASON_MAX:
        fail(f"--reason: must say why, in 1 to {HOLD_REASON_MAX} characters")
    try:
        hold_kind = HoldKind(kind)
    except ValueError:
        fail(f"--kind: must be one of {', '.join(k.value for k in HoldKind)}")
    settings = load_settings()

    async def go() -> int:
        require_role(settings, Role.REVIEWER)
        async with connection(settings.database_url) as conn, conn.transaction():
            try:
                hold_id = await place_hold(conn, reference, hold_kind, text, settings.actor)
            except HoldError as exc:
                raise UsageError(*str(exc).split(": ", 1)) from None
            # The reason stays in the hold's row; the trail records the kind and who placed it.
            await append_audit(
                conn,
                reference=reference,
                actor=settings.actor,
                action="retention.hold_placed",
                details={"hold": hold_id, "kind": hold_kind.value},
            )
        return hold_id

    hold_id = run(go())
    if as_json:
        out.print_json(json.dumps({"reference": reference, "hold": hold_id, "kind": hold_kind.value}))
    else:
        out.print(f"{reference} is on hold ({hold_kind.value}); retention leaves it whole until released.")


def release_case(reference: Reference, as_json: JsonFlag = False) -> None:
    """Release a case's hold; retention then takes its course (administrator)."""
    from casestore.audit import append_audit
    from casestore.db import connection
    from casestore.retention import HoldError, release_hold

    settings = load_settings()

    async def go() -> tuple[int, str]:
        require_role(settings, Role.ADMINISTRATOR)
        async with connection(settings.database_url) as conn, conn.transaction():
            try:
                hold_id, kind = await release_hold(conn, reference, settings.actor)
            except HoldError as exc:
                raise UsageError(*str(exc).split(": ", 1)) from None
            await append_audit(
                conn,
                reference=reference,
                actor=settings.actor,
                action="retention.hold_released",
                details={"hold": hold_id, "kind": kind},
            )
        return hold_id, kind

    hold_id, kind = run(go())
    if as_json:
        out.print_json(json.dumps({"reference": reference, "hold": hold_id, "released": True}))
    else:
        out.print(f"{reference}: the {kind} hold is released; retention takes its course again.")


def purge(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only list what the next run would remove, counted.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """The retention purge: list what the next run would remove, or start a run now."""
    settings = load_settings()
    if dry_run:
        _dry_run(settings, as_json)
        return

    async def go() -> None:
        from workflows.purge import PURGE_SCHEDULE_ID

        require_role(settings, Role.ADMINISTRATOR)
        client = await connect_client(settings)
        await client.get_schedule_handle(PURGE_SCHEDULE_ID).trigger()

    run(go())
    out.print("A purge run has started; follow it in the Temporal UI (schedule dsar-retention-purge).")


def _dry_run(settings: Settings, as_json: bool) -> None:
    from casestore.db import connection
    from casestore.retention_preview import CasePreview, preview
    from casestore.storage import s3_client
    from dsar.messages.retention import RetentionRules

    as_of = datetime.now(UTC)

    async def go() -> list[CasePreview]:
        async with connection(settings.database_url) as conn:
            return await preview(
                conn, s3_client(settings), settings.s3_bucket, RetentionRules.from_settings(settings), as_of
            )

    cases = run(go())
    if as_json:
        rows = [asdict(c) | {"stage": c.stage.value} for c in cases]
        out.print_json(json.dumps({"as_of": as_of.isoformat(), "cases": rows}))
        return
    if not cases:
        out.print(f"Nothing is due for removal as of {as_of:%Y-%m-%d %H:%M} UTC.")
        return
    table = Table(
        "reference", "removes", "records", "files", "packages", "sealed values",
        title=f"The next purge run would remove (as of {as_of:%Y-%m-%d %H:%M} UTC)",
    )  # fmt: skip
    for c in cases:
        removes = "copies" if c.stage.value == "copies" else "identifying fields"
        table.add_row(
            c.reference, removes, str(c.records), str(c.files), str(c.packages), str(c.sealed_values)
        )
    out.print(table)


def retention_table(counts: dict[str, int]) -> Table:
    """`dsar report`'s second table: every case by its retention state."""
    table = Table("retention state", "cases", title="All cases by retention state")
    for state, n in counts.items():
        table.add_row(state, str(n))
    return table

"""Retention of the case store's own copies: holds, the purge, and the counts by state.

`dsar hold-case REF --reason ...` keeps everything a case holds while a complaint, a claim
or a legal hold concerns it; `dsar release-case REF` lets retention take its course again.
Both are case-store writes, not workflow Updates: the command checks the actor's role in
the roles file, and the audit trail names the actor. `dsar purge --dry-run` lists what a purge
run would remove now (the next nightly run takes these and whatever falls due before it),
case by case, counted, never shown; `dsar purge` starts a run
now through the Schedule, so it shows in the Temporal UI like every nightly run.
See docs/retention.md.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

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

if TYPE_CHECKING:
    from casestore.db import Conn

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
    from casestore.case_holds import HoldKind, place_hold

    text = reason.strip()
    if not text or len(text) > HOLD_REASON_MAX:
        fail(f"--reason: must say why, in 1 to {HOLD_REASON_MAX} characters")
    try:
        hold_kind = HoldKind(kind)
    except ValueError:
        fail(f"--kind: must be one of {', '.join(k.value for k in HoldKind)}")
    settings = load_settings()

    async def place(conn: Conn) -> dict[str, object]:
        # The reason stays in the hold's row; the trail records the hold, its kind and the actor.
        return {
            "hold": await place_hold(conn, reference, hold_kind, text, settings.actor),
            "kind": hold_kind.value,
        }

    details = run(audited_write(settings, Role.REVIEWER, reference, "retention.hold_placed", place))
    if as_json:
        out.print_json(json.dumps({"reference": reference, **details}))
    else:
        out.print(f"{reference} is on hold ({hold_kind.value}); retention leaves it whole until released.")


def release_case(reference: Reference, as_json: JsonFlag = False) -> None:
    """Release a case's hold; retention then takes its course (administrator)."""
    from casestore.case_holds import release_hold

    settings = load_settings()

    async def release(conn: Conn) -> dict[str, object]:
        hold_id, kind = await release_hold(conn, reference, settings.actor)
        return {"hold": hold_id, "kind": kind}

    details = run(audited_write(settings, Role.ADMINISTRATOR, reference, "retention.hold_released", release))
    if as_json:
        out.print_json(json.dumps({"reference": reference, **details, "released": True}))
    else:
        out.print(f"{reference}: the {details['kind']} hold is released; retention takes its course again.")


async def audited_write(
    settings: Settings,
    role: Role,
    reference: str,
    action: str,
    write: Callable[[Conn], Awaitable[dict[str, object]]],
) -> dict[str, object]:
    """A case-store write by a person: their role checked first, then the write and its audit
    entry (naming them) in one transaction, so neither lands without the other."""
    from casestore.audit import append_audit
    from casestore.case_holds import HoldError
    from casestore.db import connection

    require_role(settings, role)
    async with connection(settings.database_url) as conn, conn.transaction():
        try:
            details = await write(conn)
        except HoldError as exc:
            raise UsageError(*str(exc).split(": ", 1)) from None
        await append_audit(conn, reference=reference, actor=settings.actor, action=action, details=details)
    return details


def purge(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only list what a run now would remove, counted.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """The retention purge: list what a run now would remove, or start one now."""
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
    out.print(
        "The Schedule was asked for a run now (skipped if one is still running); follow it in the"
        " Temporal UI under Schedules, dsar-retention-purge."
    )


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
        title=f"A purge run now would remove (as of {as_of:%Y-%m-%d %H:%M} UTC)",
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

"""`dsar audit REF --verify-signatures`: every decision of a request, checked again.

Reads the request's `decision.signed` entries from the audit trail and checks each one
against the public keys the roles file (DSAR_ROLES_FILE) lists for its actor today
(`dsar.signed_audit`). Prints one line per decision; exits 1 if any fails, or if the
request has no signed decision at all (nothing would then show who decided).
"""

from __future__ import annotations

import json
from dataclasses import asdict

import typer
from rich.table import Table

from cli._base import err, fail, out, run
from dsar.config import Settings
from dsar.domain import workflow_id_for
from dsar.roles import load_roles
from dsar.signed_audit import SIGNED_ACTION, DecisionCheck, check_recorded


def verify_signatures(settings: Settings, reference: str, as_json: bool) -> None:
    """Print each decision's result; exit 1 on any failure or when there is none."""
    from casestore import queries
    from casestore.db import connection

    try:
        grants = load_roles(settings.roles_file)
    except ValueError as exc:
        fail(f"DSAR_ROLES_FILE: {exc}")

    async def go() -> list[DecisionCheck]:
        async with connection(settings.database_url) as conn:
            trail = await queries.audit_trail(conn, reference)
        entries = [(e.seq, e.actor, e.action, e.details) for e in trail if e.action == SIGNED_ACTION]
        return check_recorded(workflow_id_for(reference), entries, grants)

    checks = run(go())
    failed = [c for c in checks if c.problem is not None]
    if as_json:
        out.print_json(json.dumps({"reference": reference, "decisions": [asdict(c) for c in checks]}))
    else:
        table = Table("seq", "signed at", "actor", "decision", "signature", title=f"decisions of {reference}")
        for c in checks:
            table.add_row(str(c.seq), c.signed_at[:19], c.actor, c.update, c.problem or "valid")
        out.print(table)
    if not checks:
        err.print(f"[bold red]no signed decision recorded for {reference}[/]", highlight=False)
        raise typer.Exit(1)
    for c in failed:
        err.print(f"[bold red]audit entry {c.seq}[/] ({c.update} by {c.actor}): {c.problem}", highlight=False)
    if failed:
        err.print(
            f"[bold red]{len(failed)} of {len(checks)} decisions failed verification[/]", highlight=False
        )
        raise typer.Exit(1)
    if not as_json:
        out.print(f"all {len(checks)} decisions verified against the roles file's keys")

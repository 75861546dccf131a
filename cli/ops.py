"""Operations: `dsar migrate`, `audit`, `codec-server`, `download-server` and `dev`.

The commands that keep the product running rather than move a request: the case store's
schema, proof that the audit trail is whole, the two small servers, and the local stack.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from cli._base import JsonFlag, err, fail, load_settings, out, reference_arg, run


def migrate() -> None:
    """Apply pending case-store migrations (the local stack does this itself)."""
    from casestore.db import migrate as apply

    settings = load_settings(person=False)
    # The schema owner's DSN: no component's own login may change the schema.
    applied = run(apply(settings.migration_database_url or settings.database_url))
    out.print(f"applied migrations: {applied or 'none pending'}")


def audit(
    reference: Annotated[str | None, typer.Argument(help="Show this request's trail.")] = None,
    verify_chain: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="Recompute the whole hash chain, every entry's MAC and the chain against its anchors;"
            " exit 1 on any break.",
        ),
    ] = False,
    anchor: Annotated[
        bool, typer.Option("--anchor", help="Anchor the chain's head outside the database now.")
    ] = False,
    as_json: JsonFlag = False,
    verify_signatures: Annotated[
        bool,
        typer.Option(
            "--verify-signatures",
            help="Check every decision's signature against the roles file; exit 1 on any failure.",
        ),
    ] = False,
) -> None:
    """Print a request's audit trail, or prove that no entry was changed, forged or removed."""
    from casestore import queries
    from casestore.audit import ChainProblem

    if reference is None and not verify_chain and not anchor:
        fail("give a reference, --verify to check the whole trail, or --anchor to anchor its head")
    ref = reference_arg(reference) if reference else None
    settings = load_settings(person=False)
    if verify_signatures:
        from cli.audit_signatures import verify_signatures as check_decisions

        if ref is None:
            fail("--verify-signatures: give the request's reference")
        check_decisions(settings, ref, as_json)  # exits 1 on any failure
        if not verify_chain:
            return
    from cli.audit_checks import anchor_head, verify_trail

    async def go() -> tuple[list[dict[str, Any]], list[ChainProblem], str | None]:
        from casestore.db import connection

        async with connection(settings.database_url) as conn:
            trail = await queries.audit_trail(conn, ref) if ref else []
            anchored = await anchor_head(conn, settings) if anchor else None
            problems = await verify_trail(conn, settings) if verify_chain else []
        return [asdict(e) | {"at": e.at.isoformat()} for e in trail], problems, anchored

    try:
        rows, problems, anchored = run(go())
    except ValueError as exc:
        fail(str(exc))
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "entries": rows,
                    "problems": [p.__dict__ for p in problems],
                    "verified": verify_chain,
                    **({"anchored": anchored} if anchor else {}),
                }
            )
        )
    else:
        if ref:
            table = Table("seq", "at", "actor", "action", "details", title=f"audit trail of {ref}")
            for r in rows:
                table.add_row(str(r["seq"]), r["at"][:19], r["actor"], r["action"], json.dumps(r["details"]))
            out.print(table)
        if anchored:
            out.print(anchored)
        if verify_chain:
            if problems:
                for p in problems:
                    where = f"audit entry {p.seq}" if p.seq else "audit trail"
                    err.print(f"[bold red]{where}:[/] {p.problem}", highlight=False)
            else:
                out.print(
                    "audit trail intact: every entry matches its hash, its predecessor and its MAC,"
                    " and the chain holds every anchored entry"
                )
    if problems:
        raise typer.Exit(1)


def codec_server() -> None:
    """Serve the payload codec to the Temporal UI for operators holding a token."""
    from dsar.client import key_ring
    from dsar.logs import configure_logging
    from web.codec_server import CodecServer, CodecServerConfig, operator_tokens

    settings = load_settings(person=False)
    configure_logging(settings.log_format, settings.log_level)
    host, _, port = settings.codec_listen.rpartition(":")
    if not host or not port.isdigit():
        fail("DSAR_CODEC_LISTEN: must look like 127.0.0.1:8081")
    try:
        config = CodecServerConfig(
            ring=key_ring(settings),
            tokens=operator_tokens(settings),
            ui_origin=settings.codec_ui_origin,
            host=host,
            port=int(port),
        )
    except ValueError as exc:
        fail(str(exc))
    server = CodecServer(config)
    out.print(f"codec server on {server.url}, answering the UI at {config.ui_origin}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.stop()


def download_server() -> None:
    """Serve the download page where people fetch their answer with the code they were e-mailed."""
    from dsar.logs import configure_logging
    from web.download import serve

    settings = load_settings(person=False)
    configure_logging(settings.log_format, settings.log_level)
    try:
        serve(settings)
    except ValueError as exc:
        fail(str(exc))


def dev(
    fresh: Annotated[bool, typer.Option("--fresh", help="Delete the state folder first.")] = False,
) -> None:
    """Run the whole local stack with the demo group; Ctrl-C stops everything.

    The dev stack and demo data are not part of the installed product (the image and the
    wheel do not ship them), so this runs only from a clone: from its root folder, where
    `make dev` starts it, or `dsar dev` typed there.
    """
    clone = Path.cwd()
    if (clone / "devstack" / "stack.py").is_file() and str(clone) not in sys.path:
        sys.path.insert(0, str(clone))
    try:
        from devstack.stack import run_stack
    except ImportError:
        fail("the local stack runs from a clone of the project: run `make dev` in its root folder")

    sys.exit(run_stack(fresh=fresh))

"""`dsar`: the privacy team's command line.

Every command validates its input before it touches anything, and names the field and the
rule when it refuses; human steps go to the workflow as Updates, so the answer (accepted,
or refused with the reason) comes back at once.

One module per stage of the legal process holds its commands (`submit`, `status`, `identity`,
`collection`, `review`, `actions`, `clock`, `ops`); `_base` holds what they share. They are
listed in `COMMANDS` in the order `dsar --help` shows them, and a command's module is only
imported when that command runs (`cli.lazy`): `dsar --help` reads the commands' docstrings
from their source and starts without the Temporal SDK, pydantic or the case store.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

import typer

from cli.lazy import LazyGroup

if TYPE_CHECKING:
    from cli._base import UsageError
    from cli.submit import find_open_duplicate, link_duplicate, start_request, validate_submission

__all__ = [
    "UsageError",
    "app",
    "find_open_duplicate",
    "link_duplicate",
    "main",
    "start_request",
    "validate_submission",
]

# name -> "module:function"; the order `dsar --help` lists them in.
COMMANDS: dict[str, str] = {
    "submit": "cli.submit:submit",
    "status": "cli.status:status",
    "list": "cli.status:list_requests",
    "verify": "cli.identity:verify",
    "send-code": "cli.identity:send_code",
    "attach-authorisation": "cli.identity:attach_authorisation",
    "approve": "cli.review:approve",
    "upload": "cli.collection:upload",
    "mark-na": "cli.collection:mark_not_applicable",
    "retry": "cli.collection:retry",
    "hold": "cli.review:hold",
    "decide-objection": "cli.review:decide_objection",
    "done": "cli.actions:done",
    "retry-action": "cli.actions:retry_action",
    "lift-restriction": "cli.actions:lift_restriction",
    "matches": "cli.collection:matches",
    "confirm": "cli.collection:confirm",
    "review": "cli.review:review",
    "exclude": "cli.review:exclude",
    "redact": "cli.review:redact",
    "keep": "cli.review:keep",
    "extend": "cli.clock:extend",
    "refuse": "cli.review:refuse",
    "clarify": "cli.clock:clarify",
    "answer": "cli.clock:answer",
    "resend-link": "cli.clock:resend_link",
    "report": "cli.status:report",
    "hold-case": "cli.retention:hold_case",
    "release-case": "cli.retention:release_case",
    "purge": "cli.retention:purge",
    "keys": "cli.keys:app",
    "migrate": "cli.ops:migrate",
    "audit": "cli.ops:audit",
    "codec-server": "cli.ops:codec_server",
    "download-server": "cli.ops:download_server",
    "dev": "cli.ops:dev",
}

app = typer.Typer(
    name="dsar",
    help="Handle GDPR data-subject rights requests, from receipt to delivery.",
    no_args_is_help=True,
    add_completion=False,
    cls=LazyGroup.listing(COMMANDS),
)


@app.callback()
def dsar() -> None:
    """Handle GDPR data-subject rights requests, from receipt to delivery."""


# The names other code imports from `cli`, loaded with their module on first use.
_EXPORTS = {
    "UsageError": "cli._base",
    "find_open_duplicate": "cli.submit",
    "link_duplicate": "cli.submit",
    "start_request": "cli.submit",
    "validate_submission": "cli.submit",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'cli' has no attribute {name!r}")


def main() -> None:
    """The `dsar` entry point."""
    # The Temporal client's Rust threads can abort a short-lived process during interpreter
    # teardown (temporalio/sdk-python#300), turning a finished command into exit code -6.
    # Everything is done and flushed by then, so leave without the teardown.
    code: int = 0
    try:
        app()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)

"""`dsar`: the privacy team's command line.

Every command validates its input before it touches anything, and names the field and the
rule when it refuses; human steps go to the workflow as Updates, so the answer (accepted,
or refused with the reason) comes back at once.

One module per stage of the legal process holds its commands (`submit`, `status`, `identity`,
`collection`, `review`, `actions`, `clock`, `ops`); `_base` holds what they share. They are
registered here in the order `dsar --help` lists them.
"""

from __future__ import annotations

import os
import sys

import typer

from cli import actions, clock, collection, identity, keys, ops, retention, review, status, submit
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

app = typer.Typer(
    name="dsar",
    help="Handle GDPR data-subject rights requests, from receipt to delivery.",
    no_args_is_help=True,
    add_completion=False,
)

app.command()(submit.submit)
app.command()(status.status)
app.command("list")(status.list_requests)
app.command()(identity.verify)
app.command("send-code")(identity.send_code)
app.command("attach-authorisation")(identity.attach_authorisation)
app.command()(review.approve)
app.command()(collection.upload)
app.command("mark-na")(collection.mark_not_applicable)
app.command()(collection.retry)
app.command()(review.hold)
app.command("decide-objection")(review.decide_objection)
app.command()(actions.done)
app.command("retry-action")(actions.retry_action)
app.command("lift-restriction")(actions.lift_restriction)
app.command()(collection.matches)
app.command()(collection.confirm)
app.command()(review.review)
app.command()(review.exclude)
app.command()(review.redact)
app.command()(review.keep)
app.command()(clock.extend)
app.command()(review.refuse)
app.command()(clock.clarify)
app.command()(clock.answer)
app.command("resend-link")(clock.resend_link)
app.command()(status.report)
app.command("hold-case")(retention.hold_case)
app.command("release-case")(retention.release_case)
app.command()(retention.purge)
app.command()(ops.migrate)
app.command()(ops.audit)
app.command("codec-server")(ops.codec_server)
app.command("download-server")(ops.download_server)
app.command()(ops.dev)
app.add_typer(keys.app, name="keys")


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

"""What every command shares: output, refusals, settings, the Temporal client and typed Updates.

A command checks its input first and says which field broke which rule (`UsageError`), then
talks to the case store or to the request's workflow. Human steps are Updates called through
the workflow's own method (`update(settings, reference, RightsRequestWorkflow.approve, ...)`),
so a renamed handler fails mypy rather than a person at the terminal, and the validator's
refusal comes back at once as `refused: <reason>`. Every decision is signed on its way out
with the key of the person at the terminal (`DSAR_USER`; `dsar.signing_client`), which
the workflow checks against the roles file.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Coroutine
from datetime import timedelta
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.console import Console
from temporalio.client import (
    Client,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.service import RPCError, RPCStatusCode
from temporalio.workflow import UpdateMethodMultiParam

from dsar.config import Settings
from dsar.domain import company_workflow_id, parse_reference, workflow_id_for
from dsar.messages.collection import CompanyCollectionState
from dsar.messages.state import RequestState
from dsar.roles import Role, load_roles
from dsar.signing import default_key_path, load_private_key
from dsar.signing_client import SigningKeyMissing, one_key, signing_client
from workflows.company_collection import CompanyCollectionWorkflow
from workflows.rights_request import RightsRequestWorkflow

# Piped or redirected, output is not cut to 80 columns: a line (a finding id, a command to
# copy) stays whole, and tables take the width their contents need.
PIPE_WIDTH = 10_000


def console(stderr: bool = False) -> Console:
    """A terminal's own width; into a pipe or a file, no width limit and no wrapping."""
    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty():
        return Console(stderr=stderr)
    return Console(stderr=stderr, width=PIPE_WIDTH, soft_wrap=True)


out = console()
err = console(stderr=True)
T = TypeVar("T")
A = TypeVar("A")
R = TypeVar("R")


class UsageError(Exception):
    """Bad input, named by its option and the rule it broke (`--received: must be a date ...`)."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")


def fail(message: str, code: int = 2) -> NoReturn:
    """Print the refusal and stop: 2 for bad input, 1 for a refusal by the product or a service."""
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run one command's async body, turning every expected failure into a one-line refusal."""
    try:
        return asyncio.run(coro)
    except (UsageError, SigningKeyMissing) as exc:
        fail(str(exc))
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        fail(f"refused: {getattr(cause, 'message', None) or cause}", 1)
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        # Seen with hundreds of requests starting at once: the request's worker had not
        # taken the step up before Temporal's deadline. It may still do so.
        fail(
            "the request did not answer in time (its worker is busy); the step may still be"
            " applied: check with `dsar status` before sending it again",
            1,
        )
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            fail("no request with that reference", 1)
        if exc.status == RPCStatusCode.UNAVAILABLE:
            fail("cannot reach Temporal; is the stack running (make dev) or DSAR_TEMPORAL_ADDRESS set?", 1)
        fail(f"Temporal refused the call: {exc.status.name if exc.status else 'error'}", 1)
    except (OSError, ConnectionError) as exc:
        fail(f"cannot reach a service: {type(exc).__name__}; is the stack running (make dev)?", 1)


def load_settings(*, person: bool = True) -> Settings:
    """The environment's settings; a bad variable, or no `DSAR_USER` for a command that acts
    for a person, is refused before anything runs. Commands that decide nothing about a
    request (migrate, audit, the servers) pass `person=False`."""
    try:
        settings = Settings.from_env()
    except ValueError as exc:
        fail(str(exc))
    if person and not settings.actor:
        fail(
            "DSAR_USER is not set: set it to your user name in the roles file (DSAR_ROLES_FILE);"
            " every decision is signed and recorded under that name"
        )
    return settings


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    """The key of the person at the terminal (`DSAR_SIGNING_KEY_FILE`, else the key folder)."""
    path = settings.signing_key_file or default_key_path(settings.actor, settings.keys_dir)
    try:
        return load_private_key(path)
    except ValueError as exc:
        raise UsageError("DSAR_SIGNING_KEY_FILE", str(exc)) from None


def require_role(settings: Settings, role: Role) -> None:
    """The acting person must hold `role` in the roles file; checked before anything is stored."""
    try:
        load_roles(settings.roles_file).require(settings.actor, role)
    except (ValueError, PermissionError) as exc:
        raise UsageError("role", str(exc)) from None


async def connect_client(settings: Settings) -> Client:
    """A Temporal client with the payload codec; a missing server reads as an unreachable service."""
    from dsar.client import connect

    try:
        client = await connect(settings)
    except ValueError as exc:
        raise UsageError("configuration", str(exc)) from None
    except RuntimeError:
        raise OSError("Temporal unreachable") from None
    # Decisions are signed as the person at the terminal; the key is read only when one is sent.
    return signing_client(client, one_key(settings.actor, lambda: signing_key(settings)))


def reference_arg(value: str) -> str:
    """Typer callback: a request reference in its one canonical spelling."""
    try:
        return parse_reference(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


Reference = Annotated[str, typer.Argument(callback=reference_arg)]
JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def system_arg(value: str) -> str:
    """`--system company/system`, checked against the group registry before anything runs."""
    from dsar.group import load_group

    company, _, code = value.strip().lower().partition("/")
    try:
        load_group().company(company).system(code)
    except KeyError:
        raise typer.BadParameter(
            f"{value!r} is not a system of the group registry; write it as company/system, e.g. gb01/signups"
        ) from None
    return f"{company}/{code}"


def split_system(value: str) -> tuple[str, str]:
    """`company/system` (already checked by `system_arg`) as its two codes."""
    company, _, code = value.partition("/")
    return company, code


SystemOption = Annotated[
    str,
    typer.Option(
        "--system",
        callback=system_arg,
        help="company/system from the group registry, e.g. gb01/signups",
    ),
]


def request_handle(client: Client, reference: str) -> WorkflowHandle[RightsRequestWorkflow, Any]:
    """The request's workflow, typed so Updates and Queries go through its methods."""
    return client.get_workflow_handle_for(RightsRequestWorkflow.run, workflow_id_for(reference))


async def request_state(client: Client, reference: str, timeout: timedelta | None = None) -> RequestState:
    """The request as its workflow sees it now (the `state` Query; `timeout` bounds the wait)."""
    return await request_handle(client, reference).query(RightsRequestWorkflow.state, rpc_timeout=timeout)


async def company_progress(
    client: Client, reference: str, company: str, round: int = 0, timeout: float = 2.0
) -> CompanyCollectionState | None:
    """One company's collection as its child workflow sees it; None when it cannot answer."""
    handle = client.get_workflow_handle_for(
        CompanyCollectionWorkflow.run, company_workflow_id(reference, company, round)
    )
    try:
        # A company whose worker is down cannot answer; don't let it stall the whole view.
        return await asyncio.wait_for(
            handle.query(CompanyCollectionWorkflow.progress, rpc_timeout=timedelta(seconds=timeout)),
            timeout + 0.2,
        )
    except Exception:
        return None


async def send_update(
    client: Client,
    reference: str,
    update: UpdateMethodMultiParam[[RightsRequestWorkflow, A], R],
    arg: A,
) -> R:
    """One human step, sent as the workflow's typed Update; its validator's refusal is raised."""
    return await request_handle(client, reference).execute_update(update, arg)


def update(
    settings: Settings,
    reference: str,
    update: UpdateMethodMultiParam[[RightsRequestWorkflow, A], R],
    arg: A,
) -> R:
    """Connect, send one typed Update and return its answer; refusals end the command."""

    async def go() -> R:
        return await send_update(await connect_client(settings), reference, update, arg)

    return run(go())


def show_state(state: RequestState, as_json: bool, message: str) -> None:
    """After a step that answers with the request: its state as JSON, or one line for a person."""
    if as_json:
        out.print_json(state.model_dump_json())
    else:
        out.print(message)


def show_count(reference: str, count: int, as_json: bool, message: str) -> None:
    """After a review decision that answers with how many records or spans it changed."""
    if as_json:
        out.print_json(json.dumps({"reference": reference, "changed": count}))
    else:
        out.print(message)

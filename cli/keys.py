"""`dsar keys init`: a signing key for a new team member, and the line for the roles file.

Every decision a person sends is signed with their private key (`dsar.signing`); the
workflow accepts it only if the roles file lists the matching public key for that person.
The private key is written 0600 where the `dsar` command looks for it (`DSAR_SIGNING_KEY_FILE`,
else `<DSAR_KEYS_DIR or ~/.config/dsar/keys>/<user>.key`) and never over an existing file.

A running request reads the roles file when a human step opens; `dsar keys reload` makes
it (or every open request) read it at once, after a key was added or revoked, and after
upgrading to signed decisions, for requests that loaded the roles file before keys existed.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Annotated

import typer

from cli._base import connect_client, fail, load_settings, out, reference_arg, request_handle, run
from dsar.config import Settings
from dsar.roles import Role
from dsar.signing import default_key_path, write_new_key

app = typer.Typer(help="Signing keys for the privacy team's decisions.", no_args_is_help=True)


@app.command()
def init(
    user: Annotated[
        str | None,
        typer.Option("--user", help="The member's user name in the roles file (default: DSAR_USER)."),
    ] = None,
    key_file: Annotated[
        Path | None,
        typer.Option("--key-file", help="Where to write the private key (default: the key folder)."),
    ] = None,
    roles: Annotated[
        list[Role] | None,
        typer.Option("--role", help="A role to print in the roles-file entry; repeat for more."),
    ] = None,
) -> None:
    """Make an Ed25519 key pair for a team member and print the entry for the roles file."""
    from dsar.roles import parse_roles

    try:
        settings = Settings.from_env()
    except ValueError as exc:
        fail(str(exc))
    name = user or settings.actor
    if not name:
        fail("--user: name the team member (or set DSAR_USER)")
    path = key_file or (Path(settings.signing_key_file) if settings.signing_key_file and not user else None)
    path = path or default_key_path(name, settings.keys_dir)
    if path.exists():
        fail(f"--key-file: {path} already exists; a key is never overwritten", 1)
    granted = roles or [Role.REVIEWER]
    listed = ", ".join(f'"{r.value}"' for r in granted)
    try:
        public = write_new_key(path, f"{name}@{socket.gethostname()}")
        entry = f'[users."{name}"]\nroles = [{listed}]\nkeys = ["{public}"]\n'
        parse_roles(entry)  # the entry printed is one the roles file accepts
    except (OSError, ValueError) as exc:
        fail(f"--user/--key-file: {exc}", 1)
    out.print(f"Private key written to {path} (readable by you only). Add this to the roles file:\n")
    typer.echo(entry)  # unwrapped, so it can be copied as it is


RELOAD_IN_FLIGHT = 32


@app.command()
def reload(
    reference: Annotated[
        str | None, typer.Argument(help="One request; every open request if left out.")
    ] = None,
) -> None:
    """Make running requests read the roles file again (a key added or revoked)."""
    from workflows.rights_request import RightsRequestWorkflow

    ref = reference_arg(reference) if reference else None
    settings = load_settings()

    async def go() -> int:
        client = await connect_client(settings)
        if ref is not None:
            await request_handle(client, ref).signal(RightsRequestWorkflow.reload_roles)
            return 1
        query = 'WorkflowType = "RightsRequestWorkflow" AND ExecutionStatus = "Running"'
        # Thousands may be open: a few dozen signals in flight at a time, not one by one.
        gate = asyncio.Semaphore(RELOAD_IN_FLIGHT)

        async def tell(workflow_id: str) -> None:
            async with gate:
                handle = client.get_workflow_handle_for(RightsRequestWorkflow.run, workflow_id)
                await handle.signal(RightsRequestWorkflow.reload_roles)

        ids = [found.id async for found in client.list_workflows(query, page_size=1000)]
        await asyncio.gather(*(tell(i) for i in ids))
        return len(ids)

    told = run(go())
    out.print(f"{told} running request(s) will read the roles file again.")

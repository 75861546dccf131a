"""`dsar --help` lists every command without importing any (issue #18: start-up time).

The listing reads each command's first docstring paragraph from its module's source; these
tests hold it to what the loaded command says, load every command as running it would, and
check in a fresh interpreter that listing imports neither the Temporal SDK nor pydantic.
"""

from __future__ import annotations

import inspect
import subprocess
import sys

from typer.main import get_command

from cli import COMMANDS, app
from cli.lazy import summary


def test_every_listed_command_loads_and_its_listing_is_its_own_first_paragraph() -> None:
    group = get_command(app)
    assert group.list_commands(None)[: len(COMMANDS)] == list(COMMANDS)  # type: ignore[attr-defined]
    for name, target in COMMANDS.items():
        command = group.get_command(None, name)  # type: ignore[attr-defined]
        assert command is not None and command.name == name
        if command.callback is None:  # a group of its own (`dsar keys`): its Typer help
            assert summary(target) == command.help, name
            continue
        doc = inspect.getdoc(command.callback) or ""
        assert summary(target) == " ".join(doc.split("\n\n")[0].split()), name


def test_listing_the_commands_imports_no_command_module_nor_the_sdk() -> None:
    probe = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from cli import app\n"
        "result = CliRunner().invoke(app, ['--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "assert 'resend-link' in result.output and 'Show where a request stands' in result.output\n"
        "heavy = ('temporalio', 'pydantic', 'asyncpg', 'cli.status', 'cli._base')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_a_mistyped_command_is_answered_with_the_lazy_commands_it_resembles() -> None:
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["stat"])
    assert result.exit_code == 2 and "Did you mean 'status'?" in result.output

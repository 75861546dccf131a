"""Commands imported only when they run, so `dsar --help` starts at once.

Click's documented pattern for large command lines (a group that loads its subcommands on
demand), on Typer's own group: running `dsar status` imports `cli.status` and builds that
one command with Typer, exactly as an eagerly registered command is built. Listing the
commands (`dsar --help`) needs only each one's name and first paragraph, which are read
from the docstring in the module's source (`ast`), so the listing imports no command module
and cannot drift from the commands' own help.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
from difflib import get_close_matches
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import typer
import typer.main
from typer._click.exceptions import UsageError
from typer.core import TyperCommand, TyperGroup
from typer.main import get_command_from_info
from typer.models import CommandInfo


class LazyGroup(TyperGroup):
    """Typer's group, with the commands of `lazy` ("name" -> "module:function") loaded on use."""

    lazy: ClassVar[dict[str, str]] = {}

    @classmethod
    def listing(cls, commands: dict[str, str]) -> type[LazyGroup]:
        """The group class for `typer.Typer(cls=...)` with these commands."""
        return type("DsarGroup", (cls,), {"lazy": dict(commands)})

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        eager = [n for n in super().list_commands(ctx) if n not in self.lazy]
        return [*self.lazy, *eager]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        target = self.lazy.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        if self._listing:
            return TyperCommand(name=cmd_name, help=summary(target))
        if cmd_name not in self.commands:
            module, _, function = target.partition(":")
            target_object = getattr(importlib.import_module(module), function)
            if isinstance(target_object, typer.Typer):
                # A group of its own (`dsar keys ...`), built as Typer builds an added group.
                group = typer.main.get_group(target_object)
                group.name = cmd_name
                self.commands[cmd_name] = group
            else:
                self.commands[cmd_name] = get_command_from_info(
                    CommandInfo(name=cmd_name, callback=target_object),
                    pretty_exceptions_short=True,
                    rich_markup_mode=self.rich_markup_mode,
                )
        return self.commands[cmd_name]

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        """Typer's own, with its "Did you mean ...?" drawn from the lazy commands too."""
        try:
            return super().resolve_command(ctx, args)
        except UsageError as exc:
            matches = get_close_matches(args[0], self.list_commands(ctx)) if args else []
            if matches and "Did you mean" not in exc.message:
                exc.message = f"{exc.message.rstrip('.')}. Did you mean {', '.join(map(repr, matches))}?"
            raise

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


@cache
def _docstrings(module: str) -> dict[str, str]:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return {}
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    return {
        node.name: ast.get_docstring(node) or ""
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


@cache
def _group_help(module: str, name: str) -> str:
    """The `help=` given to the module's `name = typer.Typer(...)`, read from its source."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return ""
    for node in ast.parse(Path(spec.origin).read_text(encoding="utf-8")).body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
            and isinstance(node.value, ast.Call)
        ):
            for keyword in node.value.keywords:
                if keyword.arg == "help" and isinstance(keyword.value, ast.Constant):
                    return str(keyword.value.value)
    return ""


def summary(target: str) -> str:
    """The first paragraph of a command's docstring, read from its source: `module:function`.

    A group (`module:app`, a Typer) is summed up by its own `help=`."""
    module, _, function = target.partition(":")
    if function == "app":
        return _group_help(module, function)
    return " ".join(_docstrings(module).get(function, "").split("\n\n")[0].split())

"""Workflow code reads no clock, draws no random number, does no I/O and keeps no state
between runs: checked by reading the code.

The workers share `workflows/` between workflow runs instead of re-importing it into each
run's sandbox (workers/sandbox.py: about 530 kB per cached request). The sandbox then no
longer restricts calls made from that code at run time; this test and the fully sandboxed
replay tests (tests/workflow/test_replay.py) stand in for it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

WORKFLOWS = Path(__file__).parents[2] / "workflows"

# What workflow code may import: the standard library's pure parts, the core, the SDK.
ALLOWED_IMPORTS = {
    "__future__",
    "asyncio",
    "collections",
    "dataclasses",
    "datetime",
    "enum",
    "functools",
    "itertools",
    "math",
    "typing",
    "dsar",
    "temporalio",
    "workflows",
}
# Calls whose result differs between the first run and a replay, or that reach outside.
CLOCK_CALLS = {"now", "utcnow", "today", "fromtimestamp"}
BUILTIN_CALLS = {"open", "print", "input", "exec", "eval", "hash"}
# `workflow.now()` is the workflow's deterministic clock.
ALLOWED_RECEIVERS = {"workflow"}
MUTATORS = {
    "append",
    "extend",
    "insert",
    "remove",
    "pop",
    "popitem",
    "clear",
    "update",
    "add",
    "discard",
    "setdefault",
}


def sources() -> list[Path]:
    return sorted(WORKFLOWS.rglob("*.py"))


def imported_roots(tree: ast.Module) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def forbidden_calls(tree: ast.Module) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in BUILTIN_CALLS:
            found.append(f"line {node.lineno}: {func.id}()")
        elif isinstance(func, ast.Attribute) and func.attr in CLOCK_CALLS:
            receiver = func.value.id if isinstance(func.value, ast.Name) else ""
            if receiver not in ALLOWED_RECEIVERS:
                found.append(f"line {node.lineno}: {ast.unparse(func)}()")
    return found


def module_state_mutations(tree: ast.Module) -> list[str]:
    """Module-level tables changed anywhere: shared between runs, they would leak state."""
    tables = {
        target.id
        for node in tree.body
        if isinstance(node, (ast.Assign, ast.AnnAssign))
        and isinstance(node.value, (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp))
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    }
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in MUTATORS
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in tables
        ):
            found.append(f"line {node.lineno}: {ast.unparse(node.func)}()")
        elif (
            isinstance(node, (ast.Subscript,))
            and isinstance(node.ctx, (ast.Store, ast.Del))
            and isinstance(node.value, ast.Name)
            and node.value.id in tables
        ):
            found.append(f"line {node.lineno}: {ast.unparse(node)} assigned")
        elif isinstance(node, ast.Global):
            found.append(f"line {node.lineno}: global {', '.join(node.names)}")
    return found


def test_the_scan_covers_every_workflow_module() -> None:
    names = {p.relative_to(WORKFLOWS).as_posix() for p in sources()}
    assert {"rights_request/workflow.py", "rights_request/clock.py", "company_collection.py"} <= names


@pytest.mark.parametrize("path", sources(), ids=lambda p: p.relative_to(WORKFLOWS).as_posix())
def test_workflow_code_imports_only_pure_modules(path: Path) -> None:
    extra = imported_roots(ast.parse(path.read_text(encoding="utf-8"))) - ALLOWED_IMPORTS
    assert not extra, f"{path.name} imports {sorted(extra)}: workflow code does no I/O (use an activity)"


@pytest.mark.parametrize("path", sources(), ids=lambda p: p.relative_to(WORKFLOWS).as_posix())
def test_workflow_code_reads_no_clock_and_reaches_nothing_outside(path: Path) -> None:
    found = forbidden_calls(ast.parse(path.read_text(encoding="utf-8")))
    assert not found, f"{path.name}: {found}; use workflow.now() or an activity"


@pytest.mark.parametrize("path", sources(), ids=lambda p: p.relative_to(WORKFLOWS).as_posix())
def test_workflow_code_keeps_no_state_between_runs(path: Path) -> None:
    found = module_state_mutations(ast.parse(path.read_text(encoding="utf-8")))
    assert not found, f"{path.name}: {found}; keep state on the workflow instance"


@pytest.mark.parametrize(
    "code",
    [
        "import random\n",
        "from time import time\n",
        "import asyncpg\n",
        "from datetime import datetime\nx = datetime.now()\n",
        "from datetime import date\nx = date.today()\n",
        "open('f')\n",
        "x = hash('a string: salted per process')\n",
        "SEEN: list[str] = []\ndef f() -> None:\n    SEEN.append('x')\n",
        "TABLE = {}\ndef f() -> None:\n    TABLE['k'] = 1\n",
        "N = 0\ndef f() -> None:\n    global N\n",
    ],
)
def test_the_checks_catch_what_they_are_for(code: str) -> None:
    tree = ast.parse(code)
    caught = (
        bool(imported_roots(tree) - ALLOWED_IMPORTS)
        or bool(forbidden_calls(tree))
        or bool(module_state_mutations(tree))
    )
    assert caught, code

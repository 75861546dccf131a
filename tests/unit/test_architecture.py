"""The layout's rules, checked on the source: layers point one way, no cycles, small modules.

Why a test: the redesign (rooms by stage) only stays a redesign while nobody can quietly add an
import from the core to the CLI, a cycle between two pages, a 1,500-line module, or an Update
called by a string that a rename would break in production but not under mypy.
"""

from __future__ import annotations

import ast
import graphlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Each layer and what it may import (besides itself, the standard library and third parties).
# Read top-down: entry points, web, process / side effects, storage, core.
LAYERS: dict[str, set[str]] = {
    "dsar": set(),
    "casestore": {"dsar"},
    "workflows": {"dsar"},
    "activities": {"dsar", "casestore"},
    "web": {"dsar", "casestore"},
    "workers": {"dsar", "casestore", "activities", "workflows", "web"},
    "cli": {"dsar", "casestore", "activities", "workflows", "web"},
}
PRODUCT = set(LAYERS)
FIRST_PARTY = PRODUCT | {"devstack", "bench", "tests", "chaos"}
# The one sanctioned reach into the dev-only package: `dsar dev` (cli) and `workers setup --demo`
# import it lazily and say, when it is absent (an installed wheel or the image), to run from a clone.
DEV_ONLY_ALLOWED = {"cli", "workers"}
MAX_LINES = 500
WORKFLOW_FILE_MAX = 350


def modules(package: str) -> Iterator[Path]:
    yield from sorted((ROOT / package).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(path: Path) -> Iterator[tuple[str, int, bool]]:
    """Every first-party module `path` imports: (name, line, at module level?)."""
    tree = ast.parse(path.read_text(), str(path))
    top_level = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the importing module's package
                base = module_name(path).split(".")
                if path.name != "__init__.py":
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            names = [prefix] + [f"{prefix}.{alias.name}" for alias in node.names]
        for name in names:
            if name.split(".")[0] in FIRST_PARTY:
                yield name, node.lineno, id(node) in top_level or _in_type_checking(tree, node)


def _in_type_checking(tree: ast.Module, target: ast.AST) -> bool:
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            if any(child is target for child in ast.walk(node)):
                return True
    return False


def test_layers_point_one_way() -> None:
    wrong = []
    for package, allowed in LAYERS.items():
        for path in modules(package):
            for name, line, _ in imported(path):
                top = name.split(".")[0]
                if top == package or top in allowed:
                    continue
                if top == "devstack" and package in DEV_ONLY_ALLOWED:
                    continue
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert not wrong, "imports against the layers:\n" + "\n".join(sorted(set(wrong)))


def test_core_imports_nothing_above_it() -> None:
    """Spelled out on its own, since it is the rule the others rest on."""
    above = FIRST_PARTY - {"dsar"}
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in modules("dsar")
        for name, line, _ in imported(path)
        if name.split(".")[0] in above
    ]
    assert not offenders, "\n".join(offenders)


def _module_graph() -> dict[str, set[str]]:
    known = {module_name(p): p for package in PRODUCT for p in modules(package)}
    graph: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        for target, _, top_level in imported(path):
            if not top_level:
                continue  # a lazy import inside a function cannot close a cycle at import time
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                graph[name].add(target)
    return graph


def test_no_import_cycles_between_modules_or_packages() -> None:
    graph = _module_graph()
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        pytest.fail(f"import cycle among modules: {' -> '.join(exc.args[1])}")
    packages: dict[str, set[str]] = {p: set() for p in PRODUCT}
    for module, targets in graph.items():
        packages[module.split(".")[0]] |= {t.split(".")[0] for t in targets} - {module.split(".")[0]}
    try:
        tuple(graphlib.TopologicalSorter(packages).static_order())
    except graphlib.CycleError as exc:
        pytest.fail(f"import cycle among packages: {' -> '.join(exc.args[1])}")


@pytest.mark.parametrize("package", sorted(PRODUCT))
def test_no_product_module_over_500_lines(package: str) -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for path in modules(package)
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_the_request_workflow_reads_on_one_screen_or_so() -> None:
    path = ROOT / "workflows" / "rights_request" / "workflow.py"
    assert len(path.read_text().splitlines()) < WORKFLOW_FILE_MAX


STRING_CALL = re.compile(
    r"""(execute_update|start_update|execute_query|\.query|execute_activity|start_activity"""
    r"""|execute_child_workflow|start_child_workflow|signal)\(\s*["']"""
)


def test_no_update_query_or_activity_is_called_by_name() -> None:
    """Calls across the Temporal boundary go through typed references, so a rename breaks mypy."""
    found = []
    for package in sorted(FIRST_PARTY):
        for path in modules(package):
            if path == Path(__file__).resolve():
                continue  # its own samples below
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if STRING_CALL.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "called by a string name:\n" + "\n".join(found)


def test_the_checks_themselves_can_fail(tmp_path: Path) -> None:
    """The checks above look at real code; show that each rule catches what it is meant to."""
    sample = tmp_path / "dsar" / "x.py"
    sample.parent.mkdir()
    sample.write_text("from activities.identity import check\nimport workflows\n")
    assert [n for n, _, _ in imported(sample)] == [
        "activities.identity",
        "activities.identity.check",
        "workflows",
    ]
    assert STRING_CALL.search('await handle.execute_update("approve", decision)')
    assert STRING_CALL.search("handle.query('state')")
    assert not STRING_CALL.search("await handle.execute_update(RightsRequestWorkflow.approve, decision)")

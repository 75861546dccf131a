"""Every typed activity reference matches the implementation registered under its name.

Workflows call activities through `dsar.activity_refs`; the implementations live in
`activities/`. A renamed activity, a changed input or result type, or an activity added
without a reference fails here rather than in production.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_type_hints

import pytest
from temporalio.activity import _Definition

import activities
from dsar import activity_refs
from dsar.activity_refs import ActivityRef


def registered() -> dict[str, Callable[..., Any]]:
    """Every `@activity.defn` method of every class in `activities/`, by activity name."""
    found: dict[str, Callable[..., Any]] = {}
    for module_info in pkgutil.iter_modules(activities.__path__, activities.__name__ + "."):
        module = importlib.import_module(module_info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__:
                continue
            for _, fn in inspect.getmembers(cls, inspect.isfunction):
                definition = _Definition.from_callable(fn)
                if definition is not None and definition.name is not None:
                    assert definition.name not in found, f"{definition.name} is defined twice"
                    found[definition.name] = fn
    return found


IMPLEMENTATIONS = registered()
REFS = activity_refs.all_refs()


def test_every_activity_has_a_reference_and_every_reference_an_activity() -> None:
    names = [ref.name for ref in REFS]
    assert len(names) == len(set(names)), "two references name the same activity"
    assert set(IMPLEMENTATIONS) - set(names) == set(), "activities without a typed reference"
    assert set(names) - set(IMPLEMENTATIONS) == set(), "references without an activity"


@pytest.mark.parametrize("ref", REFS, ids=lambda r: r.name)
def test_reference_types_match_the_implementation(ref: ActivityRef[object, object]) -> None:
    fn = IMPLEMENTATIONS[ref.name]
    hints = get_type_hints(fn)
    params = [p for p in inspect.signature(fn).parameters if p != "self"]
    assert len(params) == 1, f"{ref.name} takes one argument"
    assert hints[params[0]] == ref.input, f"{ref.name}: input"
    assert hints["return"] == ref.result, f"{ref.name}: result"


def test_workflows_call_activities_through_one_typed_site() -> None:
    """Workflow code names no activity constant and calls Temporal's untyped API in one place.

    (Strings at call sites anywhere in the project are caught by test_architecture.)
    """
    root = Path(__file__).parents[2] / "workflows"
    callers = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert "Activity." not in text, f"{path.relative_to(root)} names an activity constant"
        if re.search(r"workflow\.execute_activity\(", text):
            callers.append(path.name)
    assert callers == ["calls.py"]

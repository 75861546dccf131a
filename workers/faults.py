"""Fault injection for the chaos harness (`python -m chaos`): a worker that kills itself once.

Why: the only honest proof that every step survives a crash is to crash at that step, on
the real servers. A worker started with `DSAR_FAULT_INJECT=<activity>:<before|after>` (and
`DSAR_FAULT_MARKER=<file>`) SIGKILLs its own process when it runs that activity, either
before calling it (before its side effect) or after it returned but before Temporal hears
the result (the side effect done, the result lost). An optional third part,
`<field>=<value>`, narrows it to calls whose input has that field (e.g. `action=erase`).

The marker file makes it fire once: the first worker to create it dies; a worker restarted
with the same settings finds it and runs normally. Without `DSAR_FAULT_INJECT` nothing is
installed. Nothing about the activity's input is logged, only its type and the point.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import structlog
from temporalio import activity
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

FAULT_VARIABLE = "DSAR_FAULT_INJECT"
MARKER_VARIABLE = "DSAR_FAULT_MARKER"
POINTS = ("before", "after")

log = structlog.get_logger("workers.faults")


@dataclass(frozen=True)
class FaultPlan:
    """Which activity to die at, where, and the file that says it already happened."""

    activity: str
    point: str
    marker: Path
    field: str | None = None
    value: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> FaultPlan | None:
        spec = env.get(FAULT_VARIABLE, "").strip()
        if not spec:
            return None
        parts = spec.split(":")
        if len(parts) not in (2, 3) or not parts[0] or parts[1] not in POINTS:
            raise ValueError(f"{FAULT_VARIABLE} must be <activity>:<before|after>[:<field>=<value>]")
        field = value = None
        if len(parts) == 3:
            field, sep, value = parts[2].partition("=")
            if not sep or not field or not value:
                raise ValueError(f"{FAULT_VARIABLE}: the filter must be <field>=<value>")
        marker = env.get(MARKER_VARIABLE, "").strip()
        if not marker:
            raise ValueError(f"{MARKER_VARIABLE} must name a file, so the fault fires only once")
        return cls(parts[0], parts[1], Path(marker), field, value)

    def applies_to(self, activity_type: str, args: Sequence[Any]) -> bool:
        if activity_type != self.activity:
            return False
        if self.field is None:
            return True
        found = getattr(args[0], self.field, None) if args else None
        if isinstance(found, Enum):
            found = found.value
        return found is not None and str(found) == self.value

    def claim(self, workflow_id: str = "", activity_id: str = "") -> bool:
        """True for the one caller that creates the marker; everyone after runs normally.

        The marker names the workflow and the activity that fired it (ids, never personal
        data), so the harness can tell its own request's fault from another's and time the
        retry of exactly the call that was killed."""
        try:
            fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w") as out:
            out.write(f"{self.activity}:{self.point} {workflow_id} {activity_id}\n")
        return True


def _die(plan: FaultPlan) -> None:
    log.warning("fault_injection.killing", activity=plan.activity, point=plan.point, pid=os.getpid())
    os.kill(os.getpid(), signal.SIGKILL)


class _Inbound(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, plan: FaultPlan) -> None:
        super().__init__(next)
        self._plan = plan

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        plan, info = self._plan, activity.info()
        if not plan.applies_to(info.activity_type, input.args):
            return await super().execute_activity(input)
        if plan.point == "before" and plan.claim(info.workflow_id or "", info.activity_id):
            _die(plan)
        result = await super().execute_activity(input)
        if plan.point == "after" and plan.claim(info.workflow_id or "", info.activity_id):
            _die(plan)
        return result


class FaultInjector(Interceptor):
    """The worker interceptor that installs the killing step around every activity."""

    def __init__(self, plan: FaultPlan) -> None:
        self.plan = plan

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Inbound(next, self.plan)


def fault_interceptors(env: Mapping[str, str] | None = None) -> list[Interceptor]:
    """The injector when the test setting is present (and says so in the log); else none."""
    plan = FaultPlan.from_env(os.environ if env is None else env)
    if plan is None:
        return []
    log.warning(
        "fault_injection.armed",
        activity=plan.activity,
        point=plan.point,
        filter=plan.field,
        already_fired=plan.marker.exists(),
    )
    return [FaultInjector(plan)]

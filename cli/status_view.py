"""What `dsar status` shows of a request whose workflow answers: the table, the JSON, the
plain `--watch` line, and what the request waits for (`cli.guide`) at the end of each.

Built from the workflow's `state` Query, each company's collection progress and the
unsettled systems of running action children (a manual erasure waiting for its owner, which
the request's own state lists only once its company's child has finished).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import date, timedelta

from rich.console import Group
from rich.table import Table
from rich.text import Text
from temporalio.client import Client

from cli.execution import Execution
from cli.guide import TEAM, Step, next_steps, plural, steps_text
from cli.recorded import execution_json, execution_rows
from dsar.domain import Status
from dsar.messages.actions import ActionResult
from dsar.messages.collection import CompanyCollectionState
from dsar.messages.state import RequestState

Progress = dict[str, CompanyCollectionState | None]


def status_table(
    state: RequestState,
    progress: Progress,
    execution: Execution | None = None,
    pending: list[ActionResult] | None = None,
) -> Table:
    table = Table(title=f"{state.reference}", show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value")
    execution_rows(table, execution, state.status.value)
    table.add_row("rights", ", ".join(r.value for r in state.rights))
    table.add_row("jurisdiction", state.jurisdiction)
    table.add_row("received", state.received_on.isoformat())
    if state.clock_stopped:
        table.add_row("due", "clock stopped")
    elif state.due_on and state.status.is_open:
        left = (state.due_on - date.today()).days
        ended = "; nothing is running to meet it" if execution is not None and execution.ended_badly else ""
        table.add_row("due", f"{state.due_on.isoformat()} ({plural(left, 'day')} left{ended})")
    elif state.due_on:
        table.add_row("due", f"{state.due_on.isoformat()} (answered)")
    if state.extended:
        table.add_row("extended", state.extension_reason or "yes")
    if state.open_question:
        table.add_row("question", "waiting for the person's answer (dsar answer)")
    if state.outcome:
        table.add_row("outcome", state.outcome.replace("_", " "))
    identity = state.identity
    if identity is not None and state.status in (Status.RECEIVED, Status.IDENTITY):
        allowed = ", ".join(m.value for m in identity.allowed_methods)
        table.add_row("identity methods", allowed or "none until the agent's authorisation is attached")
        if identity.sensitive:
            table.add_row("needs a document check", ", ".join(r.value for r in identity.sensitive))
        table.add_row(
            "held records",
            f"{plural(identity.customer_records, 'customer record')};"
            f" e-mail {'held' if identity.email_held else 'not held'};"
            f" {plural(identity.codes_sent, 'code')} sent",
        )
    if state.identity_verified_by:
        method = f" ({identity.method})" if identity is not None and identity.method else ""
        table.add_row("identity confirmed by", state.identity_verified_by + method)
    if state.approved_by:
        table.add_row("approved by", state.approved_by)
    for company in state.companies:
        detail = progress.get(company.company)
        if company.done and company.systems:
            systems = ", ".join(f"{s.system}:{s.status.value}({s.records})" for s in company.systems)
        elif detail and detail.systems:
            systems = ", ".join(f"{s.system}:{s.status.value}({s.records})" for s in detail.systems)
        else:
            systems = "waiting for the company's worker" if not company.done else ""
        mark = "done" if company.done else "collecting"
        counted = plural(company.records, "record")
        table.add_row(
            f"company {company.company}", f"{mark}, {counted}" + (f": {systems}" if systems else "")
        )
    if state.package:
        table.add_row(
            "package", f"{plural(state.package.records, 'record')}, {plural(state.package.bytes, 'byte')}"
        )
    for hold_key, hold_reason in sorted(state.legal_holds.items()):
        table.add_row(f"legal hold {hold_key}", hold_reason)
    if state.objection_upheld is not None:
        table.add_row("objection", "upheld" if state.objection_upheld else "overridden")
    settled = {(a.company, a.system, a.action) for a in state.actions}
    waiting = [a for a in pending or [] if (a.company, a.system, a.action) not in settled]
    for result in [*state.actions, *waiting]:
        line_text = f"{result.status.value}, {result.changed} changed"
        if result.fields:
            line_text += f" ({', '.join(result.fields)})"
        for kept in result.kept:
            line_text += f"; kept {kept.items} {kept.category} ({kept.legal_basis})"
        if result.error:
            line_text += f"; {result.error}"
        if result.note:
            line_text += f"; {result.note}"
        table.add_row(f"{result.action.value} {result.company}/{result.system}", line_text)
    if state.recipients_notified:
        table.add_row("recipients told (Art. 19)", ", ".join(state.recipients_notified))
    if state.restriction_active:
        table.add_row("restriction", "in force (dsar lift-restriction; the person is told first)")
    elif state.restriction_lifted_at:
        table.add_row("restriction", f"lifted {state.restriction_lifted_at.date().isoformat()}")
    if state.transmitted:
        table.add_row("transmitted (Art. 20(2))", plural(state.transmitted.bytes, "byte"))
    return table


@dataclass
class View:
    """Everything `dsar status` shows of a request whose workflow answers."""

    state: RequestState
    progress: Progress
    execution: Execution | None = None
    # Actions a company's running child has not settled yet (a manual erasure waiting for its owner).
    pending: list[ActionResult] = field(default_factory=list)

    @property
    def steps(self) -> list[Step]:
        if self.execution is not None and self.execution.ended_badly:
            return [Step(TEAM, f"nothing can move it: its workflow {self.execution.word}")]
        return next_steps(self.state, self.progress, self.pending)

    def table(self) -> Group:
        table = status_table(self.state, self.progress, self.execution, self.pending)
        return Group(table, Text("\n".join(steps_text(self.steps))))

    def json(self) -> str:
        data = self.state.model_dump(mode="json")
        data["collection"] = {k: v.model_dump(mode="json") if v else None for k, v in self.progress.items()}
        data["pending_actions"] = [a.model_dump(mode="json") for a in self.pending]
        execution_json(data, self.execution)
        data["answering"] = True
        data["waiting_for"] = [s.as_json() for s in self.steps]
        return json.dumps(data)

    def line(self) -> str:
        """One plain line for `--watch` into a pipe or a file: the stage, counts, what it waits for."""
        state = self.state
        stage = state.status.value
        if self.execution is not None and self.execution.ended_badly:
            stage = f"{self.execution.word} (last stage: {stage})"
        parts = [state.reference, stage]
        for company in state.companies:
            parts.append(
                f"{company.company} {'done' if company.done else 'collecting'}"
                f" {plural(company.records, 'record')}"
            )
        first = self.steps[0] if self.steps else None
        waits = (
            f"waits for: {first.what}" + (f"; next: {first.command}" if first and first.command else "")
            if first
            else "closed"
        )
        return " | ".join([*parts, waits])


async def pending_actions(client: Client, execution: Execution | None) -> list[ActionResult]:
    """The unsettled systems of each running action child (a manual erasure waits for its owner)."""
    from workflows.company_action import CompanyActionWorkflow

    if execution is None:
        return []
    ids = [i for i, kind in execution.children.items() if kind == CompanyActionWorkflow.__name__]

    async def progress(workflow_id: str) -> list[ActionResult]:
        handle = client.get_workflow_handle_for(CompanyActionWorkflow.run, workflow_id)
        try:
            state = await asyncio.wait_for(
                handle.query(CompanyActionWorkflow.progress, rpc_timeout=timedelta(seconds=2)), 2.2
            )
        except Exception:  # a company whose worker is down cannot answer; status still does
            return []
        return [s for s in state.systems if not s.status.settled]

    return [a for found in await asyncio.gather(*(progress(i) for i in ids)) for a in found]

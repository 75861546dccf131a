"""The chaos harness's representative subset (`python -m chaos --quick`) on the real local stack.

One stack (Temporal dev server, PostgreSQL, S3 and SMTP behind gates, the demo receiving
controller, the workers as separate processes); a full request (access + portability with
transmission + rectification + erasure, a manual system, a legal hold) run undisturbed as
the reference, then once per cell: the control worker SIGKILLed right after an e-mail
went out, the packaging worker right after the package was built, gb01's worker SIGKILLed right after it
erased rows, and the case store stopped for 30 s during collection. Each run must end
exactly like the reference, with nothing sent or stored twice, and move again within a
minute of its worker's restart or its server's return. The whole matrix is `make chaos`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from chaos.cells import QUICK, all_cells
from chaos.mailbox import MailBox
from chaos.observe import Observation, compare, next_progress
from chaos.rig import Rig
from chaos.run import RECOVERY_LIMIT, Reference, run_cell, run_reference, table
from workers.faults import FaultPlan, fault_interceptors

pytestmark = pytest.mark.integration
PATIENCE = 150.0  # seconds one step may take before the cell counts as stuck


# --- the injection point and the comparison, without a stack -----------------------------


def test_the_fault_is_off_without_its_setting_and_refuses_a_bad_one(tmp_path: Path) -> None:
    assert fault_interceptors({}) == []
    marker = str(tmp_path / "fired")
    for bad in ("build_package", "build_package:during", ":after", "send_notification:after:kind"):
        with pytest.raises(ValueError, match="DSAR_FAULT_INJECT"):
            FaultPlan.from_env({"DSAR_FAULT_INJECT": bad, "DSAR_FAULT_MARKER": marker})
    with pytest.raises(ValueError, match="DSAR_FAULT_MARKER"):
        FaultPlan.from_env({"DSAR_FAULT_INJECT": "build_package:after"})
    assert (
        len(fault_interceptors({"DSAR_FAULT_INJECT": "build_package:after", "DSAR_FAULT_MARKER": marker}))
        == 1
    )


def test_the_fault_matches_its_activity_and_filter_and_fires_once(tmp_path: Path) -> None:
    from dsar.messages.actions import Action

    class Input:
        action = Action.ERASE

    env = {
        "DSAR_FAULT_INJECT": "execute_postgres:after:action=erase",
        "DSAR_FAULT_MARKER": str(tmp_path / "m"),
    }
    plan = FaultPlan.from_env(env)
    assert plan is not None and plan.point == "after"
    assert plan.applies_to("execute_postgres", [Input()])
    assert not plan.applies_to("execute_s3_objects", [Input()])
    Input.action = Action.RECTIFY
    assert not plan.applies_to("execute_postgres", [Input()])
    assert plan.claim() and not plan.claim()  # the restarted worker finds the marker


def test_the_identity_code_cells_break_their_own_request_and_only_the_code_mail(tmp_path: Path) -> None:
    """The full request sends no code (an erasure needs a document check): its cells run the short one."""
    from chaos.cells import select
    from dsar.messages.notifications import NotificationKind

    picked = select(all_cells(), "identity", quick=False)
    assert [c.name for c in picked] == [
        "kill send_notification[kind=identity_code] before",
        "kill send_notification[kind=identity_code] after",
        "kill confirm_identity_code before",
        "kill confirm_identity_code after",
    ]
    assert {c.request for c in picked} == {"identity"}
    assert {c.request for c in all_cells() if c not in picked} == {"full"}

    class Input:
        kind = NotificationKind.IDENTITY_CODE

    spec = next(c.spec for c in picked if c.point == "after")
    plan = FaultPlan.from_env({"DSAR_FAULT_INJECT": spec, "DSAR_FAULT_MARKER": str(tmp_path / "m")})
    assert plan is not None and plan.applies_to("send_notification", [Input()])
    Input.kind = NotificationKind.ACKNOWLEDGEMENT
    assert not plan.applies_to("send_notification", [Input()])


def test_the_comparison_counts_duplicates_and_differences() -> None:
    reference = Observation(
        state={"status": "delivered"},
        mails=Counter({("delivery", ""): 1, ("outcome", ""): 1}),
        artefacts=Counter({"package": 1}),
        imports_accepted=1,
        rows={"GB01_DB.crm_customers": 0},
        audit_intact=True,
    )
    assert compare(reference, reference) == (0, [])
    twice = Observation(**{**reference.__dict__, "mails": Counter({("delivery", ""): 2, ("outcome", ""): 1})})
    assert compare(reference, twice)[0] == 1
    lost = Observation(**{**reference.__dict__, "rows": {"GB01_DB.crm_customers": 1}, "audit_intact": False})
    duplicates, problems = compare(reference, lost)
    assert duplicates == 0 and any("rows differ" in p for p in problems) and "audit chain broken" in problems


def test_recovery_is_timed_to_the_retry_of_the_killed_call() -> None:
    """Another system's (or company's) erasure finishing says nothing about the killed call."""
    from datetime import UTC, datetime, timedelta

    restart = datetime(2026, 1, 1, tzinfo=UTC)
    step = ("execute_postgres", "company-gb01")
    completed = [
        (restart - timedelta(seconds=5), step, ("dsar-R-erase-gb01", "crm")),
        (restart + timedelta(seconds=1), ("execute_postgres", "company-se01"), ("dsar-R-erase-se01", "crm")),
        (restart + timedelta(seconds=2), step, ("dsar-R-erase-gb01", "web")),
        (restart + timedelta(seconds=31), step, ("dsar-R-erase-gb01", "crm")),
    ]
    assert next_progress(completed, restart, ("dsar-R-erase-gb01", "crm")) == 31
    assert next_progress(completed, restart) == 1
    assert next_progress(completed, restart, ("dsar-R", "build_package")) is None


# --- on the real stack ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    rig = Rig(tmp_path_factory.mktemp("chaos"))
    try:
        rig.start()
        yield rig
    finally:
        rig.stop()


@pytest.fixture(scope="module")
def mail(rig: Rig) -> MailBox:
    return MailBox(rig.stack.mail.folder)


@pytest.fixture(scope="module")
def reference(rig: Rig, mail: MailBox) -> Reference:
    return run_reference(rig, mail, PATIENCE)


def test_the_undisturbed_request_is_complete(reference: Reference) -> None:
    """The yardstick itself: every e-mail once, one package, one transmission, an intact chain."""
    seen = reference.observation
    kinds = Counter(kind for kind, _ in seen.mails.elements())
    assert kinds["acknowledgement"] == kinds["delivery"] == kinds["download_code"] == kinds["outcome"] == 1
    assert kinds["manual_task"] == 1 and kinds["manual_action"] == 2  # gb01's sheets: collect, rectify, erase
    assert kinds["recipient_notice"] >= 1  # Art. 19
    assert max(seen.mails.values()) == 1
    assert seen.state["status"] == "delivered" and seen.state["transmitted"] == 202
    assert seen.artefacts == Counter({"access-package": 1, "portable-data": 1}) and seen.objects_missing == 0
    assert seen.imports_accepted == 1 and seen.audit_intact
    assert seen.rows["GB01_DB.crm_customers.city"] == []  # erased in gb01 ...
    assert seen.rows["NL01_DB.crm_customers.city"] == ["Uppsala"]  # ... corrected and held in nl01
    assert {"build_package", "send_notification", "execute_postgres"} <= {a for a, _ in reference.scheduled}


@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", QUICK)
def test_a_representative_cell_ends_like_the_reference(
    rig: Rig, mail: MailBox, reference: Reference, name: str
) -> None:
    cell = next(c for c in all_cells() if c.name == name)
    outcome = run_cell(rig, mail, cell, reference, PATIENCE)
    shown = table([outcome])
    assert outcome.duplicates == 0, shown
    assert outcome.recovery is not None and outcome.recovery <= RECOVERY_LIMIT, shown
    assert outcome.passed, shown

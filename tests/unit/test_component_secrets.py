"""Each component is given only its own secrets: compose, Kubernetes and the local stack."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from devstack.part_settings import PART_SETTINGS
from dsar.group import load_group

INFRA = Path(__file__).resolve().parents[2] / "infra"
CODES = [c.code for c in load_group().companies]


@pytest.mark.parametrize("code", CODES)
def test_a_company_worker_in_compose_has_its_own_login_and_systems_only(code: str) -> None:
    env = yaml.safe_load((INFRA / "compose.yaml").read_text())["services"][f"worker-{code}"]["environment"]
    assert "DSAR_DOWNLOAD_SIGNING_KEY" not in env and "DSAR_MIGRATION_DATABASE_URL" not in env
    assert env["DSAR_DATABASE_URL"].startswith(f"postgresql://dsar_co_{code}:")
    assert {k for k in env if k.startswith("DSAR_CONN_")} == {f"DSAR_CONN_{code.upper()}_DB"}


def test_each_compose_component_logs_in_as_itself() -> None:
    services = yaml.safe_load((INFRA / "compose.yaml").read_text())["services"]
    users = {n: services[n]["environment"]["DSAR_DATABASE_URL"].split("//")[1].split(":")[0] for n in
             ("worker-control", "download-page")}  # fmt: skip
    assert users == {"worker-control": "dsar", "download-page": "dsar_pages"}
    init = (INFRA / "compose" / "casestore-init.sh").read_text()
    for code in CODES:
        assert f"CREATE ROLE dsar_co_{code} LOGIN PASSWORD" in init


@pytest.mark.parametrize("code", CODES)
def test_a_company_worker_in_kubernetes_reads_its_own_secret(code: str) -> None:
    manifest = yaml.safe_load((INFRA / "k8s" / f"worker-{code}.yaml").read_text())
    refs = manifest["spec"]["template"]["spec"]["containers"][0]["envFrom"]
    assert [r["secretRef"]["name"] for r in refs if "secretRef" in r] == [f"dsar-secrets-company-{code}"]


def test_the_local_stack_gives_company_workers_no_signing_key_nor_owner_dsn() -> None:
    company = PART_SETTINGS["company"]
    assert "DSAR_DOWNLOAD_SIGNING_KEY" not in company and "DSAR_MIGRATION_DATABASE_URL" not in company
    assert "DSAR_CODEC_KEY_FILE" not in PART_SETTINGS["download-server"]
    assert all("DSAR_AUDIT_MAC_KEYS" in part for part in PART_SETTINGS.values())

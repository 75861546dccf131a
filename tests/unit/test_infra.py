"""The deployment files are valid, checked offline with validators from PyPI.

No Docker engine or cluster is needed: hadolint lints the Dockerfile, the Compose
Specification's JSON Schema (vendored by check-jsonschema) checks the compose file, and
kubernetes-validate checks the manifests against the Kubernetes schemas. Each validator
is also shown a broken file, so a validator that accepts anything fails the suite.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from devstack.local_servers import venv_binary

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
K8S = sorted((INFRA / "k8s").glob("*.yaml"))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": str(Path(venv_binary("hadolint")).parent) + ":/usr/bin:/bin", "DSAR_CODEC_KEYS": "x",
           "DSAR_CODEC_TOKENS": "y", "HOME": "/tmp"}  # fmt: skip
    return subprocess.run(list(args), capture_output=True, text=True, timeout=120, env=env)


def test_dockerfile_passes_hadolint(tmp_path: Path) -> None:
    result = run(venv_binary("hadolint"), str(INFRA / "Dockerfile"))
    assert result.returncode == 0, result.stdout + result.stderr
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN cd /app && pip install x\n")
    assert run(venv_binary("hadolint"), str(bad)).returncode != 0


def test_compose_file_follows_the_compose_specification(tmp_path: Path) -> None:
    check = venv_binary("check-jsonschema")
    result = run(check, "--builtin-schema", "vendor.compose-spec", str(INFRA / "compose.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr
    bad = tmp_path / "compose.yaml"
    bad.write_text("services:\n  worker:\n    image: dsar\n    ports: 9464\n    restart: sometimes\n")
    assert run(check, "--builtin-schema", "vendor.compose-spec", str(bad)).returncode != 0


def test_compose_file_has_the_full_stack() -> None:
    services = yaml.safe_load((INFRA / "compose.yaml").read_text())["services"]
    for needed in ("temporal", "temporal-ui", "codec-server", "casestore", "minio", "mailpit", "setup",
                   "worker-control", "worker-gb01", "worker-se01", "worker-dk01", "worker-nl01"):  # fmt: skip
        assert needed in services
    assert services["temporal-ui"]["environment"]["TEMPORAL_CODEC_ENDPOINT"].endswith(":8081")


@pytest.mark.parametrize("path", K8S, ids=lambda p: p.name)
def test_kubernetes_manifests_validate(path: Path) -> None:
    result = run(venv_binary("kubernetes-validate"), "-k", "1.30.0", "--strict", "--quiet", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_kubernetes_validator_rejects_a_broken_manifest(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  replicas: two\n")
    result = run(venv_binary("kubernetes-validate"), "-k", "1.30.0", "--strict", "--quiet", str(bad))
    assert result.returncode != 0


@pytest.mark.parametrize("path", [p for p in K8S if p.name.startswith("worker-")], ids=lambda p: p.name)
def test_workers_have_probes_resources_and_graceful_shutdown(path: Path) -> None:
    spec = yaml.safe_load(path.read_text())["spec"]["template"]["spec"]
    container = spec["containers"][0]
    assert spec["terminationGracePeriodSeconds"] >= 30
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert container["resources"]["requests"] and container["resources"]["limits"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/metrics"
    assert container["readinessProbe"]["httpGet"]["path"] == "/metrics"


def test_dashboard_uses_only_metrics_the_product_emits() -> None:
    dashboard = json.loads((INFRA / "grafana" / "dsar-dashboard.json").read_text())
    used = {
        m
        for p in dashboard["panels"]
        for t in p["targets"]
        for m in re.findall(r"dsar_[a-z0-9_]+", t["expr"])
    }
    source = "\n".join(
        p.read_text() for d in ("workers", "workflows", "activities") for p in (ROOT / d).glob("*.py")
    )
    emitted = set(re.findall(r'"(dsar_[a-z0-9_]+)"', source))
    assert used and used <= emitted, used - emitted

"""The deployment files are valid, checked offline with validators from PyPI.

No Docker engine or cluster is needed: hadolint lints the Dockerfile, the Compose
Specification's JSON Schema (vendored by check-jsonschema) checks the compose file, and
kubernetes-validate checks the manifests against the Kubernetes schemas. Each validator
is also shown a broken file, so a validator that accepts anything fails the suite.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from devstack.local_servers import venv_binary

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
K8S = sorted((INFRA / "k8s").glob("*.yaml"))
COMPANIES = [c["code"] for c in tomllib.loads((INFRA / "group.toml").read_text())["companies"]]


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
    workers = [f"worker-{code}" for code in COMPANIES]
    for needed in ("temporal", "temporal-ui", "codec-server", "download-page", "casestore", "minio",
                   "mailpit", "setup", "worker-control", "worker-packaging", *workers):  # fmt: skip
        assert needed in services
    assert services["temporal-ui"]["environment"]["TEMPORAL_CODEC_ENDPOINT"].endswith(":8081")
    pages = services["download-page"]
    assert pages["entrypoint"][-1] == "download-server"
    assert pages["healthcheck"]["test"][-1].count("/healthz") == 1
    # The internet-facing pages hold no codec keys and no way to Temporal.
    assert not {"DSAR_CODEC_KEYS", "DSAR_CODEC_KEY_FILE", "DSAR_TEMPORAL_ADDRESS"} & set(pages["environment"])
    links = services["worker-control"]["environment"]["DSAR_DOWNLOAD_BASE_URL"]
    assert links.endswith(":" + pages["ports"][0].rsplit(":", 1)[1])
    # The image has no dev stack: only the demo's setup job mounts it, read-only.
    assert "../devstack:/app/devstack:ro" in services["setup"]["volumes"]
    assert not any(
        "devstack" in str(v) for name, s in services.items() if name != "setup" for v in s.get("volumes", [])
    )


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


# --- the public pages behind TLS; the codec server inside ---------------------------------


def k8s_objects() -> list[dict[str, Any]]:
    return [doc for path in K8S for doc in yaml.safe_load_all(path.read_text()) if doc]


def deployment(name: str) -> dict[str, Any]:
    found = [o for o in k8s_objects() if o["kind"] == "Deployment" and o["metadata"]["name"] == name]
    assert len(found) == 1, name
    return found[0]


def test_kubernetes_manifests_run_every_service() -> None:
    names = {o["metadata"]["name"] for o in k8s_objects() if o["kind"] == "Deployment"}
    needed = {"dsar-worker-control", "dsar-worker-packaging", "dsar-codec-server", "dsar-download-page"}
    assert needed | {f"dsar-worker-{code}" for code in COMPANIES} <= names
    assert deployment("dsar-download-page")["spec"]["template"]["spec"]["containers"][0]["command"][-1] == (
        "download-server"
    )
    # Links in the e-mails point at the ingress, over TLS.
    config = next(
        o for o in k8s_objects() if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "dsar-config"
    )
    assert config["data"]["DSAR_DOWNLOAD_BASE_URL"].startswith("https://")


def test_public_pages_are_reached_only_through_the_tls_ingress() -> None:
    objects = k8s_objects()
    [ingress] = [o for o in objects if o["kind"] == "Ingress"]
    spec = ingress["spec"]
    tls_hosts = {h for entry in spec["tls"] for h in entry["hosts"]}
    assert all(entry["secretName"] for entry in spec["tls"])
    routes = {
        (rule["host"], path["path"], path["backend"]["service"]["name"])
        for rule in spec["rules"]
        for path in rule["http"]["paths"]
    }
    assert {(host, p) for host, p, _ in routes} == {(host, p) for host in tls_hosts for p in ("/d", "/v")}
    assert {service for *_, service in routes} == {"dsar-download-page"}  # never the codec server
    config = next(o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "dsar-config")
    assert config["data"]["DSAR_DOWNLOAD_BASE_URL"] in {f"https://{h}" for h in tls_hosts}
    services = {o["metadata"]["name"]: o["spec"] for o in objects if o["kind"] == "Service"}
    assert services["dsar-codec-server"].get("type", "ClusterIP") == "ClusterIP"


@pytest.mark.parametrize(
    ("name", "allowed", "refused"),
    [
        ("dsar-download-page", {"DSAR_DOWNLOAD_SIGNING_KEY", "DSAR_DATABASE_URL"}, {"DSAR_CODEC_KEYS"}),
        ("dsar-codec-server", {"DSAR_CODEC_KEYS"}, {"DSAR_DATABASE_URL", "DSAR_CODEC_TOKENS"}),
    ],
)
def test_web_services_read_only_their_own_secrets(name: str, allowed: set[str], refused: set[str]) -> None:
    """Key by key, not the whole Secret: the page faces the internet, the codec server opens payloads."""
    spec = deployment(name)["spec"]["template"]["spec"]
    container = spec["containers"][0]
    assert not container.get("envFrom"), "a whole Secret or ConfigMap would hand over every key"
    secrets = {
        e["valueFrom"]["secretKeyRef"]["key"]
        for e in container["env"]
        if "secretKeyRef" in e.get("valueFrom", {})
    }
    assert allowed <= secrets and not refused & secrets
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True


def test_the_packaging_worker_builds_packages_with_only_what_that_needs() -> None:
    """Its own service and Deployment: the control login, codec and MAC keys; no mail, no link
    signing key, no schema owner's DSN, no company's systems."""
    service = yaml.safe_load((INFRA / "compose.yaml").read_text())["services"]["worker-packaging"]
    env = service["environment"]
    assert service["command"] == ["packaging"]
    assert env["DSAR_DATABASE_URL"].startswith("postgresql://dsar:")  # the control worker's login
    assert {"DSAR_CODEC_KEYS", "DSAR_AUDIT_MAC_KEYS", "DSAR_S3_BUCKET"} <= set(env)
    assert not {"DSAR_SMTP_URL", "DSAR_DOWNLOAD_SIGNING_KEY", "DSAR_MIGRATION_DATABASE_URL"} & set(env)
    assert not [k for k in env if k.startswith("DSAR_CONN_")]
    spec = pod_spec(deployment("dsar-worker-packaging"))
    container = spec["containers"][0]
    assert container["args"] == ["packaging"]
    secrets = [r["secretRef"]["name"] for r in container["envFrom"] if "secretRef" in r]
    assert secrets == ["dsar-secrets-packaging"]


# --- mTLS to Temporal: one client certificate per component, the server asks for it -----

TEMPORAL_CLIENTS = {"setup", "worker-control", "worker-packaging", *(f"worker-{code}" for code in COMPANIES)}
TLS_ENV = {
    "DSAR_TEMPORAL_TLS_CERT": "/run/tls/tls.crt",
    "DSAR_TEMPORAL_TLS_KEY": "/run/tls/tls.key",
    "DSAR_TEMPORAL_TLS_CA": "/run/tls/ca.crt",
}


def tls_mounts(service: dict[str, Any]) -> list[str]:
    return [v.split(":")[0] for v in service.get("volumes", []) if ":/run/tls" in v]


def test_compose_runs_temporal_with_mtls_and_a_certificate_per_component() -> None:
    services = yaml.safe_load((INFRA / "compose.yaml").read_text())["services"]
    talk_to_temporal = {n for n, s in services.items() if "DSAR_TEMPORAL_ADDRESS" in s.get("environment", {})}
    assert talk_to_temporal == TEMPORAL_CLIENTS
    for name in sorted(talk_to_temporal):
        env = services[name]["environment"]
        assert {k: env.get(k) for k in TLS_ENV} == TLS_ENV, name
        assert tls_mounts(services[name]) == [f"./tls/{name}"], name  # its own folder, nothing else
    for name in ("temporal", "temporal-ui"):
        assert tls_mounts(services[name]) == [f"./tls/{name}"], name
    mounted = [m for s in services.values() for m in tls_mounts(s)]
    assert len(mounted) == len(set(mounted)), "two services share a certificate"
    for name in ("download-page", "codec-server"):  # neither talks to Temporal
        assert not tls_mounts(services[name]) and "DSAR_TEMPORAL_ADDRESS" not in services[name]["environment"]
    server = services["temporal"]["environment"]
    assert server["TEMPORAL_TLS_REQUIRE_CLIENT_AUTH"] == "true"
    assert server["TEMPORAL_TLS_CLIENT1_CA_CERT"] == "/run/tls/ca.crt"
    assert server["TEMPORAL_TLS_FRONTEND_DISABLE_HOST_VERIFICATION"] == "false"
    ui = services["temporal-ui"]["environment"]
    assert (
        ui["TEMPORAL_TLS_CERT"] == "/run/tls/tls.crt"
        and ui["TEMPORAL_TLS_ENABLE_HOST_VERIFICATION"] == "true"
    )
    # The UI passes each operator's own access token; the codec URL holds no token.
    assert ui["TEMPORAL_AUTH_ENABLED"] == "true" and ui["TEMPORAL_CODEC_PASS_ACCESS_TOKEN"] == "true"
    assert ui["TEMPORAL_CODEC_ENDPOINT"].count("/") == 2
    codec = services["codec-server"]["environment"]
    assert "DSAR_CODEC_TOKENS" not in codec and {"DSAR_CODEC_JWT_ISSUER", "DSAR_CODEC_JWKS_URL"} <= set(codec)


def test_the_certificate_script_makes_one_verified_certificate_per_component(tmp_path: Path) -> None:
    made = subprocess.run(
        ["sh", str(INFRA / "compose" / "make-certs.sh"), str(tmp_path)], capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    services = yaml.safe_load((INFRA / "compose.yaml").read_text())["services"]
    needed = {m.removeprefix("./tls/") for s in services.values() for m in tls_mounts(s)}
    assert needed <= {p.name for p in tmp_path.iterdir()}
    subjects = set()
    for name in sorted(needed):
        folder = tmp_path / name
        verify = subprocess.run(
            ["openssl", "verify", "-CAfile", str(folder / "ca.crt"), str(folder / "tls.crt")],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert verify.returncode == 0, verify.stdout + verify.stderr
        subject = subprocess.run(
            ["openssl", "x509", "-noout", "-subject", "-in", str(folder / "tls.crt")],
            capture_output=True, text=True, timeout=30,
        ).stdout  # fmt: skip
        assert f"CN = {name}" in subject or f"CN={name}" in subject
        subjects.add(subject)
    assert len(subjects) == len(needed)  # no certificate shared between components


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = obj["spec"]["template"]["spec"]
    return spec


def own_secret_mounts(prefix: str) -> dict[str, str]:
    """Each pod that talks to Temporal (it reads dsar-config) mounts exactly one Secret named
    `<prefix><component>`, its own, read-only and group-readable only; the others none.
    Returns where each pod mounts it."""
    mounted: dict[str, str] = {}
    for obj in k8s_objects():
        if obj["kind"] not in ("Deployment", "Job"):
            continue
        name, spec = obj["metadata"]["name"], pod_spec(obj)
        container = spec["containers"][0]
        reads_config = any(
            e.get("configMapRef", {}).get("name") == "dsar-config" for e in container.get("envFrom", [])
        )
        volumes = [
            v for v in spec.get("volumes", []) if v.get("secret", {}).get("secretName", "").startswith(prefix)
        ]
        if not reads_config:  # the public pages and the codec server: no Temporal, no credential
            assert not volumes, name
            continue
        [volume] = volumes
        assert volume["secret"]["secretName"] == prefix + name.removeprefix("dsar-"), name
        [mount] = [m for m in container["volumeMounts"] if m["name"] == volume["name"]]
        assert mount["readOnly"] is True and volume["secret"]["defaultMode"] == 0o440, name
        assert spec["securityContext"]["fsGroup"] == 10001, name
        mounted[name] = mount["mountPath"]
    workers = {"dsar-worker-control", "dsar-worker-packaging", *(f"dsar-worker-{c}" for c in COMPANIES)}
    assert set(mounted) == {"dsar-setup", *workers}
    return mounted


def test_kubernetes_pods_that_talk_to_temporal_each_mount_their_own_certificate() -> None:
    config = next(
        o for o in k8s_objects() if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "dsar-config"
    )
    assert {k: config["data"].get(k) for k in TLS_ENV} == TLS_ENV
    assert set(own_secret_mounts("dsar-temporal-tls-").values()) == {"/run/tls"}


def test_the_temporal_server_asks_every_client_for_a_certificate() -> None:
    tls = yaml.safe_load((INFRA / "temporal" / "server-tls.yaml").read_text())["global"]["tls"]
    for side in ("frontend", "internode"):
        assert tls[side]["server"]["requireClientAuth"] is True
        assert tls[side]["server"]["clientCaFiles"] and tls[side]["client"]["rootCaFiles"]


# --- Temporal's authoriser: a token per component, operators read-only ----------------------

TOKEN_FILE = "/run/temporal-token/token"


def token_mounts(service: dict[str, Any]) -> list[str]:
    return [v.split(":")[0] for v in service.get("volumes", []) if ":/run/temporal-token" in v]


def test_the_temporal_server_turns_the_default_authoriser_on() -> None:
    services = yaml.safe_load((INFRA / "compose.yaml").read_text())["services"]
    server = services["temporal"]["environment"]
    assert (
        server["TEMPORAL_AUTH_AUTHORIZER"] == "default" and server["TEMPORAL_AUTH_CLAIM_MAPPER"] == "default"
    )
    assert server["TEMPORAL_JWT_KEY_SOURCE1"].startswith("${DSAR_OIDC_JWKS_URL:?")  # the provider's keys
    assert server["TEMPORAL_JWT_PERMISSIONS_CLAIM"] == "permissions"
    # The server's own worker service (Schedules) holds no token: it needs the internal frontend.
    assert server["USE_INTERNAL_FRONTEND"] == "true" and "internal-frontend" in server["SERVICES"].split(":")
    # The image's CLI holds no token: it must not try to create the namespace (the setup job does).
    assert server["SKIP_DEFAULT_NAMESPACE_CREATION"] == "true"
    config = yaml.safe_load((INFRA / "temporal" / "authorization.yaml").read_text())
    auth = config["global"]["authorization"]
    assert (auth["authorizer"], auth["claimMapper"], auth["permissionsClaimName"]) == (
        "default", "default", "permissions"
    )  # fmt: skip
    assert auth["jwtKeyProvider"]["keySourceURIs"] and all(
        uri.startswith("https://") for uri in auth["jwtKeyProvider"]["keySourceURIs"]
    )
    assert "internal-frontend" in config["services"]
    # The Kubernetes server trusts the same identity provider as the codec server.
    codec = {
        e["name"]: e.get("value") for e in pod_spec(deployment("dsar-codec-server"))["containers"][0]["env"]
    }
    assert codec["DSAR_CODEC_JWKS_URL"] in auth["jwtKeyProvider"]["keySourceURIs"]


def test_compose_gives_every_temporal_client_its_own_token_and_the_ui_only_the_operators() -> None:
    services = yaml.safe_load((INFRA / "compose.yaml").read_text())["services"]
    for name, service in services.items():
        env = service.get("environment", {})
        if name in TEMPORAL_CLIENTS:
            assert env["DSAR_TEMPORAL_TOKEN_FILE"] == TOKEN_FILE, name
            assert token_mounts(service) == [f"./tokens/{name}"], name  # its own folder, nothing else
        else:  # the pages, the codec server, the UI (it forwards the signed-in operator's token)
            assert not token_mounts(service) and "DSAR_TEMPORAL_TOKEN_FILE" not in env, name
    mounted = [m for s in services.values() for m in token_mounts(s)]
    assert len(mounted) == len(set(mounted)), "two services share a token"
    ui = services["temporal-ui"]["environment"]
    assert ui["TEMPORAL_AUTH_ENABLED"] == "true" and ui["TEMPORAL_AUTH_PROVIDER_URL"].startswith(
        "${DSAR_OIDC_"
    )
    assert ui["TEMPORAL_CODEC_PASS_ACCESS_TOKEN"] == "true"  # the operator's token, in the header
    assert ui["TEMPORAL_CODEC_INCLUDE_CREDENTIALS"] == "false"  # and no cookie of the UI's
    assert ui["TEMPORAL_DISABLE_WRITE_ACTIONS"] == "true"  # read-only operators see no write buttons


def test_kubernetes_pods_that_talk_to_temporal_each_mount_their_own_token() -> None:
    config = next(
        o for o in k8s_objects() if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "dsar-config"
    )
    assert config["data"]["DSAR_TEMPORAL_TOKEN_FILE"] == TOKEN_FILE
    assert {path + "/token" for path in own_secret_mounts("dsar-temporal-token-").values()} == {TOKEN_FILE}


# --- what the image and the wheel ship ----------------------------------------------------

DEV_ONLY = frozenset({"devstack", "tests", "bench"})
FIRST_PARTY = frozenset(p.parent.name for p in ROOT.glob("*/__init__.py"))


def copied_sources(dockerfile: str) -> list[str]:
    """The build-context paths the image's COPY lines take (not those from another stage)."""
    sources: list[str] = []
    for line in dockerfile.replace("\\\n", " ").splitlines():
        words = line.split()
        if not words or words[0].upper() != "COPY" or any(w.startswith("--from") for w in words):
            continue
        sources += [w for w in words[1:-1] if not w.startswith("--")]
    return sources


def shipped_problems(paths: list[Path]) -> list[str]:
    """Dev-stack, test, benchmark or demo modules among these files or folders (caches aside)."""
    problems = []
    for path in paths:
        files = [path] if path.is_file() else [f for f in path.rglob("*") if f.is_file()]
        for file in files:
            parts = file.relative_to(ROOT).parts
            if "__pycache__" in parts:
                continue  # .dockerignore leaves them out
            if DEV_ONLY & set(parts) or file.name.startswith("demo") or "devstack" in file.name:
                problems.append("/".join(parts))
    return problems


def entry_packages() -> set[str]:
    """What the image runs: its ENTRYPOINT, the `python -m` commands of compose and the
    manifests, and the wheel's console scripts."""
    texts = [(INFRA / "Dockerfile").read_text(), (INFRA / "compose.yaml").read_text()]
    texts += [p.read_text() for p in K8S]
    found = {m for text in texts for m in re.findall(r'"-m",\s*"([a-z_]+)"', text)}
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    found |= {target.split(":")[0].split(".")[0] for target in scripts.values()}
    return found


def module_file(name: str) -> Path | None:
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_packages(entries: set[str]) -> tuple[set[str], list[str]]:
    """First-party packages the entry points import, followed module by module; and the
    imports of dev-only packages made when a module loads (not lazily inside a function),
    which would break the image."""
    needed: set[str] = set()
    eager_dev: list[str] = []
    todo = [f"{e}.__main__" for e in entries if module_file(f"{e}.__main__")] + sorted(entries)
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        path = module_file(name)
        if name in seen or path is None:
            continue
        seen.add(name)
        tree = ast.parse(path.read_text(), str(path))
        lazy = {id(n) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
                for n in ast.walk(f)}  # fmt: skip
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from the module's package, or one above per extra dot
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            for target in targets:
                top = target.split(".")[0]
                if top not in FIRST_PARTY:
                    continue
                if top in DEV_ONLY:
                    if id(node) not in lazy:
                        eager_dev.append(f"{name} imports {target}")
                    continue
                needed.add(top)
                todo.append(target)
    return needed, eager_dev


def test_image_copies_no_dev_stack_demo_or_test_module() -> None:
    sources = copied_sources((INFRA / "Dockerfile").read_text())
    assert sources, "no COPY lines found"
    assert shipped_problems([ROOT / s for s in sources]) == []
    # The check sees what it must refuse.
    bad = copied_sources("COPY --chown=1:1 devstack devstack\nCOPY tests/unit /app/tests\n")
    assert bad == ["devstack", "tests/unit"]
    assert shipped_problems([ROOT / s for s in bad])


def test_image_copies_every_package_its_entry_points_import() -> None:
    entries = entry_packages()
    assert {"workers", "cli"} <= entries
    needed, eager_dev = imported_packages(entries)
    copied = {Path(s).parts[0] for s in copied_sources((INFRA / "Dockerfile").read_text())}
    assert needed <= copied, needed - copied
    assert eager_dev == []
    assert {"dsar", "casestore", "web", "workflows", "activities"} <= needed  # the walk does follow imports


def test_wheel_ships_no_dev_stack_demo_or_test_module() -> None:
    """The packages setuptools finds from pyproject's settings, as `pip wheel` would build them."""
    from setuptools import find_namespace_packages

    find = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    packages = find_namespace_packages(
        where=str(ROOT), include=find["include"], exclude=find.get("exclude", ())
    )
    assert not {p.split(".")[0] for p in packages} & DEV_ONLY
    assert shipped_problems([f for p in packages for f in ROOT.joinpath(*p.split(".")).glob("*.py")]) == []
    needed, _ = imported_packages(entry_packages())
    assert needed <= {p.split(".")[0] for p in packages}
    everything = find_namespace_packages(where=str(ROOT), include=["*"])
    assert shipped_problems([ROOT.joinpath(*p.split(".")) for p in everything if p == "devstack"])

"""deploy/k8s, checked offline: every overlay renders with `kubectl kustomize`, every object
validates strictly against the Kubernetes schemas of the stated versions (kubernetes-validate;
an unknown kind fails), KEDA's and Strimzi's against their CRDs' schemas (tests/k8s), and the
shape holds: each worker scaled by one ScaledObject on its group's lag and each API by a CPU
HPA (never both), a budget and probes for every Deployment, nothing as root, every reference
resolved, the network open only where one service calls another."""

from __future__ import annotations

import functools
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from lodestone_common.http import DRAIN_SECONDS
from lodestone_common.settings import ServiceSettings
from lodestone_common.topics import ACCESS, TOPICS

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy/k8s"
SCHEMAS = ROOT / "tests/k8s"
OVERLAYS = ("dev", "prod")
# The oldest Kubernetes still supported where this was written and the newest schemas known.
KUBERNETES = ("1.32", "1.35")
CUSTOM = ("keda.sh/", "kafka.strimzi.io/")
PORTS = {"contacts": 8001, "scoring": 8002, "automation": 8003, "reporting": 8004, "console": 8000}
WORKERS = ("contacts", "scoring", "automation", "reporting")
LODESTONE = {"app.kubernetes.io/part-of": "lodestone"}

_spec = importlib.util.spec_from_file_location("lodestone_k8s_render", K8S / "render.py")
assert _spec and _spec.loader
render = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = render  # dataclasses look their module up
_spec.loader.exec_module(render)


@functools.cache
def rendered(overlay: str) -> tuple[dict[str, Any], ...]:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl renders the overlays; it is on this machine kind"
    out = subprocess.run(
        [kubectl, "kustomize", str(K8S / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return tuple(doc for doc in yaml.safe_load_all(out) if doc)


def of_kind(overlay: str, kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in rendered(overlay) if d["kind"] == kind}


def pod_specs(overlay: str) -> dict[str, dict[str, Any]]:
    """Every pod template: Deployments, StatefulSets and Jobs, by owner name."""
    kinds = ("Deployment", "StatefulSet", "Job")
    return {
        d["metadata"]["name"]: d["spec"]["template"]
        for d in rendered(overlay)
        if d["kind"] in kinds
    }


def matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def test_the_generated_manifests_are_current() -> None:
    assert render.main(["--check"]) == 0, "run: uv run python deploy/k8s/render.py"


@pytest.mark.parametrize("version", KUBERNETES)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_validates_against_the_kubernetes_schemas(overlay: str, version: str) -> None:
    for doc in rendered(overlay):
        if doc["apiVersion"].startswith(CUSTOM):
            continue
        where = f"{overlay}: {doc['kind']} {doc['metadata']['name']}"
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            pytest.fail(f"{where}: no Kubernetes {version} schema for {doc['apiVersion']}")
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{where}: {exc.message} at {list(exc.absolute_path)}")


@pytest.fixture(scope="module")
def crd_validator() -> Any:
    node = shutil.which("node")
    assert node, "Node.js runs the CRD schemas' validators; it is on this machine kind"
    if not (SCHEMAS / "node_modules").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=SCHEMAS, check=True
        )

    def validate(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = subprocess.run(
            [node, "validate.mjs"],
            cwd=SCHEMAS,
            input=json.dumps(objects),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return [json.loads(line) for line in out.splitlines()]

    return validate


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_custom_resources_validate_against_their_crds(overlay: str, crd_validator: Any) -> None:
    custom = [d for d in rendered(overlay) if d["apiVersion"].startswith(CUSTOM)]
    assert custom, "each overlay has KEDA's or Strimzi's resources"
    results = crd_validator(custom)
    assert len(results) == len(custom)
    assert [r for r in results if r["error"]] == []


def test_the_crd_validator_refuses_what_its_operator_would(crd_validator: Any) -> None:
    scaled = next(d for d in rendered("prod") if d["kind"] == "ScaledObject")
    broken = json.loads(json.dumps(scaled))
    broken["spec"]["maxReplicaCount"] = "six"
    topic = next(d for d in rendered("dev") if d["kind"] == "KafkaTopic")
    odd = {**topic, "apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaTopicz"}
    errors = [r["error"] for r in crd_validator([broken, odd])]
    assert "maxReplicaCount must be integer" in errors[0]
    assert errors[1].startswith("no schema for")


def test_workers_scale_on_their_groups_lag_and_apis_on_cpu() -> None:
    deployments = of_kind("prod", "Deployment")
    hpas = {
        h["spec"]["scaleTargetRef"]["name"]
        for h in of_kind("prod", "HorizontalPodAutoscaler").values()
    }
    scaled = {
        s["spec"]["scaleTargetRef"]["name"]: s for s in of_kind("prod", "ScaledObject").values()
    }
    partitions = {spec.name: spec.partitions for spec in TOPICS}
    for service in WORKERS:
        worker, api = f"{service}-worker", f"{service}-api"
        assert worker in deployments and api in deployments
        assert worker in scaled and worker not in hpas, "a worker: KEDA alone"
        assert api in hpas and api not in scaled, "an API: its HPA alone"
        assert "replicas" not in deployments[worker]["spec"], "KEDA owns the worker count"
        spec = scaled[worker]["spec"]
        (trigger,) = spec["triggers"]  # one trigger: the service's one consumer group
        assert trigger["type"] == "kafka"
        group = ServiceSettings(service_name=service).consumer_group
        assert trigger["metadata"]["consumerGroup"] == group
        assert int(trigger["metadata"]["lagThreshold"]) > int(
            trigger["metadata"]["activationLagThreshold"]
        )
        assert spec["minReplicaCount"] >= 1, "the runner's timers and the relays live there"
        # No more replicas than partitions: the extra ones would get none.
        assert spec["maxReplicaCount"] == min(partitions[t] for t in ACCESS[service].reads)
        auth = of_kind("prod", "TriggerAuthentication")[trigger["authenticationRef"]["name"]]
        secrets = {r["name"] for r in auth["spec"]["secretTargetRef"]}
        assert service in secrets, "KEDA reads the group's offsets as the service itself"
    assert "console" in hpas and "console" not in scaled
    # Without KEDA (dev) the workers keep a fixed count and nothing scales them on lag.
    assert not of_kind("dev", "ScaledObject")
    assert all(
        of_kind("dev", "Deployment")[f"{s}-worker"]["spec"]["replicas"] == 1 for s in WORKERS
    )


def env_of(template: dict[str, Any]) -> dict[str, Any]:
    return {
        e["name"]: e.get("value", e.get("valueFrom"))
        for e in template["spec"]["containers"][0].get("env", [])
    }


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_api_replicas_consume_nothing_and_advance_no_one(overlay: str) -> None:
    pods = pod_specs(overlay)
    for service in WORKERS:
        api, worker = env_of(pods[f"{service}-api"]), env_of(pods[f"{service}-worker"])
        assert api["LODESTONE_CONSUMERS_ENABLED"] == "false"
        assert "LODESTONE_CONSUMERS_ENABLED" not in worker
        assert "LODESTONE_RUNNER_ENABLED" not in worker
    # One writer per contact: a process without consumers would advance everyone's.
    assert env_of(pods["automation-api"])["LODESTONE_RUNNER_ENABLED"] == "false"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_workload_has_probes_a_budget_resources_and_no_root(overlay: str) -> None:
    budgets = list(of_kind(overlay, "PodDisruptionBudget").values())
    for kind in ("Deployment", "StatefulSet"):
        for name, workload in of_kind(overlay, kind).items():
            labels = workload["spec"]["template"]["metadata"]["labels"]
            covering = [b for b in budgets if matches(b["spec"]["selector"], labels)]
            assert len(covering) == 1, f"{name}: one PodDisruptionBudget"
            for container in workload["spec"]["template"]["spec"]["containers"]:
                assert container.get("readinessProbe") and container.get("livenessProbe"), name
    for name, template in pod_specs(overlay).items():
        pod = template["spec"]
        ours = matches({"matchLabels": LODESTONE}, template["metadata"]["labels"])
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] > 0, name
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert pod.get("automountServiceAccountToken") is False, name
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["capabilities"]["drop"] == ["ALL"], name
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
            assert "memory" in container["resources"]["limits"], name
            if ours:
                assert security["readOnlyRootFilesystem"] is True, name
    for name, workload in of_kind(overlay, "Deployment").items():
        if not matches({"matchLabels": LODESTONE}, workload["metadata"]["labels"]):
            continue
        service = workload["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"]
        pod = workload["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", name
        # Alive unless stalled: a database outage must not restart every pod.
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name
        (port,) = container["ports"]
        assert port == {"name": "http", "containerPort": PORTS[service]}, name
        # The pre-stop pause, uvicorn's graceful 15 s and the drains fit in the grace period.
        pause = int(container["lifecycle"]["preStop"]["exec"]["command"][-1])
        assert pod["terminationGracePeriodSeconds"] > pause + 15 + DRAIN_SECONDS, name
        assert container["image"].split(":")[0].endswith(f"lodestone/{service}"), name
        assert (ROOT / f"services/{service}/Dockerfile").is_file()


# Secrets the operator provides in production (deploy/k8s/README.md lists them); in dev,
# Strimzi's operators make the Kafka ones.
PROVIDED = {
    "prod": {
        "lodestone-keys",
        "lodestone-mongo",
        "lodestone-smtp",
        "lodestone-cluster-ca-cert",
        "lodestone-tls",
        "admin",
        *PORTS,
    },
    "dev": {"lodestone-cluster-ca-cert", *(name for name in ACCESS)},
}


def references(doc: Any) -> list[tuple[str, str, str | None, bool]]:
    """(kind, name, key, optional) of every ConfigMap and Secret a document refers to."""
    found: list[tuple[str, str, str | None, bool]] = []
    if isinstance(doc, dict):
        for field, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
            if field in doc:
                ref = doc[field]
                found.append((kind, ref["name"], ref["key"], bool(ref.get("optional"))))
        if "configMapRef" in doc:
            found.append(("ConfigMap", doc["configMapRef"]["name"], None, False))
        if "secret" in doc and isinstance(doc["secret"], dict) and "secretName" in doc["secret"]:
            found.append(
                ("Secret", doc["secret"]["secretName"], None, bool(doc["secret"].get("optional")))
            )
        for value in doc.values():
            found += references(value)
    elif isinstance(doc, list):
        for value in doc:
            found += references(value)
    return found


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_reference_resolves(overlay: str) -> None:
    readme = (K8S / "README.md").read_text()
    objects = {(d["kind"], d["metadata"]["name"]): d for d in rendered(overlay)}
    for doc in rendered(overlay):
        for kind, name, key, optional in references(doc):
            made = objects.get((kind, name))
            if made is not None:
                assert key is None or optional or key in made.get("data", {}), (name, key)
            elif kind == "Secret" and name in PROVIDED[overlay]:
                if overlay == "prod":
                    assert f"`{name}`" in readme, f"the README says how to make Secret {name}"
            else:
                assert optional, f"{doc['kind']} {doc['metadata']['name']} needs {kind} {name}"
    pods = [t["metadata"]["labels"] for t in pod_specs(overlay).values()]
    for service in of_kind(overlay, "Service").values():
        assert any(matches({"matchLabels": service["spec"]["selector"]}, p) for p in pods)
    deployments = of_kind(overlay, "Deployment")
    for kind in ("HorizontalPodAutoscaler", "ScaledObject"):
        for scaler in of_kind(overlay, kind).values():
            assert scaler["spec"]["scaleTargetRef"]["name"] in deployments
    for ingress in of_kind(overlay, "Ingress").values():
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                assert path["backend"]["service"]["name"] in of_kind(overlay, "Service")


def test_strimzi_topics_and_users_are_the_contracts() -> None:
    topics = of_kind("dev", "KafkaTopic")
    assert {name: t["spec"]["partitions"] for name, t in topics.items()} == {
        spec.name: spec.partitions for spec in TOPICS
    }
    for spec in TOPICS:
        assert topics[spec.name]["spec"]["config"] == spec.config
    users = of_kind("dev", "KafkaUser")
    assert set(users) == set(ACCESS)
    for principal, access in ACCESS.items():
        granted = {
            (acl["resource"]["type"], acl["resource"].get("name"), op)
            for acl in users[principal]["spec"]["authorization"]["acls"]
            for op in acl["operations"]
        }
        wanted = {("topic", t, "Read") for t in access.reads}
        wanted |= {("topic", t, "Write") for t in access.writes}
        if access.idempotent:
            wanted.add(("cluster", None, "IdempotentWrite"))
        if access.group_prefix:
            wanted |= {("group", access.group_prefix, op) for op in ("Read", "Delete")}
        assert granted == wanted, principal


# --- the network: a small reading of NetworkPolicy semantics, enough for these policies ---

Pod = dict[str, Any]  # {"labels": ..., "ports": {name: number}} ; None labels: outside


def _port_allowed(rule: dict[str, Any], port: int, target: Pod | None) -> bool:
    if "ports" not in rule:
        return True
    for p in rule["ports"]:
        want = p["port"]
        if isinstance(want, str):
            if target is not None and target["ports"].get(want) == port:
                return True
        elif want == port:
            return True
    return False


def _peer_allowed(rule: dict[str, Any], field: str, peer: Pod | None) -> bool:
    peers = rule.get(field)
    if not peers:
        return True  # no `from`/`to`: anyone
    for p in peers:
        if peer is None:  # outside the cluster: only ipBlocks let it through
            if "ipBlock" in p:
                return True
        elif "podSelector" in p and "namespaceSelector" not in p:
            if matches(p["podSelector"], peer["labels"]):
                return True
    return False


def allowed(overlay: str, source: Pod | None, target: Pod | None, port: int) -> bool:
    """Whether `source` may open a connection to `target` on `port` (None: outside)."""
    policies = list(of_kind(overlay, "NetworkPolicy").values())

    def side(pod: Pod | None, kind: str, field: str, peer: Pod | None) -> bool:
        if pod is None:
            return True  # outside the cluster: not ours to police
        selecting = [
            p
            for p in policies
            if kind in p["spec"]["policyTypes"] and matches(p["spec"]["podSelector"], pod["labels"])
        ]
        if not selecting:
            return True
        rules = [r for p in selecting for r in p["spec"].get(kind.lower(), [])]
        return any(_peer_allowed(r, field, peer) and _port_allowed(r, port, target) for r in rules)

    return side(source, "Egress", "to", target) and side(target, "Ingress", "from", source)


def pods(overlay: str) -> dict[str, Pod]:
    found = {}
    for name, template in pod_specs(overlay).items():
        ports = {
            p["name"]: p["containerPort"]
            for c in template["spec"]["containers"]
            for p in c.get("ports", [])
            if "name" in p
        }
        found[name] = {"labels": template["metadata"]["labels"], "ports": ports}
    return found


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_network_is_open_only_where_one_service_calls_another(overlay: str) -> None:
    p = pods(overlay)
    apis = {s: p[f"{s}-api"] for s in WORKERS} | {"console": p["console"]}
    # The console calls every service; automation calls contacts.
    for service in WORKERS:
        assert allowed(overlay, p["console"], apis[service], PORTS[service]), service
    assert allowed(overlay, p["automation-worker"], apis["contacts"], 8001)
    assert allowed(overlay, p["automation-api"], apis["contacts"], 8001)
    # Every service reads the console's revoked API keys.
    for name in ("contacts-worker", "scoring-api", "automation-worker", "reporting-worker"):
        assert allowed(overlay, p[name], apis["console"], PORTS["console"]), name
    # Nobody else calls anyone.
    assert not allowed(overlay, p["scoring-worker"], apis["contacts"], 8001)
    assert not allowed(overlay, p["contacts-api"], apis["reporting"], 8004)
    assert not allowed(overlay, p["reporting-worker"], apis["automation"], 8003)
    assert not allowed(overlay, p["console"], p["contacts-worker"], 8001), "workers serve no one"
    # From outside: the console, ingestion and email links; not scoring, reporting, workers.
    for service in ("console", "contacts", "automation"):
        assert allowed(overlay, None, apis[service], PORTS[service]), service
    for target in (apis["scoring"], apis["reporting"], p["scoring-worker"]):
        assert not allowed(overlay, None, target, 8002) and not allowed(overlay, None, target, 8004)
    # Every pod reaches Kafka and MongoDB; only automation reaches mail relays and webhooks.
    for name, pod in p.items():
        if matches({"matchLabels": LODESTONE}, pod["labels"]):
            assert allowed(overlay, pod, None, 9093) and allowed(overlay, pod, None, 27017), name
    assert allowed(overlay, p["automation-worker"], None, 587)
    assert allowed(overlay, p["automation-worker"], None, 443)
    assert not allowed(overlay, p["contacts-worker"], None, 443)
    assert not allowed(overlay, p["console"], None, 25)


def test_the_dev_database_answers_lodestone_only() -> None:
    p = pods("dev")
    mongo = p["mongodb"]
    assert allowed("dev", p["scoring-worker"], mongo, 27017)
    assert allowed("dev", p["lodestone-db-users"], mongo, 27017)
    assert not allowed("dev", {"labels": {"app": "elsewhere"}, "ports": {}}, mongo, 27017)


def test_the_prod_namespace_enforces_the_restricted_pod_security_profile() -> None:
    (namespace,) = of_kind("prod", "Namespace").values()
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert all(
        d["metadata"].get("namespace") == "lodestone"
        for d in rendered("prod")
        if d["kind"] != "Namespace"
    )


def test_the_readme_shows_how_to_apply_and_scale() -> None:
    text = (ROOT / "README.md").read_text()
    assert "kubectl apply -k deploy/k8s/overlays/prod" in text

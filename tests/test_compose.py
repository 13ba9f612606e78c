"""docker-compose.yml cannot run here (no Docker engine), so its structure is checked."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SERVICES = {
    "contacts": 8001,
    "scoring": 8002,
    "automation": 8003,
    "reporting": 8004,
    "console": 8000,
}


def compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_infrastructure_uses_official_images_with_healthchecks() -> None:
    services = compose()["services"]
    assert services["kafka"]["image"].startswith("apache/kafka:3.9")
    assert services["mongodb"]["image"].startswith("mongo:")
    assert "--replSet" in " ".join(services["mongodb"]["command"])  # transactions need it
    for name in ("kafka", "mongodb", "topics"):
        assert name in services
    for name in ("kafka", "mongodb"):
        assert services[name]["healthcheck"]["test"]


def test_each_service_builds_from_its_dockerfile_and_scales() -> None:
    services = compose()["services"]
    for name, port in SERVICES.items():
        svc = services[name]
        dockerfile = svc["build"]["dockerfile"]
        assert (ROOT / svc["build"]["context"] / dockerfile).is_file()
        assert f"services/{name}/" in dockerfile
        # No fixed container_name and a port range: `--scale` works.
        assert "container_name" not in svc
        assert any(str(port) in str(p) for p in svc["ports"])
        env = svc["environment"]
        assert env["LODESTONE_KAFKA_BOOTSTRAP"] == "kafka:9092"
        assert env["LODESTONE_MONGO_URL"].startswith("mongodb://mongodb:27017")
        if name == "automation":  # what production refuses to start without
            assert env["LODESTONE_LINK_SECRET"].startswith("${LODESTONE_LINK_SECRET:?")
            assert env["LODESTONE_SECRETS_KEY"].startswith("${LODESTONE_SECRETS_KEY:?")
            automation_key = env["LODESTONE_CONTACTS_API_KEY"]
            assert automation_key.startswith("${LODESTONE_AUTOMATION_KEY:?")
        if name == "contacts":  # automation's key, with only the scopes its steps use
            import json

            listed = json.loads(env["LODESTONE_API_KEYS"])
            assert [(k["name"], sorted(k["scopes"])) for k in listed] == [
                ("automation", ["contacts:write", "events:write"])
            ]
        assert "LODESTONE_API_KEY" in env
        assert svc["healthcheck"]["test"]
        depends = svc["depends_on"]
        assert depends["kafka"]["condition"] == "service_healthy"
        assert depends["topics"]["condition"] == "service_completed_successfully"


def test_every_dockerfile_installs_only_its_own_service() -> None:
    from lodestone_common.settings import ServiceSettings

    # Outside a container a service listens on this machine only; inside, on every
    # interface of the container's own network.
    assert ServiceSettings(service_name="x").http_host == "127.0.0.1"
    for name in SERVICES:
        text = (ROOT / "services" / name / "Dockerfile").read_text()
        assert "LODESTONE_HTTP_HOST=0.0.0.0" in text
        assert f"--package lodestone-{name}" in text
        assert f'"lodestone-{name}"' in text or f"lodestone-{name}" in text.split("CMD", 1)[1]
        assert "HEALTHCHECK" in text


def test_every_service_verifies_person_tokens_and_only_the_console_signs() -> None:
    anchor = compose()["x-env"]
    assert anchor["LODESTONE_PERSON_TOKEN_KEY"].startswith("${LODESTONE_PERSON_TOKEN_KEY:?")
    services = compose()["services"]
    for name in SERVICES:
        assert "LODESTONE_PERSON_TOKEN_KEY" in services[name]["environment"]
        signs = "LODESTONE_PERSON_SIGNING_KEY" in services[name]["environment"]
        assert signs == (name == "console"), name
    console = services["console"]["environment"]
    for name in ("contacts", "scoring", "automation", "reporting"):
        assert console[f"LODESTONE_{name.upper()}_URL"] == f"http://{name}:{SERVICES[name]}"

"""docker-compose.yml cannot run here (no Docker engine), so its structure is checked."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from uuid import uuid4

import pytest
import yaml
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, TopicAuthorizationFailedError

from lodestone_common.topics import CONTACTS, SCORES

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
    # Mailpit catches automation's email, at the version the native stack builds.
    from lodestone_stack import MAILPIT_VERSION

    assert services["mailpit"]["image"] == f"axllent/mailpit:{MAILPIT_VERSION}"
    assert services["automation"]["environment"]["LODESTONE_SMTP_HOST"].endswith("mailpit}")


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
        assert "@mongodb:27017/?replicaSet=rs0" in env["LODESTONE_MONGO_URL"]
        if name == "automation":  # what production refuses to start without
            assert env["LODESTONE_LINK_SECRET"].startswith("${LODESTONE_LINK_SECRET:?")
            assert env["LODESTONE_SECRETS_KEY"].startswith("${LODESTONE_SECRETS_KEY:?")
            automation_key = env["LODESTONE_CONTACTS_API_KEY"]
            assert automation_key.startswith("${LODESTONE_AUTOMATION_KEY:?")
        if name == "contacts":  # automation's key: only the scopes its steps and campaigns use
            import json

            listed = json.loads(env["LODESTONE_API_KEYS"])
            assert [(k["name"], sorted(k["scopes"])) for k in listed] == [
                ("automation", ["contacts:write", "events:write", "segments:read"])
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


def test_kafka_takes_scram_logins_and_every_client_logs_in_as_itself() -> None:
    services = compose()["services"]
    script = services["kafka"]["command"][0]
    assert "allow.everyone.if.no.acl.found=false" in script
    assert "listeners=SASL_PLAINTEXT://:9092" in script
    topics = services["topics"]
    assert "--acls" in topics["command"]
    assert topics["environment"]["LODESTONE_KAFKA_USERNAME"] == "admin"
    for name in SERVICES:
        env = services[name]["environment"]
        assert env["LODESTONE_KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"
        assert env["LODESTONE_KAFKA_USERNAME"] == name  # its own principal and ACLs
        assert env["LODESTONE_KAFKA_PASSWORD"].startswith(f"${{LODESTONE_KAFKA_{name.upper()}_")
        assert f"scram {name} " in script  # its login is made with the data


@pytest.mark.infra
@pytest.mark.timeout(300)
async def test_the_compose_kafka_command_runs_and_enforces_its_acls(
    infra, tmp_path, eventually, free_port
) -> None:  # type: ignore[no-untyped-def]
    """The compose file's Kafka command, run here on the same Kafka version's jars in place of
    the image's /opt/kafka: every principal logs in, the `topics` job creates the topics and
    grants the ACLs, a service writes only its own topics, a client without a login nothing."""
    libs = sys.modules["lodestone_stack"].KAFKA_LIBS
    services = compose()["services"]
    kafka = services["kafka"]
    port, controller = free_port(), free_port()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, main in (
        ("kafka-storage.sh", "kafka.tools.StorageTool"),
        ("kafka-server-start.sh", "kafka.Kafka"),
    ):
        script = bin_dir / name
        script.write_text(f'#!/bin/bash\nexec java -Xmx512m -cp "{libs}/*" {main} "$@"\n')
        script.chmod(0o755)
    command = kafka["command"][0].replace("$$", "$")  # compose's escape for a literal $
    for image, here in (
        ("/tmp/", f"{tmp_path}/"),  # first: tmp_path itself is under /tmp
        ("/opt/kafka", str(tmp_path)),
        ("/var/lib/kafka/data", str(tmp_path / "data")),
        ("kafka:9093", f"127.0.0.1:{controller}"),
        ("kafka:9092", f"127.0.0.1:{port}"),
        ("://:9092", f"://127.0.0.1:{port}"),
        ("://:9093", f"://127.0.0.1:{controller}"),
    ):
        command = command.replace(image, here)
    passwords = {
        k: f"{k.split('_')[0].lower()}Pw{uuid4().hex[:8]}"
        for k in kafka["environment"]
        if k.endswith("_PASSWORD")
    }
    env = {**os.environ, "CLUSTER_ID": kafka["environment"]["CLUSTER_ID"], **passwords}
    log = (tmp_path / "kafka.log").open("wb")
    broker = await asyncio.create_subprocess_exec(
        "bash", "-c", command, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    bootstrap = f"127.0.0.1:{port}"
    try:
        job = {
            **os.environ,
            **{k: v for k, v in topics_env(services).items() if not v.startswith("$")},
            "LODESTONE_KAFKA_PASSWORD": passwords["ADMIN_PASSWORD"],
        }
        created = await asyncio.to_thread(
            subprocess.run,
            [
                sys.executable,
                "-m",
                "lodestone_common.admin",
                "--bootstrap",
                bootstrap,
                "--timeout",
                "120",
                "--acls",
            ],
            env=job,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert created.returncode == 0, (
            created.stderr[-2000:] + (tmp_path / "kafka.log").read_text()[-3000:]
        )
        assert "ACLs in place" in created.stdout

        def login(name: str) -> dict[str, str]:
            env = services[name]["environment"]
            return {
                "security_protocol": env["LODESTONE_KAFKA_SECURITY_PROTOCOL"],
                "sasl_mechanism": env["LODESTONE_KAFKA_SASL_MECHANISM"],
                "sasl_plain_username": env["LODESTONE_KAFKA_USERNAME"],
                "sasl_plain_password": passwords[f"{name.upper()}_PASSWORD"],
            }

        scoring = AIOKafkaProducer(
            bootstrap_servers=bootstrap, request_timeout_ms=10_000, **login("scoring")
        )
        await scoring.start()
        try:
            # ACLs reach the broker's authoriser through its metadata log: a moment after
            # the job that created them has ended.
            async def allowed() -> bool:
                try:
                    await asyncio.wait_for(scoring.send_and_wait(SCORES, b"{}", key=b"c"), 30)
                except TopicAuthorizationFailedError:
                    return False
                return True

            await eventually(allowed, timeout=60)
            with pytest.raises(TopicAuthorizationFailedError):
                await asyncio.wait_for(scoring.send_and_wait(CONTACTS, b"{}", key=b"c"), 30)
        finally:
            await scoring.stop()
        stranger = AIOKafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=5_000)
        try:
            with pytest.raises(KafkaError):
                await stranger.start()
                await asyncio.wait_for(stranger.send_and_wait(SCORES, b"{}", key=b"c"), 15)
        finally:
            await stranger.stop()
    finally:
        broker.terminate()
        try:
            await asyncio.wait_for(broker.wait(), 30)
        except TimeoutError:
            broker.kill()
        log.close()


def topics_env(services: dict) -> dict[str, str]:  # type: ignore[type-arg]
    return {k: str(v) for k, v in services["topics"]["environment"].items()}


def test_each_service_logs_in_to_the_database_as_itself() -> None:
    """Round two, medium (deployment): the database took anyone; now root is made by the
    image, each service's user by the db-users job, and each service connects as itself."""
    services = compose()["services"]
    mongo = services["mongodb"]
    assert mongo["environment"]["MONGO_INITDB_ROOT_PASSWORD"].startswith("${LODESTONE_MONGO_ROOT")
    assert "--keyFile" in mongo["command"][0] and "--replSet" in mongo["command"][0]
    assert "-u root" in " ".join(mongo["healthcheck"]["test"])
    users = services["db-users"]
    assert users["command"][-1] == "lodestone_common.dbusers"
    for name in SERVICES:
        url = services[name]["environment"]["LODESTONE_MONGO_URL"]
        password = f"${{LODESTONE_MONGO_{name.upper()}_PASSWORD:?"
        assert url.startswith(f"mongodb://{name}:{password}") and "authSource=admin" in url
        assert f"LODESTONE_MONGO_{name.upper()}_PASSWORD" in users["environment"]
    assert compose()["x-service"]["depends_on"]["db-users"] == {
        "condition": "service_completed_successfully"
    }

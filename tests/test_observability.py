"""Dashboards and alerts as code (deploy/observability): promtool checks the rules and runs
their unit tests; every metric they name is one the services export; the business
dashboard's reports answer with the tables it shows; and a real Prometheus (Debian's, as
`make up OBSERVE=1` starts it) scrapes the running services and loads the rules."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
OBSERVABILITY = ROOT / "deploy/observability"
RULES = OBSERVABILITY / "prometheus/alerts.yml"

_spec = importlib.util.spec_from_file_location(
    "lodestone_dashboards", OBSERVABILITY / "dashboards.py"
)
assert _spec and _spec.loader
dashboards = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = dashboards
_spec.loader.exec_module(dashboards)


def promtool() -> str:
    found = shutil.which("promtool")
    assert found, "promtool checks the alert rules: apt-get install prometheus (.ci/run does)"
    return found


def test_the_alert_rules_are_valid_and_their_unit_tests_pass() -> None:
    checked = subprocess.run(
        [promtool(), "check", "rules", str(RULES)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run(
        [promtool(), "test", "rules", "alerts_test.yml"],
        cwd=RULES.parent,
        capture_output=True,
        text=True,
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout + tested.stderr


def test_an_alert_unit_test_fails_when_its_alert_would_not_fire(tmp_path: Path) -> None:
    # The same test against rules whose outbox threshold is an hour: promtool says FAILED.
    original = RULES.read_text()
    rules = original.replace(
        "(lodestone_outbox_oldest_seconds) > 60", "(lodestone_outbox_oldest_seconds) > 3600"
    )
    assert rules != original
    (tmp_path / "alerts.yml").write_text(rules)
    shutil.copy(RULES.parent / "alerts_test.yml", tmp_path)
    tested = subprocess.run(
        [promtool(), "test", "rules", "alerts_test.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert tested.returncode != 0
    assert "LodestoneOutboxBacklog" in tested.stdout + tested.stderr


def test_the_dashboards_are_current() -> None:
    assert dashboards.main(["--check"]) == 0, (
        "run: uv run python deploy/observability/dashboards.py"
    )


def exported() -> set[str]:
    """Every series name the services' code can export (all their metric modules loaded)."""
    for module in (
        "lodestone_contacts.bootstrap",
        "lodestone_scoring.bootstrap",
        "lodestone_automation.bootstrap",
        "lodestone_reporting.bootstrap",
        "lodestone_console.main",
    ):
        importlib.import_module(module)
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}
    names = set()
    for family in REGISTRY.collect():
        for suffix in suffixes.get(family.type, ("",)):
            names.add(family.name + suffix)
    return names


def named_metrics(text: str) -> set[str]:
    return set(re.findall(r"\blodestone_[a-z_]+", text))


def test_every_metric_the_alerts_and_dashboards_name_is_exported() -> None:
    names = exported()
    rules = yaml.safe_load(RULES.read_text())
    exprs = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    for board in dashboards.files().values():
        exprs += [
            t["expr"] for p in json.loads(board)["panels"] for t in p["targets"] if "expr" in t
        ]
    wanted = set().union(*(named_metrics(e) for e in exprs))
    assert wanted, "the rules and dashboards name metrics"
    assert wanted - names == set()
    # What the issue asks to watch is there.
    for metric in (
        "lodestone_consumer_lag",
        "lodestone_consumer_hop_seconds_bucket",
        "lodestone_outbox_oldest_seconds",
        "lodestone_kafka_producer_rebuilds_total",
        "lodestone_workflow_actions_total",
    ):
        assert metric in wanted, metric
    alerts = {rule.get("alert") for group in rules["groups"] for rule in group["rules"]}
    for alert in (
        "LodestoneConsumerLagHigh",
        "LodestoneDeadLetterRateHigh",
        "LodestoneOutboxBacklog",
        "LodestoneServerErrors",
    ):
        assert alert in alerts


def test_every_panel_has_a_provisioned_datasource() -> None:
    provisioned = yaml.safe_load(
        (OBSERVABILITY / "grafana/provisioning/datasources/lodestone.yaml").read_text()
    )
    uids = {d["uid"]: d["type"] for d in provisioned["datasources"]}
    for board in dashboards.files().values():
        parsed = json.loads(board)
        assert len({p["id"] for p in parsed["panels"]}) == len(parsed["panels"])
        for panel in parsed["panels"]:
            assert panel["targets"], panel["title"]
            for target in [panel, *panel["targets"]]:
                source = target["datasource"]
                assert uids.get(source["uid"]) == source["type"], panel["title"]


async def test_the_business_dashboard_shows_what_the_reporting_api_answers(services) -> None:  # type: ignore[no-untyped-def]
    board = json.loads(
        dashboards.files()[OBSERVABILITY / "grafana/dashboards/lodestone-business.json"]
    )
    async with services.client("reporting") as reporting:
        for panel in board["panels"]:
            (target,) = panel["targets"]
            answer = await reporting.get(
                target["url"], params={"start": "2026-01-01", "end": "2026-12-31"}
            )
            assert answer.status_code == 200, (panel["title"], answer.text)
            assert isinstance(answer.json()[target["root_selector"]], list), panel["title"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_real_prometheus_scrapes_every_service_and_loads_the_rules(services) -> None:  # type: ignore[no-untyped-def]
    if shutil.which("prometheus") is None:
        pytest.fail("OBSERVE=1 runs Debian's Prometheus: apt-get install prometheus (.ci/run does)")
    stack = services.stack
    stack.prometheus_port = free_port()
    shutil.rmtree(stack.home / "prometheus", ignore_errors=True)
    stack.start_prometheus()
    try:
        async with httpx.AsyncClient(base_url=stack.prometheus_url, timeout=10) as prometheus:

            async def query(expr: str) -> list[dict[str, Any]]:
                answer = await prometheus.get("/api/v1/query", params={"query": expr})
                return answer.json()["data"]["result"] if answer.status_code == 200 else []

            async def scraped() -> bool:
                try:
                    up = await query("up")
                    lag = await query("lodestone_consumer_lag")
                except httpx.TransportError:
                    return False
                jobs = {r["metric"]["job"] for r in up if r["value"][1] == "1"}
                groups = {r["metric"]["group"] for r in lag}
                return (
                    jobs == {f"lodestone-{s}" for s in stack.ports()}
                    and {
                        "lodestone-contacts",
                        "lodestone-scoring",
                        "lodestone-automation",
                        "lodestone-reporting",
                    }
                    <= groups
                )

            deadline = asyncio.get_running_loop().time() + 120
            while not await scraped():
                assert asyncio.get_running_loop().time() < deadline, "not scraped in 120 s"
                await asyncio.sleep(1)
            rules = (await prometheus.get("/api/v1/rules")).json()["data"]["groups"]
            assert {g["name"] for g in rules} == {"lodestone-pipeline", "lodestone-api"}
            # Nothing is on fire in a healthy test stack.
            firing = [
                a
                for g in rules
                for r in g["rules"]
                for a in r.get("alerts", [])
                if a["state"] == "firing"
                and r["name"] in ("LodestoneDown", "LodestoneConsumerStalled")
            ]
            assert firing == []
    finally:
        stack.stop("prometheus")

"""Print the fault suite's books at the end of the run (also in test-artifacts/faults.json)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

BOOKS = Path(__file__).resolve().parents[2] / "test-artifacts" / "faults.json"
STARTED = time.time()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not BOOKS.exists() or BOOKS.stat().st_mtime < STARTED:
        return
    terminalreporter.section("fault suite: totals per fault")
    terminalreporter.write_line(
        f"{'fault':42} {'events':>7} {'requests':>8} {'expected':>9} {'found':>9} "
        f"{'lost':>5} {'doubled':>7}"
    )
    for t in json.loads(BOOKS.read_text()):
        terminalreporter.write_line(
            f"{t['fault']:42} {t['events_sent']:7} {t['requests']:8} "
            f"{t['effects_expected']:9} {t['effects_found']:9} {t['lost']:5} {t['doubled']:7}"
        )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[FAILED] = report.failed


FAILED = pytest.StashKey[bool]()


@pytest.fixture(autouse=True)
def _restore_stack(services, request):  # type: ignore[no-untyped-def]
    """Whatever a phase did, the next test finds every process of the stack running and
    ready; after a failed phase every service is restarted too (a wedged one may still be
    running), so one wedge reports as one failure, not as every test after it."""
    yield
    stack = services.stack
    for name in ("kafka", "mongo"):
        if not stack.running(name):
            stack.start_infra(name)
    failed = request.node.stash.get(FAILED, False)
    for service in stack.service_ports:
        for replica in stack.replicas(service):
            stack.stop(stack.replica(service, replica)[0])
        if failed:
            stack.stop(service)
        if not stack.running(service):
            stack.start_service(service)
        stack.wait_ready(service, 120)

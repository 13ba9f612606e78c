"""The local stack refuses to start next to a stranger on its ports (no infrastructure)."""

from __future__ import annotations

import socket
import sys

import pytest

Stack = sys.modules["lodestone_stack"].Stack  # loaded by the root conftest


def test_a_taken_port_stops_the_stack_with_a_clear_error() -> None:
    with socket.socket() as stranger:
        stranger.bind(("127.0.0.1", 0))
        stranger.listen()
        port = stranger.getsockname()[1]
        stack = Stack(name=f"porttest-{port}", kafka_port=port, mongo_port=port + 1)

        with pytest.raises(SystemExit, match=f"kafka port {port}"):
            stack.refuse_taken_ports({"kafka": port, "mongo": stack.mongo_port})

    # The stranger gone, the same ports are fine (nothing of the stack's own runs either).
    stack.refuse_taken_ports({"kafka": port})


class Watched(Stack):
    """A stack whose processes are stand-ins: what /healthz answers is set by the test."""

    def __init__(self) -> None:
        super().__init__(name="supervisor-test", service_ports={"contacts": 1, "scoring": 2})
        self.answers: dict[str, dict | None] = {"contacts": {"status": "ok"}, "scoring": None}
        self.alive = {"contacts", "scoring"}
        self.restarts: list[str] = []
        self.now = 0.0

    def ports(self) -> dict[str, int]:
        return dict(self.service_ports)

    def replicas(self, service: str) -> list[int]:
        return []

    def running(self, name: str) -> int | None:
        return 1 if name in self.alive else None

    def health(self, service: str, replica: int = 0) -> dict | None:
        return self.answers[service]

    def stop(self, name: str, *args: object, **kwargs: object) -> None:
        self.restarts.append(name)

    def start_service(self, service: str, replica: int = 0, env: object = None) -> None:
        self.answers[service] = None  # booting: no answer for a while

    # the supervisor's clock
    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_the_supervisor_restarts_a_stalled_service_after_three_failed_probes() -> None:
    stack = Watched()
    stalled = {"status": "stalled", "stalled": ["lodestone-contacts"]}
    stack.answers["contacts"] = stalled
    stack.alive = {"contacts"}  # scoring was stopped on purpose: left alone
    stack.supervise(every=10, failures=3, rounds=2, clock=stack)
    assert stack.restarts == []  # two failures are not enough
    # Three in a row: restarted once; it then boots (no answer) within its grace period,
    # 17 more probes, and is not restarted again.
    stack.supervise(every=10, failures=3, grace=180, rounds=20, clock=stack)
    assert stack.restarts == ["contacts"]
    assert stack.answers["contacts"] is None


def test_a_service_that_stops_answering_is_restarted_too() -> None:
    stack = Watched()
    stack.alive = {"scoring"}
    stack.now = 1000.0  # long after any start
    stack.supervise(every=10, failures=3, rounds=3, clock=stack)
    assert stack.restarts == ["scoring"]

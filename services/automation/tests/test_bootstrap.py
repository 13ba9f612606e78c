"""Which loops a process runs: an API-only replica beside workers must not advance anyone's
enrollments (the Kubernetes `-api` Deployment; one writer per contact)."""

from __future__ import annotations

from lodestone_automation.bootstrap import create_app
from lodestone_automation.settings import AutomationSettings


def loops(**settings: object) -> tuple[bool, bool]:
    app = create_app(AutomationSettings(**settings))  # type: ignore[arg-type]
    runtime, runner = app.state.runtime, app.state.runner
    return runner.run in runtime.loops, runner.drain in runtime.drains


def test_the_runner_runs_unless_told_not_to() -> None:
    assert loops() == (True, True)
    # A process that consumes nothing advances every contact: tests, a lone replica.
    assert loops(consumers_enabled=False) == (True, True)
    assert loops(consumers_enabled=False, runner_enabled=False) == (False, False)

"""Automation's own Prometheus metrics (the shared ones are lodestone_common.metrics)."""

from __future__ import annotations

from prometheus_client import Counter

ACTIONS = Counter(
    "lodestone_workflow_actions_total",
    "Workflow actions finished, by step type and outcome (succeeded, skipped, failed; a "
    "webhook attempt also retrying or refused)",
    ["action", "outcome"],
)

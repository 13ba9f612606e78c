"""Writes Lodestone's Grafana dashboards (provisioned JSON) from the panel lists below.

    uv run python deploy/observability/dashboards.py          # rewrite them
    uv run python deploy/observability/dashboards.py --check  # exit 1 when one is stale

`pipeline`: Prometheus — throughput, lag per group, latency per hop, dead letters, outbox
backlog, producer rebuilds, webhook outcomes, HTTP errors and latency, stalls.
`business`: the reporting API through Grafana's Infinity datasource — funnel, sources,
leaderboard, workflows, buying trends (the same numbers as the built-in dashboard).
Datasources and the dashboard folder: grafana/provisioning/.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PROMETHEUS = {"type": "prometheus", "uid": "lodestone-prometheus"}
REPORTING = {"type": "yesoreyeram-infinity-datasource", "uid": "lodestone-reporting"}
WIDTH = 24


def prom(expr: str, legend: str) -> dict[str, Any]:
    return {"datasource": PROMETHEUS, "expr": expr, "legendFormat": legend}


def timeseries(title: str, unit: str, *targets: dict[str, Any], help: str) -> dict[str, Any]:
    return {
        "type": "timeseries",
        "title": title,
        "description": help,
        "datasource": PROMETHEUS,
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": targets,
    }


def report_table(title: str, path: str, root: str, help: str) -> dict[str, Any]:
    """A table of one reporting API answer (its `root` list), over the dashboard's range."""
    return {
        "type": "table",
        "title": title,
        "description": help,
        "datasource": REPORTING,
        "targets": [
            {
                "datasource": REPORTING,
                "type": "json",
                "source": "url",
                "format": "table",
                "parser": "backend",
                "url": path,
                "url_options": {
                    "method": "GET",
                    "params": [
                        {"key": "start", "value": "${__from:date:YYYY-MM-DD}"},
                        {"key": "end", "value": "${__to:date:YYYY-MM-DD}"},
                    ],
                },
                "root_selector": root,
            }
        ],
    }


LAG = "sum by (group) (max by (group, topic, partition) (lodestone_consumer_lag))"
HOP = (
    "histogram_quantile({q}, "
    "sum by (group, topic, le) (rate(lodestone_consumer_hop_seconds_bucket[5m])))"
)

PIPELINE: list[dict[str, Any]] = [
    timeseries(
        "Messages applied per second",
        "ops",
        prom(
            'sum by (group) (rate(lodestone_consumer_messages_total{outcome="applied"}[1m]))',
            "{{group}}",
        ),
        help="Each service's consumer group: messages made durable per second.",
    ),
    timeseries(
        "Consumer lag",
        "short",
        prom(LAG, "{{group}}"),
        help="Messages each group has yet to commit (what KEDA scales the workers on).",
    ),
    timeseries(
        "Latency per hop (p50, p95)",
        "s",
        prom(HOP.format(q=0.5), "p50 {{group}} ← {{topic}}"),
        prom(HOP.format(q=0.95), "p95 {{group}} ← {{topic}}"),
        help="From a message's publication to its effects being durable in the group.",
    ),
    timeseries(
        "Dead letters",
        "short",
        prom(
            "sum by (group, topic) "
            '(increase(lodestone_consumer_messages_total{outcome="dead_lettered"}[5m]))',
            "{{group}} ← {{topic}}",
        ),
        help="Messages no handler could process, per 5 minutes (lodestone-deadletters).",
    ),
    timeseries(
        "Outbox backlog",
        "s",
        prom("max by (service) (lodestone_outbox_oldest_seconds)", "oldest {{service}}"),
        help="Age of the oldest event written and not yet on Kafka, per service.",
    ),
    timeseries(
        "Outbox rows waiting and parked",
        "short",
        prom("max by (service) (lodestone_outbox_pending)", "waiting {{service}}"),
        prom(
            "sum by (service) (increase(lodestone_outbox_parked_total[15m]))", "parked {{service}}"
        ),
        help="Rows seen at the relay's last pass; rows Kafka can never take (lodestone-parked).",
    ),
    timeseries(
        "Kafka producer rebuilds",
        "short",
        prom("sum by (job) (increase(lodestone_kafka_producer_rebuilds_total[15m]))", "{{job}}"),
        help="Producers closed and built anew after a fatal idempotence error, per 15 minutes.",
    ),
    timeseries(
        "Workflow actions",
        "ops",
        prom(
            "sum by (action, outcome) (rate(lodestone_workflow_actions_total[5m]))",
            "{{action}} {{outcome}}",
        ),
        help="Emails, tasks, webhooks… by outcome; webhook retries and failures show here.",
    ),
    timeseries(
        "HTTP requests and server errors",
        "reqps",
        prom("sum by (job) (rate(lodestone_http_requests_total[1m]))", "{{job}}"),
        prom(
            'sum by (job) (rate(lodestone_http_requests_total{status=~"5.."}[1m]))',
            "5xx {{job}}",
        ),
        help="Requests per second per service, and those answered 5xx.",
    ),
    timeseries(
        "HTTP latency p95",
        "s",
        prom(
            "histogram_quantile(0.95, sum by (job, le) "
            "(rate(lodestone_http_request_seconds_bucket[5m])))",
            "{{job}}",
        ),
        help="95th percentile of request latency per service.",
    ),
    timeseries(
        "Stalled consumers and loops",
        "short",
        prom("max by (job, check) (lodestone_stalled)", "{{job}} {{check}}"),
        help="1 while a group or loop has work waiting and makes no progress (/healthz fails).",
    ),
]

BUSINESS: list[dict[str, Any]] = [
    report_table(
        "Funnel",
        "/v1/reports/funnel",
        "stages",
        help="Contacts per lifecycle stage: now, reached in the range, conversion, days in stage.",
    ),
    report_table(
        "Lead sources",
        "/v1/reports/sources",
        "sources",
        help="Contacts, qualified leads, customers and revenue per lead source.",
    ),
    report_table(
        "Reps",
        "/v1/reports/leaderboard",
        "reps",
        help="Leads owned, tasks, calls, conversions, revenue and goals per rep.",
    ),
    report_table(
        "Workflows",
        "/v1/reports/workflows",
        "workflows",
        help="Enrollments, emails, opens, clicks and goals per workflow.",
    ),
    report_table(
        "Top products",
        "/v1/reports/purchases",
        "top_products",
        help="Revenue and orders per product in the range.",
    ),
]


def dashboard(uid: str, title: str, panels: list[dict[str, Any]], refresh: str) -> dict[str, Any]:
    laid = []
    for index, panel in enumerate(panels):
        laid.append(
            {
                "id": index + 1,
                "gridPos": {
                    "h": 8,
                    "w": WIDTH // 2,
                    "x": (index % 2) * WIDTH // 2,
                    "y": index // 2 * 8,
                },
                **panel,
            }
        )
    return {
        "uid": uid,
        "title": title,
        "tags": ["lodestone"],
        "timezone": "utc",
        "schemaVersion": 39,
        "version": 1,
        "editable": False,
        "refresh": refresh,
        "time": {"from": "now-6h" if refresh else "now-30d", "to": "now"},
        "panels": laid,
    }


def files() -> dict[Path, str]:
    boards = {
        "lodestone-pipeline": dashboard(
            "lodestone-pipeline", "Lodestone: pipeline", PIPELINE, "30s"
        ),
        "lodestone-business": dashboard("lodestone-business", "Lodestone: business", BUSINESS, ""),
    }
    return {
        HERE / "grafana" / "dashboards" / f"{name}.json": json.dumps(board, indent=2) + "\n"
        for name, board in boards.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only say which files are stale")
    args = parser.parse_args(argv)
    written = files()
    stale = [p for p, text in written.items() if not p.is_file() or p.read_text() != text]
    if args.check:
        for path in stale:
            print(f"stale: {path.relative_to(HERE)} (run deploy/observability/dashboards.py)")
        return 1 if stale else 0
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(written[path])
        print(f"wrote {path.relative_to(HERE)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

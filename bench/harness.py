"""A private native stack for benchmarks, and result reporting."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import platform
import shutil
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"

_spec = importlib.util.spec_from_file_location("lodestone_stack", ROOT / "deploy/local/stack.py")
assert _spec and _spec.loader
stack_module = importlib.util.module_from_spec(_spec)
sys.modules["lodestone_stack"] = stack_module
_spec.loader.exec_module(stack_module)

# Every table reported in this process, for the summary `python -m bench` ends with.
REPORTED: list[tuple[str, list[dict[str, Any]]]] = []

BENCH_PORTS = {"contacts": 28001, "scoring": 28002, "automation": 28003, "reporting": 28004}
CONSOLE_PORT = 28000
API_KEY = "bench-admin-key"


async def produce(
    bootstrap: str, messages: Iterable[tuple[str, bytes | None, bytes]], **config: Any
) -> float:
    """Messages/s publishing (topic, key, value) with an idempotent, acks=all producer,
    pipelined (a bounded number of sends in flight). Building the messages, when
    `messages` is a generator, counts in the time."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5, **config
    )
    await producer.start()
    try:
        sent = 0
        futures = []
        started = time.perf_counter()
        for topic, key, value in messages:
            futures.append(await producer.send(topic, value, key=key))
            sent += 1
            if len(futures) >= 20_000:
                await asyncio.gather(*futures)
                futures = []
        await asyncio.gather(*futures)
        return sent / (time.perf_counter() - started)
    finally:
        await producer.stop()


def bench_stack(services: list[str]) -> Any:
    """Fresh Kafka + MongoDB (Rust daemon unless told otherwise) and the named services."""
    os.environ.setdefault("LODESTONE_MONGO_DAEMON", "rs")
    stack = stack_module.Stack(
        name="bench",
        kafka_port=29092,
        mongo_port=47017,
        service_ports={s: BENCH_PORTS[s] for s in services},
        console_port=CONSOLE_PORT,  # beside a developer's `make up`, never on its 8000
        smtp_port=21025,
        mail_http_port=28025,
    )
    stack.api_key = API_KEY
    stack.down()
    shutil.rmtree(stack.home, ignore_errors=True)
    stack.infra_up(timeout=180)
    stack.services_up(timeout=120)
    return stack


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "mongo_daemon": os.environ.get("LODESTONE_MONGO_DAEMON"),
    }


def report(name: str, rows: list[dict[str, Any]], extra: dict[str, Any]) -> Path:
    """Print a table and write the machine-readable results."""
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(_fmt(r[c])) for r in rows)) for c in columns}
    print()
    print("  ".join(c.ljust(widths[c]) for c in columns))
    print("  ".join("-" * widths[c] for c in columns))
    for row in rows:
        print("  ".join(_fmt(row[c]).ljust(widths[c]) for c in columns))
    REPORTED.append((name, rows))
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), "rows": rows, **extra}, indent=2))
    print(f"\nresults: {path.relative_to(ROOT)}")
    return path


def summary() -> Path | None:
    """One table of every figure reported in this process (benchmark, measure, the rest of
    its row), printed and written as Markdown and JSON beside the per-benchmark results."""
    lines = [
        {"benchmark": name, "measure": _first(row), "figures": _rest(row)}
        for name, rows in REPORTED
        for row in rows
    ]
    if not lines:
        return None
    print("\n== summary ==")
    widths = {c: max(len(c), *(len(line[c]) for line in lines)) for c in lines[0]}
    for line in [dict(zip(widths, widths, strict=True)), *lines]:
        print("  ".join(line[c].ljust(widths[c]) for c in widths).rstrip())
    RESULTS.mkdir(parents=True, exist_ok=True)
    markdown = ["| benchmark | measure | figures |", "|---|---|---|"]
    markdown += [f"| {x['benchmark']} | {x['measure']} | {x['figures']} |" for x in lines]
    (RESULTS / "summary.md").write_text("\n".join(markdown) + "\n")
    path = RESULTS / "summary.json"
    path.write_text(json.dumps({"machine": machine(), "lines": lines}, indent=2))
    print(f"\nsummary: {path.relative_to(ROOT)} and summary.md")
    return path


def _first(row: dict[str, Any]) -> str:
    column, value = next(iter(row.items()))
    return _fmt(value) if column == "measure" else f"{column} {_fmt(value)}"


def _rest(row: dict[str, Any]) -> str:
    return "; ".join(f"{k} {_fmt(v)}" for k, v in list(row.items())[1:] if v is not None)


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value < 1:
            return f"{value:.3g}"
        return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)

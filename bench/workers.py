"""Workers: how each service scales on its own, as the Kubernetes worker Deployments do.

1. Each consumer group alone with one worker replica, on a backlog of M events (as
   `pipeline`'s consumer-by-consumer part): the slowest group is the bottleneck.
2. The bottleneck group with 1, 2 and 3 worker replicas (processes with consumers on; the
   service's API replica takes the events with its consumers off, like the `-api`
   Deployment), each on a fresh backlog of M events: its drain rate, the ratio to one
   replica, and the cores the machine had busy meanwhile (two cores: Kafka, the database
   and the load generator share them, so the ratio says what one machine allows, not what a
   cluster would).
3. The lag a KEDA rule acts on: the group's lag when the backlog is there, and the replicas
   its ScaledObject (deploy/k8s, `lagThreshold`, `maxReplicaCount` = partitions) asks for.
Size: LODESTONE_BENCH_BACKLOG (default 20,000 events).
"""

from __future__ import annotations

import asyncio
import importlib.util
import math
import os
import sys
import time
from typing import Any
from uuid import uuid4

from .harness import ROOT, bench_stack, report
from .pipeline import (
    BOOTSTRAP,
    GROUPS,
    SERVICES,
    Drain,
    Offsets,
    drain,
    events,
    group_name,
    http_client,
    post_all,
    staged,
)
from .profile import CpuShares

REPLICAS = (1, 2, 3)


def k8s_rules() -> Any:
    """deploy/k8s/render.py: the ScaledObjects' thresholds and replica bounds."""
    spec = importlib.util.spec_from_file_location(
        "lodestone_k8s_render", ROOT / "deploy/k8s/render.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def keda_replicas(lag: int, threshold: int, activation: int, most: int, least: int = 1) -> int:
    """What KEDA's HPA asks for: lag over threshold per replica, rounded up, within bounds
    (above the activation threshold; otherwise the minimum)."""
    if lag <= activation:
        return least
    return max(least, min(most, math.ceil(lag / threshold)))


async def backlog(stack: Any, service: str, offsets: Offsets, m: int) -> int:
    """Nothing running but what makes `service`'s input: M events' worth of it on its
    topics, and its group's lag. Contacts takes the events with its consumers off (its API
    replica, which stays up); for another service contacts runs whole, resolves them onto
    the topics the service reads, and stops."""
    for name in stack.ports():
        for index in [*stack.replicas(name), 0]:
            stack.stop(stack.replica(name, index)[0])
    edge = service == "contacts"
    stack.start_service("contacts", env={"LODESTONE_CONSUMERS_ENABLED": "false"} if edge else None)
    stack.wait_ready("contacts")
    async with http_client(stack, "contacts") as http:
        await post_all(http, events(m, uuid4().hex[:6], people=max(m // 5, 1)))
    if not edge:
        await drain(offsets, [], [group_name("contacts", "contacts")])
        stack.stop("contacts")
    group = group_name(service, service)
    done, end = (await offsets.read([group]))[group]
    return end - done


async def scaled(
    stack: Any, service: str, offsets: Offsets, replicas: int
) -> tuple[Drain, dict[str, float]]:
    """Start `replicas` worker processes of `service` (replica 1..n: their own ports) and
    time the drain of its group; the cores each process kept busy meanwhile."""
    group = group_name(service, service)
    indexes = list(range(1, replicas + 1))

    def start() -> None:
        for index in indexes:
            stack.start_service(service, replica=index)
        for index in indexes:
            stack.wait_ready(service, replica=index)

    pids = {"kafka": stack.running("kafka"), "database": stack.running("mongo")}
    busy_before, started = machine_busy(), time.perf_counter()
    with CpuShares({k: v for k, v in pids.items() if v}) as cpu:
        drained = (await drain(offsets, [group], [group], starting=start))[group]
    cores = cpu.table()
    cores["machine"] = (machine_busy() - busy_before) / (time.perf_counter() - started)
    for index in indexes:
        stack.stop(stack.replica(service, index)[0])
    return drained, cores


def machine_busy() -> float:
    """CPU seconds the whole machine spent busy since boot (/proc/stat: all but idle, iowait)."""
    fields = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


async def run() -> None:
    m = int(os.environ.get("LODESTONE_BENCH_BACKLOG", "20000"))
    rules = k8s_rules()
    stack = bench_stack(SERVICES)
    BOOTSTRAP[:] = [stack.kafka_bootstrap]
    rows: list[dict[str, Any]] = []
    try:
        async with Offsets() as offsets:
            print(f"each group alone, one replica: {m:,} events", flush=True)
            _, solo, _ = await staged(stack, offsets, m, None)
            first_turn = {g: d for g, d in solo.items() if not g.endswith("(scores)")}
            slowest = min(first_turn, key=lambda g: first_turn[g].rate)
            service = slowest.removeprefix("lodestone-").split(" ")[0]
            print(f"  bottleneck: {slowest} at {first_turn[slowest].rate:,.0f}/s", flush=True)
            for group, drained in first_turn.items():
                rows.append(
                    {
                        "measure": f"{group} alone, 1 replica",
                        "per s": drained.rate,
                        "ratio": drained.rate / first_turn[slowest].rate,
                        "of": "the bottleneck",
                    }
                )
            # The bottleneck's workers 1, 2, 3 at a time, alone with Kafka and the database.
            threshold = rules.LAG_THRESHOLD[service]
            most = rules.partitions(service)
            base: float | None = None
            for replicas in REPLICAS:
                lag = await backlog(stack, service, offsets, m)
                wants = keda_replicas(lag, threshold, rules.ACTIVATION_LAG, most)
                drained, cores = await scaled(stack, service, offsets, replicas)
                base = base or drained.rate
                infra = cores.get("kafka", 0) + cores.get("database", 0)
                print(
                    f"  {replicas} worker(s): {drained.rate:,.0f}/s from a lag of {lag:,}"
                    f" (KEDA would run {wants}); cores busy: machine {cores['machine']:.2f}"
                    f" of {os.cpu_count()}, kafka + database {infra:.2f}",
                    flush=True,
                )
                rows.append(
                    {
                        "measure": f"{group_name(service, service)} with {replicas} worker(s)",
                        "per s": drained.rate,
                        "ratio": drained.rate / base,
                        "of": f"1 replica; lag {lag:,} → KEDA {wants} of {most}"
                        f" (lagThreshold {threshold}); cores busy {cores['machine']:.2f}"
                        f" of {os.cpu_count()} (kafka+db {infra:.2f})",
                    }
                )
    finally:
        stack.down()
    report("workers", rows, {"backlog": m, "bottleneck": service, "groups": list(GROUPS)})


def main() -> None:
    asyncio.run(run())

"""Is this process making progress? A stalled service must never look alive.

What is watched: each consumer group of the process (messages waiting, and when its committed
offsets last moved or one of its batches last finished here) and each timer loop (work overdue,
and when the loop last took a step). One that has work waiting and no progress for
`stall_after` seconds (`LODESTONE_STALL_SECONDS`, 60) is stalled: `/healthz`, the liveness
endpoint, answers 503 naming it, `lodestone_stalled{check}` is 1, and one log line says so
when the stall begins (and one when it ends). A database or broker that does not answer is
not a stall of the process: `/readyz` shows that, and a restart would not help; every clock
starts again once both answer.

`Progress` holds the state and decides (plain Python, no I/O); `watch` is the loop that looks
at the broker and the database every few seconds and feeds it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import Gauge

from .kafka import topic_partitions
from .metrics import CONSUMER_LAG

log = logging.getLogger(__name__)

STALLED = Gauge(
    "lodestone_stalled",
    "1 while a consumer group or timer loop of this process has work waiting and made no "
    "progress for LODESTONE_STALL_SECONDS",
    ["check"],
)
WAITING = Gauge(
    "lodestone_work_waiting",
    "Messages a consumer group has yet to commit, or a loop's overdue items, at the last look",
    ["check"],
)
IDLE_SECONDS = Gauge(
    "lodestone_seconds_since_progress",
    "Seconds since a consumer group's commits or a loop's steps last moved",
    ["check"],
)

Overdue = Callable[[], Awaitable[int]]


@dataclass
class Check:
    name: str
    kind: Literal["group", "loop"]
    last_progress: float
    waiting: int = 0
    stalled: bool = False
    committed: int | None = None  # a group's committed offsets, summed, at the last look
    topics: tuple[str, ...] = ()  # a group's topics (lag counts before its first commit)
    overdue: Overdue | None = None  # a loop's probe: how many items are overdue


@dataclass
class Progress:
    """The progress of one process's consumer groups and loops, and which are stalled."""

    stall_after: float = 60.0
    clock: Callable[[], float] = time.monotonic
    checks: dict[str, Check] = field(default_factory=dict)

    def watch_group(self, name: str, topics: Iterable[str] = ()) -> None:
        self.checks.setdefault(name, Check(name, "group", self.clock(), topics=tuple(topics)))

    def watch_loop(self, name: str, overdue: Overdue) -> None:
        self.checks[name] = Check(name, "loop", self.clock(), overdue=overdue)

    def groups(self) -> dict[str, tuple[str, ...]]:
        """Each watched consumer group and its topics."""
        return {n: c.topics for n, c in sorted(self.checks.items()) if c.kind == "group"}

    def loops(self) -> list[Check]:
        return [c for c in self.checks.values() if c.kind == "loop"]

    def beat(self, name: str) -> None:
        """`name` moved on: a batch made durable, a loop's step taken."""
        check = self.checks.get(name)
        if check is not None:
            check.last_progress = self.clock()

    def observe_group(self, name: str, committed: int, lag: int) -> None:
        check = self.checks[name]
        if check.committed is not None and committed != check.committed:
            check.last_progress = self.clock()
        check.committed, check.waiting = committed, lag

    def observe_loop(self, name: str, overdue: int) -> None:
        self.checks[name].waiting = overdue

    def pause(self) -> None:
        """The broker or the database is away: nobody can move, so nobody is stalled; the
        clocks start again from now."""
        now = self.clock()
        for check in self.checks.values():
            check.last_progress = now

    def evaluate(self) -> list[Check]:
        """Decide who is stalled now; the checks whose state changed."""
        now = self.clock()
        changed = []
        for check in self.checks.values():
            stalled = check.waiting > 0 and now - check.last_progress >= self.stall_after
            if stalled != check.stalled:
                check.stalled = stalled
                changed.append(check)
        return changed

    @property
    def stalled(self) -> list[str]:
        return sorted(n for n, c in self.checks.items() if c.stalled)

    def report(self) -> dict[str, dict[str, Any]]:
        now = self.clock()
        return {
            name: {
                "kind": c.kind,
                "waiting": c.waiting,
                "seconds_since_progress": round(now - c.last_progress, 1),
                "stalled": c.stalled,
            }
            for name, c in sorted(self.checks.items())
        }


class GroupOffsets:
    """Committed offsets and lag of consumer groups, over one admin connection kept open."""

    def __init__(self, bootstrap: str, security: Mapping[str, Any] | None = None) -> None:
        self.bootstrap = bootstrap
        self.security = dict(security or {})
        self._admin: AIOKafkaAdminClient | None = None
        self._probe: AIOKafkaConsumer | None = None

    async def read(self, groups: Mapping[str, Iterable[str]]) -> dict[str, tuple[int, int]]:
        """{group: (committed offsets summed, messages not yet committed)}."""
        if self._admin is None or self._probe is None:
            admin = AIOKafkaAdminClient(
                bootstrap_servers=self.bootstrap, request_timeout_ms=10_000, **self.security
            )
            probe = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, **self.security)
            try:
                await admin.start()
                await probe.start()
            except BaseException:
                await _quietly(probe.stop(), admin.close())
                raise
            self._admin, self._probe = admin, probe
        try:
            found = await partition_offsets(self._admin, self._probe, list(groups), groups)
        except BaseException:
            await self.close()  # connect afresh next time
            raise
        for group, parts in found.items():
            for tp, (_, lag) in parts.items():
                CONSUMER_LAG.labels(group, tp.topic, str(tp.partition)).set(lag)
        return summed(found)

    async def close(self) -> None:
        admin, probe, self._admin, self._probe = self._admin, self._probe, None, None
        await _quietly(*(x for x in (probe and probe.stop(), admin and admin.close()) if x))


async def group_offsets(
    admin: AIOKafkaAdminClient,
    probe: AIOKafkaConsumer,
    groups: Iterable[str],
    topics: Mapping[str, Iterable[str]] | None = None,
) -> dict[str, tuple[int, int]]:
    """{group: (committed offsets summed, lag)} over every topic each group committed on,
    and the `topics` given for it. Partitions a group never committed count from 0 (groups
    start from the earliest offset)."""
    return summed(await partition_offsets(admin, probe, groups, topics))


def summed(
    found: Mapping[str, Mapping[TopicPartition, tuple[int, int]]],
) -> dict[str, tuple[int, int]]:
    """Per group, its partitions' committed offsets and lags added up."""
    return {
        group: (sum(c for c, _ in parts.values()), sum(lag for _, lag in parts.values()))
        for group, parts in found.items()
    }


async def partition_offsets(
    admin: AIOKafkaAdminClient,
    probe: AIOKafkaConsumer,
    groups: Iterable[str],
    topics: Mapping[str, Iterable[str]] | None = None,
) -> dict[str, dict[TopicPartition, tuple[int, int]]]:
    """{group: {partition: (committed offset, lag)}}, as `group_offsets` reads them."""
    topics = topics or {}
    committed = {g: await admin.list_consumer_group_offsets(g) for g in groups}
    reads = {g: {tp.topic for tp in o} | set(topics.get(g, ())) for g, o in committed.items()}
    # One metadata and one end-offset request for every topic any group reads.
    parts = await topic_partitions(probe, sorted(set().union(*reads.values())))
    ends = await probe.end_offsets(parts) if parts else {}
    result: dict[str, dict[TopicPartition, tuple[int, int]]] = {}
    for group, offsets in committed.items():
        at = {tp: max(offsets[tp].offset if tp in offsets else 0, 0) for tp in parts}
        result[group] = {
            tp: (at[tp], ends[tp] - at[tp]) for tp in parts if tp.topic in reads[group]
        }
    return result


async def watch(
    progress: Progress,
    bootstrap: str,
    database_answers: Callable[[], Awaitable[object]],
    every: float | None = None,
    security: Mapping[str, Any] | None = None,
) -> None:
    """Look every `every` seconds (a quarter of the stall time, at most 10 s) and report."""
    every = every or min(10.0, progress.stall_after / 4)
    offsets = GroupOffsets(bootstrap, security)
    try:
        while True:
            await asyncio.sleep(every)
            if not await _looked(progress, offsets, database_answers, every):
                progress.pause()
            for check in progress.evaluate():
                if check.stalled:
                    log.error(
                        f"{check.kind} {check.name} stalled: {check.waiting} waiting, no "
                        f"progress for {progress.stall_after:.0f}s",
                        extra={"check": check.name, "waiting": check.waiting},
                    )
                else:
                    log.warning(
                        f"{check.kind} {check.name} moves again", extra={"check": check.name}
                    )
            now = progress.clock()
            for check in progress.checks.values():
                STALLED.labels(check.name).set(int(check.stalled))
                WAITING.labels(check.name).set(check.waiting)
                IDLE_SECONDS.labels(check.name).set(now - check.last_progress)
    finally:
        await offsets.close()


async def _looked(
    progress: Progress,
    offsets: GroupOffsets,
    database_answers: Callable[[], Awaitable[object]],
    timeout: float,
) -> bool:
    """Feed `progress` one look at the broker and the database; False if either is away."""
    try:
        await asyncio.wait_for(database_answers(), timeout)
        if groups := progress.groups():
            for group, (committed, lag) in (
                await asyncio.wait_for(offsets.read(groups), timeout)
            ).items():
                progress.observe_group(group, committed, lag)
        for loop in progress.loops():
            assert loop.overdue is not None
            progress.observe_loop(loop.name, await asyncio.wait_for(loop.overdue(), timeout))
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        log.info("progress not checked: broker or database away", extra={"error": repr(exc)})
        return False
    return True


async def _quietly(*closing: Awaitable[object]) -> None:
    for c in closing:
        try:
            await c
        except Exception:  # already closed or never connected
            pass

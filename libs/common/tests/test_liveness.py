"""Stalls are seen: the rules on a fake clock, then a consumer wedged against real Kafka."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from uuid import uuid4

import pytest
from prometheus_client import REGISTRY

from lodestone_common.admin import ensure_topics
from lodestone_common.consumer import EnvelopeEvent, subscribe_events
from lodestone_common.events import InteractionRecorded
from lodestone_common.kafka import make_broker, outgoing, publish_all
from lodestone_common.liveness import Progress, watch
from lodestone_common.settings import ServiceSettings
from lodestone_common.topics import TopicSpec


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_group_with_work_waiting_and_no_commit_for_the_stall_time_is_stalled() -> None:
    clock = Clock()
    progress = Progress(stall_after=60, clock=clock)
    progress.watch_group("g")
    progress.observe_group("g", committed=10, lag=5)
    clock.now += 59
    assert progress.evaluate() == [] and progress.stalled == []
    clock.now += 1
    assert [c.name for c in progress.evaluate()] == ["g"]
    assert progress.stalled == ["g"]
    assert progress.report()["g"] == {
        "kind": "group",
        "waiting": 5,
        "seconds_since_progress": 60.0,
        "stalled": True,
    }
    # Its commits move again: no longer stalled, and that change is reported once.
    progress.observe_group("g", committed=12, lag=3)
    assert [c.name for c in progress.evaluate()] == ["g"]
    assert progress.stalled == [] and progress.evaluate() == []


def test_nothing_waiting_is_never_a_stall_and_a_batch_or_an_outage_restarts_the_clock() -> None:
    clock = Clock()
    progress = Progress(stall_after=60, clock=clock)
    progress.watch_group("idle")
    progress.watch_group("busy")
    progress.observe_group("idle", committed=10, lag=0)
    progress.observe_group("busy", committed=10, lag=9)
    clock.now += 50
    progress.beat("busy")  # a batch made durable here (its commit is still on its way)
    clock.now += 50
    assert progress.evaluate() == []
    progress.pause()  # the database went away: nobody could move
    clock.now += 59
    assert progress.evaluate() == []
    clock.now += 1
    assert progress.stalled == [] and [c.name for c in progress.evaluate()] == ["busy"]


def test_a_loop_is_stalled_when_work_is_overdue_and_it_takes_no_step() -> None:
    clock = Clock()
    progress = Progress(stall_after=60, clock=clock)

    async def overdue() -> int:
        return 3

    progress.watch_loop("runner", overdue)
    progress.observe_loop("runner", 3)
    clock.now += 30
    progress.beat("runner")
    clock.now += 59
    assert progress.evaluate() == []
    clock.now += 1
    progress.evaluate()
    assert progress.stalled == ["runner"]
    progress.observe_loop("runner", 0)  # the work was taken over (another replica)
    progress.evaluate()
    assert progress.stalled == []


async def test_a_wedged_consumer_is_reported_and_recovers(infra, caplog) -> None:  # type: ignore[no-untyped-def]
    topic = f"test.liveness.{uuid4().hex[:10]}"
    group = f"g-{uuid4().hex[:8]}"
    await ensure_topics(infra.kafka_bootstrap, (TopicSpec(topic, 2, "test"),))
    settings = ServiceSettings(
        service_name="test", kafka_bootstrap=infra.kafka_bootstrap, api_key="k"
    )
    progress = Progress(stall_after=2.0)
    release = asyncio.Event()
    handled: list[str] = []

    async def wedged(events: list[EnvelopeEvent]) -> None:
        await release.wait()  # a handler that never finishes, until the test lets it
        handled.extend(e.event_id for e in events)

    broker = make_broker(settings, graceful_timeout=1.0)
    subscribe_events(
        broker,
        topic,
        group=group,
        handler=wedged,
        event_types={InteractionRecorded.event_type},
        title="t",
        description="t",
        progress=progress,
    )
    events = [
        InteractionRecorded(interaction_type="page_visit", name="p").envelope(
            contact_id=f"c{i}", producer="test"
        )
        for i in range(10)
    ]
    watcher = asyncio.create_task(watch(progress, infra.kafka_bootstrap, _answers, every=0.3))
    await broker.start()
    try:
        await publish_all(broker, [outgoing(topic, e) for e in events])
        with caplog.at_level(logging.INFO, logger="lodestone_common.liveness"):

            async def stalled() -> bool:
                return progress.stalled == [group]

            await _until(stalled)
            assert progress.report()[group]["waiting"] == 10  # never committed: counted from 0
            # What an autoscaler reads: the lag of each partition, adding up to the same.
            assert sum(lag(group, topic, p) for p in (0, 1)) == 10
            assert any(f"group {group} stalled" in r.getMessage() for r in caplog.records)
            release.set()

            async def moving() -> bool:
                return progress.stalled == [] and progress.report()[group]["waiting"] == 0

            await _until(moving)
        assert sorted(handled) == sorted(str(e.event_id) for e in events)
        assert [lag(group, topic, p) for p in (0, 1)] == [0, 0]
        # Each message's hop, publication to durable, was timed once.
        hops = REGISTRY.get_sample_value(
            "lodestone_consumer_hop_seconds_count", {"group": group, "topic": topic}
        )
        assert hops == 10
        assert any(f"group {group} moves again" in r.getMessage() for r in caplog.records)
    finally:
        release.set()
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
        await broker.stop()


def lag(group: str, topic: str, partition: int) -> float:
    labels = {"group": group, "topic": topic, "partition": str(partition)}
    return REGISTRY.get_sample_value("lodestone_consumer_lag", labels) or 0.0


async def _answers() -> None:
    """The database answers (this test wedges only the consumer)."""


async def _until(check, timeout: float = 120.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail("condition not met in time")
        await asyncio.sleep(0.1)

"""The dead-letter command against the real broker: list and filter letters, show one, and
replay it to its original topic with a header saying where it came from."""

from __future__ import annotations

import asyncio
from uuid import uuid4

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from lodestone_common.admin import ensure_topics
from lodestone_common.deadletters import main
from lodestone_common.topics import DEAD_LETTER, TopicSpec


async def _letters(bootstrap: str, origin: str, tag: str) -> None:
    await ensure_topics(bootstrap, (TopicSpec(origin, 1, "replay target of the dead-letter test"),))
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for n, (value, reason) in enumerate(
            [
                (b'{"event_type": "x.y", "event_id": "e1"}', f"unknown type {tag}"),
                (b"\xff{", f"not json {tag}"),
            ]
        ):
            headers = [
                ("x-dlq-reason", reason.encode()),
                ("x-dlq-error", b"ValueError()"),
                ("x-dlq-group", f"group-{tag}".encode()),
                ("x-original-topic", origin.encode()),
                ("x-original-partition", b"0"),
                ("x-original-offset", str(n).encode()),
                ("x-failed-at", b"2026-11-23T10:00:00+00:00"),
            ]
            await producer.send_and_wait(DEAD_LETTER, value, key=f"k{n}".encode(), headers=headers)
    finally:
        await producer.stop()


async def _replayed(bootstrap: str, origin: str) -> list[tuple[bytes, dict[str, bytes]]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tp = TopicPartition(origin, 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        got = await consumer.getmany(tp, timeout_ms=5000)
        return [(r.value, dict(r.headers)) for r in got.get(tp, [])]
    finally:
        await consumer.stop()


def test_list_show_and_replay_dead_letters(infra, capsys) -> None:  # type: ignore[no-untyped-def]
    tag = uuid4().hex[:8]
    origin = f"lodestone.test.replay-{tag}"
    bootstrap = infra.kafka_bootstrap
    asyncio.run(_letters(bootstrap, origin, tag))

    assert main(["--bootstrap", bootstrap, "list", "--group", f"group-{tag}"]) == 0
    listed = capsys.readouterr().out
    assert "2 dead letter(s)" in listed
    assert f"{origin}/0@0" in listed and "x.y e1" in listed and "not JSON" in listed
    ref = next(line.split()[0] for line in listed.splitlines() if "x.y e1" in line)

    assert main(["--bootstrap", bootstrap, "show", ref]) == 0
    shown = capsys.readouterr().out
    assert f"x-dlq-reason: unknown type {tag}" in shown and '"event_id": "e1"' in shown

    assert main(["--bootstrap", bootstrap, "replay", "--reason", f"unknown type {tag}"]) == 0
    assert "add --yes" in capsys.readouterr().out
    assert asyncio.run(_replayed(bootstrap, origin)) == []  # a dry run sends nothing

    assert (
        main(["--bootstrap", bootstrap, "replay", "--yes", "--reason", f"unknown type {tag}"]) == 0
    )
    assert "replayed 1 letter(s)" in capsys.readouterr().out
    ((value, headers),) = asyncio.run(_replayed(bootstrap, origin))
    assert value == b'{"event_type": "x.y", "event_id": "e1"}'
    assert headers["x-replayed-from"].decode() == f"{DEAD_LETTER}/{ref}"

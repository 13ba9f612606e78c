"""The consumer's failure policy, with fake records and a fake dead-letter sink."""

import asyncio

from aiokafka import ConsumerRecord
from pymongo.errors import AutoReconnect

from lodestone_common.consumer import BatchRunner, Skip


def record(offset: int, value: bytes) -> ConsumerRecord:
    return ConsumerRecord(
        topic="t",
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=None,
        value=value,
        checksum=None,
        serialized_key_size=0,
        serialized_value_size=len(value),
        headers=(),
    )


class FakeDeadLetter:
    def __init__(self) -> None:
        self.sent: list[tuple[int, str, str]] = []

    async def send(self, failures):  # type: ignore[no-untyped-def]
        self.sent.extend((r.offset, reason, error) for r, reason, error in failures)
        return len(failures)


def parse(raw: bytes) -> str:
    text = raw.decode()
    if text == "skip":
        raise Skip(text)
    if not text.isalnum():
        raise ValueError(f"unreadable {text!r}")
    return text


def runner(handler, dlq: FakeDeadLetter) -> BatchRunner[str]:  # type: ignore[no-untyped-def]
    return BatchRunner(
        group="g",
        handler=handler,
        parse=parse,
        key_of=lambda v: v,
        dead_letter=dlq,
        max_attempts=2,
        max_backoff=0.01,
    )


async def test_poison_is_isolated_and_the_rest_applied() -> None:
    applied: list[str] = []
    dlq = FakeDeadLetter()

    async def handler(values: list[str]) -> None:
        if "bad" in values:
            raise RuntimeError("cannot handle bad")
        applied.extend(values)

    records = [record(i, v) for i, v in enumerate([b"a", b"b", b"bad", b"c", b"{{", b"skip"])]
    await runner(handler, dlq).run(records)
    assert sorted(applied) == ["a", "b", "c"]
    assert [(o, reason) for o, reason, _ in dlq.sent] == [
        (2, "handler failed"),
        (4, "invalid message"),
    ]
    assert "cannot handle bad" in dlq.sent[0][2]


async def test_transient_errors_retry_without_dead_lettering() -> None:
    calls = 0
    dlq = FakeDeadLetter()

    async def handler(values: list[str]) -> None:
        nonlocal calls
        calls += 1
        if calls < 4:
            raise AutoReconnect("database went away")

    await runner(handler, dlq).run([record(0, b"a"), record(1, b"b")])
    assert calls == 4 and dlq.sent == []


async def test_duplicates_within_a_batch_are_applied_once() -> None:
    seen: list[list[str]] = []

    async def handler(values: list[str]) -> None:
        seen.append(values)

    await runner(handler, FakeDeadLetter()).run([record(0, b"a"), record(1, b"a")])
    assert seen == [["a"]]


async def test_cancellation_is_not_swallowed() -> None:
    async def handler(values: list[str]) -> None:
        await asyncio.sleep(10)

    task = asyncio.create_task(runner(handler, FakeDeadLetter()).run([record(0, b"a")]))
    await asyncio.sleep(0.05)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    else:
        raise AssertionError("cancellation was swallowed")


async def test_rejected_messages_are_dead_lettered_with_the_handlers_reason() -> None:
    dlq = FakeDeadLetter()

    async def handler(values: list[str]) -> dict[str, str]:
        return {"b": "unknown contact 'b'"}

    await runner(handler, dlq).run([record(0, b"a"), record(1, b"b")])
    assert dlq.sent == [(1, "rejected", "unknown contact 'b'")]


def test_a_batch_of_several_topics_is_applied_in_publication_order() -> None:
    from lodestone_common.consumer import Received, interleaved
    from lodestone_common.topics import CONTACTS, INTERACTIONS

    def at(topic: str, partition: int, offset: int, ms: int) -> Received[str]:
        r = record(offset, f"{topic[10:13]}{partition}@{ms}".encode())
        r.topic, r.partition, r.timestamp = topic, partition, ms
        return Received(r.value.decode(), r)

    # As Kafka hands a batch over: partition by partition.
    batch = [
        at(INTERACTIONS, 1, 10, 100),  # the interaction of a contact created at 100
        at(INTERACTIONS, 1, 11, 105),
        at(INTERACTIONS, 2, 7, 103),
        at(CONTACTS, 1, 40, 100),  # its creation, published just before it
        at(CONTACTS, 1, 41, 90),  # stamped earlier (another clock): still after its elder
    ]
    assert [i.value for i in interleaved(batch)] == [
        "con1@100",
        "con1@90",
        "int1@100",
        "int2@103",
        "int1@105",
    ]
    one = batch[:2]
    assert interleaved(one) == one

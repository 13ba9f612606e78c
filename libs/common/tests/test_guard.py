"""The shared-exclusive guard: statements share it, a transaction holds it alone, and a
waiting transaction goes before statements that come after it."""

from __future__ import annotations

import asyncio

from lodestone_common.guard import Guard


async def test_statements_share_and_a_transaction_waits_then_goes_first() -> None:
    guard = Guard()
    log: list[str] = []
    release = asyncio.Event()

    async def statement(name: str) -> None:
        async with guard.shared():
            log.append(f"{name} in")
            await release.wait()
            log.append(f"{name} out")

    async def transaction() -> None:
        async with guard.exclusive():
            log.append("txn")

    first = [asyncio.create_task(statement(n)) for n in ("s1", "s2")]
    await asyncio.sleep(0.01)
    assert log == ["s1 in", "s2 in"]  # shared: both at once
    txn = asyncio.create_task(transaction())
    await asyncio.sleep(0.01)
    late = asyncio.create_task(statement("s3"))
    await asyncio.sleep(0.01)
    assert "txn" not in log and "s3 in" not in log  # the transaction waits; s3 waits behind it
    release.set()
    await asyncio.gather(*first, txn, late)
    assert log.index("txn") > max(log.index("s1 out"), log.index("s2 out"))
    assert log.index("s3 in") > log.index("txn")


async def test_the_holder_passes_again_and_a_task_it_starts_does_not() -> None:
    guard = Guard()

    async def nested() -> str:
        async with guard.exclusive():
            async with guard.shared():  # a use case's transaction inside the batch's
                async with guard.exclusive():
                    return "through"

    assert await asyncio.wait_for(nested(), 5) == "through"
    # A statement sharing it runs a transaction while the consumer's batch waits: the inner
    # one does not queue behind the waiting batch (it would wait for itself).
    entered = asyncio.Event()
    go = asyncio.Event()

    async def runner() -> None:
        async with guard.shared():
            entered.set()
            await go.wait()
            async with guard.shared():
                pass

    async def batch() -> None:
        async with guard.exclusive():
            pass

    stepping = asyncio.create_task(runner())
    await entered.wait()
    waiting = asyncio.create_task(batch())
    await asyncio.sleep(0.01)
    go.set()
    await asyncio.wait_for(asyncio.gather(stepping, waiting), 5)
    # Taking it alone while sharing it would wait for itself: refused.
    async with guard.shared():
        try:
            async with guard.exclusive():
                raise AssertionError("upgraded")
        except RuntimeError:
            pass
    # A task started by the holder is not the holder: it waits for the holder to finish.
    order: list[str] = []

    async def child() -> None:
        async with guard.shared():
            order.append("child")

    async with guard.exclusive():
        spawned = asyncio.create_task(child())
        await asyncio.sleep(0.01)
        order.append("holder done")
    await spawned
    assert order == ["holder done", "child"]

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

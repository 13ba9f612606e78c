"""Shared-exclusive access within one process: many statements at once, or one transaction
alone.

A service's consumer runs each batch in a transaction; its other writers in the same process
(automation's runner) send single statements about the same contacts' documents. On the local
database a statement that meets a transaction's uncommitted write can wedge both until the
transaction times out (bench/README, "Known limits"). The transaction takes the guard
exclusively, the statements share it (they never meet each other's uncommitted writes), and a
waiting transaction goes before new statements so a busy runner cannot starve the consumer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class Guard:
    def __init__(self) -> None:
        self._changed = asyncio.Condition()
        self._sharing = 0
        self._holder = False
        self._waiting = 0

    @asynccontextmanager
    async def shared(self) -> AsyncIterator[None]:
        async with self._changed:
            await self._changed.wait_for(lambda: not self._holder and not self._waiting)
            self._sharing += 1
        try:
            yield
        finally:
            async with self._changed:
                self._sharing -= 1
                self._changed.notify_all()

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        async with self._changed:
            self._waiting += 1
            try:
                await self._changed.wait_for(lambda: not self._holder and not self._sharing)
            finally:
                self._waiting -= 1
            self._holder = True
        try:
            yield
        finally:
            async with self._changed:
                self._holder = False
                self._changed.notify_all()

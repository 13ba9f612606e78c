"""Shared-exclusive access within one process: many statements at once, or one transaction
alone.

A service's consumer runs each batch in a transaction; its other writers in the same process
(automation's runner) send single statements about the same contacts' documents. On the local
database a statement that meets a transaction's uncommitted write can wedge both until the
transaction times out (bench/README, "Known limits"). The transaction takes the guard
exclusively, the statements share it (they never meet each other's uncommitted writes), and a
waiting transaction goes before new statements so a busy runner cannot starve the consumer.
The service's other transactions (API calls, jobs, the runner's) share it too: they may meet
each other, but never the batch in flight, which would have to be retried whole.

Taken again by the task that holds it (a handler calling a use case that runs its own
transaction, a runner's guarded statement that is a transaction), it lets it through: asking
again would wait for itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal


class Guard:
    def __init__(self) -> None:
        self._changed = asyncio.Condition()
        self._sharing = 0
        self._holder = False
        self._waiting = 0
        # The tasks holding it, and how (a task it starts is not one of them).
        self._tasks: dict[asyncio.Task[object], Literal["shared", "exclusive"]] = {}

    def _held(self) -> Literal["shared", "exclusive"] | None:
        task = asyncio.current_task()
        return self._tasks.get(task) if task is not None else None

    @asynccontextmanager
    async def _holding(self, how: Literal["shared", "exclusive"]) -> AsyncIterator[None]:
        task = asyncio.current_task()
        assert task is not None
        self._tasks[task] = how
        try:
            yield
        finally:
            del self._tasks[task]

    @asynccontextmanager
    async def shared(self) -> AsyncIterator[None]:
        if self._held() is not None:
            yield
            return
        async with self._changed:
            await self._changed.wait_for(lambda: not self._holder and not self._waiting)
            self._sharing += 1
        try:
            async with self._holding("shared"):
                yield
        finally:
            async with self._changed:
                self._sharing -= 1
                self._changed.notify_all()

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        held = self._held()
        if held == "exclusive":
            yield
            return
        if held == "shared":
            raise RuntimeError(
                "a task sharing the guard cannot take it alone: it would wait for itself"
            )
        async with self._changed:
            self._waiting += 1
            try:
                await self._changed.wait_for(lambda: not self._holder and not self._sharing)
            finally:
                self._waiting -= 1
            self._holder = True
        try:
            async with self._holding("exclusive"):
                yield
        finally:
            async with self._changed:
                self._holder = False
                self._changed.notify_all()

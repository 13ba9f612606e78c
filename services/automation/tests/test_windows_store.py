"""Sliding-window hits as automation stores them, against the real database: read and written
once per batch, and folded into the survivor when contacts merge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from uuid import uuid4

from lodestone_automation.service import Automation
from lodestone_automation.stores import Stores
from lodestone_common.mongo import in_transaction
from lodestone_common.processing import Transactions


async def test_windows_round_trip_and_merge_into_the_survivor(mongo) -> None:  # type: ignore[no-untyped-def]
    name = f"test_windows_{uuid4().hex[:8]}"
    runtime = SimpleNamespace(mongo=mongo, db=mongo[name])
    repo = Automation(Stores(runtime.db), Transactions(mongo))
    audience = repo.stores.audience
    t = datetime(2026, 11, 1, tzinfo=UTC)
    try:
        await in_transaction(
            mongo,
            lambda s: audience.save_hits(
                {("wf", "a"): [t], ("wf", "b"): [t + timedelta(hours=2)], ("wf2", "b"): [t]}, s
            ),
        )
        found = await in_transaction(
            mongo, lambda s: audience.window_hits({("wf", "a"), ("wf", "b"), ("wf", "x")}, s)
        )
        assert found == {("wf", "a"): [t], ("wf", "b"): [t + timedelta(hours=2)]}

        await in_transaction(mongo, lambda s: repo.stores.rekey("a", ["b"], s))
        merged = await in_transaction(
            mongo, lambda s: audience.window_hits({("wf", "a"), ("wf", "b"), ("wf2", "a")}, s)
        )
        assert merged == {("wf", "a"): [t, t + timedelta(hours=2)], ("wf2", "a"): [t]}
    finally:
        await mongo.drop_database(name)

"""Transactions committed and aborted, and the collections write conflicts happen on, are
counted for every client `make_client` builds (the database retries a conflict silently)."""

from __future__ import annotations

from uuid import uuid4

import pytest
from prometheus_client import REGISTRY
from pymongo.errors import PyMongoError

from lodestone_common.mongo import make_client


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_write_conflict_is_counted_on_its_collection_with_the_abort(infra) -> None:  # type: ignore[no-untyped-def]
    app = f"lodestone-test-{uuid4().hex[:6]}"
    client = make_client(infra.mongo_url, app)
    db = client[f"test_conflicts_{uuid4().hex[:8]}"]
    try:
        await db["things"].insert_one({"_id": 1, "n": 0})
        async with client.start_session() as first, client.start_session() as second:
            await first.start_transaction()
            await second.start_transaction()
            await db["things"].update_one({"_id": 1}, {"$inc": {"n": 1}}, session=first)
            with pytest.raises(PyMongoError):
                await db["things"].update_one({"_id": 1}, {"$inc": {"n": 1}}, session=second)
            await second.abort_transaction()
            await first.commit_transaction()
        conflicts = "lodestone_db_write_conflicts_total"
        assert sample(conflicts, app=app, collection="things") == 1
        assert sample("lodestone_db_transactions_total", app=app, outcome="committed") == 1
        assert sample("lodestone_db_transactions_total", app=app, outcome="aborted") == 1
        assert (await db["things"].find_one({"_id": 1}) or {})["n"] == 1
    finally:
        await client.drop_database(db.name)
        await client.close()

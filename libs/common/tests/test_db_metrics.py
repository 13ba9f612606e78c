"""Transactions committed and aborted, the collections write conflicts happen on and each
command's round trip are counted for every client `make_client` builds (the database retries
a conflict silently)."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import pytest
from prometheus_client import REGISTRY
from pymongo.errors import PyMongoError

from lodestone_common.mongo import make_client
from lodestone_common.processing import Transactions, UnitOfWork


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
        # Every round trip timed, by command and collection; a commit has none.
        spent = "lodestone_db_command_seconds_count"
        assert sample(spent, app=app, command="update", collection="things") == 2
        assert sample(spent, app=app, command="find", collection="things") == 1
        assert sample(spent, app=app, command="commitTransaction", collection="-") == 1
        assert (
            sample(
                "lodestone_db_command_seconds_sum", app=app, command="update", collection="things"
            )
            > 0
        )
    finally:
        await client.drop_database(db.name)
        await client.close()


async def test_a_service_transaction_waits_for_the_batch_instead_of_meeting_it(infra) -> None:  # type: ignore[no-untyped-def]
    """The consumer's batch holds the service's guard alone, its API calls share it: an API
    write to a document the batch in flight wrote waits and commits after it, neither
    aborted (before the guard, the API call's transaction was retried, 9 times here)."""
    app = f"lodestone-test-{uuid4().hex[:6]}"
    client = make_client(infra.mongo_url, app)
    db = client[f"test_guarded_{uuid4().hex[:8]}"]
    transactions = Transactions(client)
    order: list[str] = []
    written = asyncio.Event()
    try:
        await db["contacts"].insert_one({"_id": "c1", "n": 0})

        async def batch(uow: UnitOfWork) -> None:
            await db["contacts"].update_one({"_id": "c1"}, {"$inc": {"n": 1}}, session=uow.session)
            written.set()
            await asyncio.sleep(0.3)  # the API call arrives meanwhile
            order.append("batch")

        async def api_call(uow: UnitOfWork) -> None:
            await db["contacts"].update_one({"_id": "c1"}, {"$inc": {"n": 10}}, session=uow.session)
            order.append("api")

        in_flight = asyncio.create_task(transactions.alone(batch))
        await written.wait()
        await asyncio.wait_for(asyncio.gather(in_flight, transactions.run(api_call)), 60)
        assert order == ["batch", "api"]
        assert (await db["contacts"].find_one({"_id": "c1"}) or {})["n"] == 11
        assert sample("lodestone_db_transactions_total", app=app, outcome="aborted") == 0
        assert sample("lodestone_db_transactions_total", app=app, outcome="committed") == 2
    finally:
        await client.drop_database(db.name)
        await client.close()

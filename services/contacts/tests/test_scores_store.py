"""Scoring's verdicts as contacts keeps them, against the real database: a batch holding
several verdicts for one contact keeps the latest, whatever their order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from lodestone_common.processing import Transactions
from lodestone_contacts.service import Contacts
from lodestone_contacts.stores import Stores

T = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def verdict(contact: str, minutes: int, score: float) -> tuple[str, str, datetime, dict[str, Any]]:
    at = T + timedelta(minutes=minutes)
    fields = {"scores.default": {"score": score, "at": at}, "score": score}
    return contact, "default", at, fields


async def test_a_batch_keeps_each_contacts_latest_verdict(mongo) -> None:  # type: ignore[no-untyped-def]
    name = f"test_scores_{uuid4().hex[:8]}"
    db = mongo[name]
    transactions = Transactions(mongo)
    repo = Contacts(Stores(db), None, transactions)
    await db["contacts"].insert_many(
        [
            {"_id": "a"},
            {"_id": "b"},
            {"_id": "c", "scores": {"default": {"score": 9, "at": T + timedelta(hours=1)}}},
        ]
    )
    try:
        batch = [
            verdict("a", 2, 20),  # newest first
            verdict("a", 1, 10),
            verdict("b", 1, 10),  # oldest first
            verdict("b", 3, 30),
            verdict("b", 2, 25),
            verdict("c", 5, 50),  # older than what c has
        ]
        await transactions.run(lambda uow: repo.apply_scores(batch, uow))
        scores = {d["_id"]: d.get("score") async for d in db["contacts"].find({})}
        assert scores == {"a": 20, "b": 30, "c": None}
    finally:
        await mongo.drop_database(name)

"""Each contact's view (its parts, each written from one topic) and its score rows."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING, DeleteOne, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from ..domain.projector import State


class Views:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.views = db["views"]
        self.scores = db["scores"]

    async def ensure_indexes(self) -> None:
        await self.scores.create_index([("contact_id", ASCENDING)], name="contact")
        await self.scores.create_index(
            [("model", ASCENDING), ("score", DESCENDING)], name="model_score"
        )

    async def load(
        self,
        state: State,
        ids: list[str],
        rows: tuple[set[tuple[str, str]], set[str]],
        session: AsyncClientSession | None,
    ) -> None:
        """These contacts' views, and the score rows `projector.score_rows` names: by `_id`
        the verdicts' rows, by contact every row of the contacts that end."""
        async for doc in self.views.find({"_id": {"$in": ids}}, session=session):
            state.views[doc["_id"]] = doc
        verdicts, ended = rows
        clauses: list[dict[str, Any]] = []
        if verdicts:
            clauses.append({"_id": {"$in": sorted(_row_id(m, c) for m, c in verdicts)}})
        if ended:
            clauses.append({"contact_id": {"$in": sorted(ended)}})
        for clause in clauses:
            async for row in self.scores.find(clause, session=session):
                state.scores[(row["model"], row["contact_id"])] = row

    async def save(self, state: State, session: AsyncClientSession | None) -> None:
        views = [
            UpdateOne({"_id": cid}, {"$set": {part: state.views[cid][part]}}, upsert=True)
            for cid, part in sorted(state.changed)
        ]
        if views:
            await self.views.bulk_write(views, ordered=False, session=session)
        scores: list[Any] = []
        for model, cid in sorted(state.changed_scores):
            row = state.scores[(model, cid)]
            _id = _row_id(model, cid)
            if row.get("deleted"):
                scores.append(DeleteOne({"_id": _id}))
            else:
                scores.append(UpdateOne({"_id": _id}, {"$set": row}, upsert=True))
        if scores:
            await self.scores.bulk_write(scores, ordered=False, session=session)

    async def top_scores(self, model: str, min_score: float, limit: int) -> list[dict[str, Any]]:
        cursor = (
            self.scores.find({"model": model, "score": {"$gte": min_score}}, {"_id": 0})
            .sort("score", DESCENDING)
            .limit(limit)
        )
        return await cursor.to_list(limit)

    async def of(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        return {d["_id"]: d async for d in self.views.find({"_id": {"$in": ids}})}


def _row_id(model: str, contact_id: str) -> str:
    """A score row's `_id`: one row per model and contact."""
    return f"{model}:{contact_id}"

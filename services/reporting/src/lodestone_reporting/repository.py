"""Reporting's own database: counters, contact views, score rows, tasks, goals, the inbox.

A batch is projected in one transaction: the inbox drops events already applied, the views
the batch touches are read with one `$in` each, and every change goes back in bulk.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, DeleteMany, DeleteOne, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from lodestone_common.consumer import EnvelopeEvent
from lodestone_common.envelope import utcnow
from lodestone_common.mongo import Inbox, in_transaction

from .domain.counters import NOW
from .domain.projector import State, contact_ids, project, task_ids

COLLECTIONS = ("counters", "views", "scores", "tasks", "workflows", "inbox")


class ReportingRepository:
    def __init__(self, client: Any, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.client = client
        self.db = db
        self.counters = db["counters"]
        self.views = db["views"]
        self.scores = db["scores"]
        self.tasks = db["tasks"]
        self.goals = db["goals"]
        self.workflows = db["workflows"]
        self.inbox = Inbox(db["inbox"])

    async def ensure_indexes(self) -> None:
        await self.counters.create_index(
            [("m", ASCENDING), ("r", ASCENDING), ("d", ASCENDING)], name="metric_day"
        )
        await self.scores.create_index([("contact_id", ASCENDING)], name="contact")
        await self.scores.create_index(
            [("model", ASCENDING), ("score", DESCENDING)], name="model_score"
        )
        await self.tasks.create_index([("contact_id", ASCENDING)], name="contact")
        await self.tasks.create_index([("status", ASCENDING), ("due_at", ASCENDING)], name="due")

    async def wipe(self) -> None:
        """Drop every read model (goals are input, not a projection, and stay)."""
        for name in COLLECTIONS:
            await self.db[name].drop()
        await self.ensure_indexes()

    # -- projection ----------------------------------------------------------------------

    async def apply(self, events: Sequence[EnvelopeEvent]) -> int:
        """Project the events not applied before; returns how many were new."""
        by_id = {e.event_id: e for e in events}

        async def work(session: AsyncClientSession) -> int:
            unseen = await self.inbox.unseen(by_id, session=session)
            if not unseen:
                return 0
            # In order, each event once: a batch may hold a resend of one of its events.
            fresh = list({e.event_id: e for e in events if e.event_id in unseen}.values())
            state = await self._load(fresh, session)
            project(state, fresh)
            await self._save(state, session)
            await self.inbox.remember(unseen, session=session)
            return len(unseen)

        return await in_transaction(self.client, work)

    async def _load(self, events: list[EnvelopeEvent], session: AsyncClientSession) -> State:
        state = State()
        ids = list(contact_ids(events))
        async for doc in self.views.find({"_id": {"$in": ids}}, session=session):
            state.views[doc["_id"]] = doc
        async for row in self.scores.find({"contact_id": {"$in": ids}}, session=session):
            state.scores[(row["model"], row["contact_id"])] = row
        tasks = list(task_ids(events))
        if tasks:
            async for task in self.tasks.find({"_id": {"$in": tasks}}, session=session):
                state.tasks[task["_id"]] = task
        return state

    async def _save(self, state: State, session: AsyncClientSession) -> None:
        counters = [
            UpdateOne(
                {"_id": key.id},
                {
                    "$inc": {"v": n},
                    "$setOnInsert": {
                        "m": key.metric,
                        "r": key.rollup,
                        "d": key.day,
                        "k": dict(key.dims),
                    },
                },
                upsert=True,
            )
            for key, n in state.deltas.nonzero().items()
        ]
        if counters:
            await self.counters.bulk_write(counters, ordered=False, session=session)
        views = [
            UpdateOne({"_id": cid}, {"$set": {part: state.views[cid][part]}}, upsert=True)
            for cid, part in sorted(state.changed)
        ]
        if views:
            await self.views.bulk_write(views, ordered=False, session=session)
        scores: list[Any] = []
        for model, cid in sorted(state.changed_scores):
            row = state.scores[(model, cid)]
            _id = f"{model}:{cid}"
            if row.get("deleted"):
                scores.append(DeleteOne({"_id": _id}))
            else:
                scores.append(UpdateOne({"_id": _id}, {"$set": row}, upsert=True))
        if scores:
            await self.scores.bulk_write(scores, ordered=False, session=session)
        tasks: list[Any] = [
            UpdateOne({"_id": t}, {"$set": state.tasks[t]}, upsert=True)
            for t in sorted(state.changed_tasks)
        ]
        if state.erased:
            tasks.append(DeleteMany({"contact_id": {"$in": sorted(state.erased)}}))
        if tasks:
            await self.tasks.bulk_write(tasks, ordered=True, session=session)
        if state.workflow_names:
            await self.workflows.bulk_write(
                [
                    UpdateOne({"_id": wf}, {"$set": {"name": name}}, upsert=True)
                    for wf, name in sorted(state.workflow_names.items())
                ],
                session=session,
            )

    # -- reads ---------------------------------------------------------------------------

    async def counter_rows(
        self,
        metric: str,
        *,
        start: str | None = None,
        end: str | None = None,
        now: bool = False,
        rollup: str = "base",
        match: dict[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """Counter documents of one metric: a day range, or the "now" counters."""
        query: dict[str, Any] = {"m": metric, "r": rollup}
        if now:
            query["d"] = NOW
        else:
            query["d"] = {"$gte": start or "0000", "$lte": end or "9999"}
        query.update({f"k.{k}": v for k, v in (match or {}).items()})
        return await self.counters.find(query, {"_id": 0, "m": 0, "r": 0}).to_list(None)

    async def top_scores(self, model: str, min_score: float, limit: int) -> list[dict[str, Any]]:
        cursor = (
            self.scores.find({"model": model, "score": {"$gte": min_score}}, {"_id": 0})
            .sort("score", DESCENDING)
            .limit(limit)
        )
        return await cursor.to_list(limit)

    async def views_of(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        return {d["_id"]: d async for d in self.views.find({"_id": {"$in": ids}})}

    async def overdue_by_owner(self, now: datetime) -> dict[str, int]:
        cursor = self.tasks.find({"status": "open", "due_at": {"$lt": now}}, {"owner": 1})
        counts: dict[str, int] = {}
        async for task in cursor:
            owner = task.get("owner") or "unassigned"
            counts[owner] = counts.get(owner, 0) + 1
        return counts

    async def workflow_names(self) -> dict[str, str]:
        return {d["_id"]: d.get("name") async for d in self.workflows.find({})}

    async def put_goal(self, owner: str, month: str, targets: dict[str, float]) -> dict[str, Any]:
        doc = {"owner": owner, "month": month, "targets": targets, "updated_at": utcnow()}
        await self.goals.update_one({"_id": f"{owner}:{month}"}, {"$set": doc}, upsert=True)
        return doc

    async def goals_of(self, months: list[str]) -> list[dict[str, Any]]:
        return await self.goals.find({"month": {"$in": months}}, {"_id": 0}).to_list(None)

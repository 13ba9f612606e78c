"""Reporting's database, one store per read model; stores load and save, nothing else."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from lodestone_common.consumer import EnvelopeEvent
from lodestone_common.mongo import Inbox

from ..domain.projector import State, contact_ids, score_rows, task_ids
from .counters import Counters
from .entered import Entered
from .goals import Goals
from .names import Names
from .reps import Reps
from .tasks import Tasks
from .views import Views

# Projections, dropped and rebuilt by `lodestone-reporting-rebuild` (goals, the catalog and
# commission plans are input).
PROJECTED = ("counters", "views", "scores", "tasks", "workflows", "products", "reps", "inbox")


class ReadModels:
    """Every read model a batch of events moves, loaded and saved together."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.db = db
        self.counters = Counters(db)
        self.views = Views(db)
        self.tasks = Tasks(db)
        self.workflows = Names(db, "workflows")
        self.products = Names(db, "products")
        self.goals = Goals(db)
        self.reps = Reps(db)
        self.catalog = Entered(db, "catalog")
        self.commission_plans = Entered(db, "commission_plans")

    async def ensure_indexes(self) -> None:
        await self.counters.ensure_indexes()
        await self.views.ensure_indexes()
        await self.tasks.ensure_indexes()

    async def wipe(self) -> None:
        for name in PROJECTED:
            await self.db[name].drop()
        await self.ensure_indexes()
        await Inbox(self.db["inbox"]).ensure_indexes()

    async def load(self, events: list[EnvelopeEvent], session: AsyncClientSession | None) -> State:
        """The views, score rows and tasks these events touch, `$in` reads (the score rows
        those `projector.score_rows` names)."""
        state = State()
        await self.views.load(state, sorted(contact_ids(events)), score_rows(events), session)
        await self.tasks.load(state, sorted(task_ids(events)), session)
        return state

    async def save(self, state: State, session: AsyncClientSession | None) -> None:
        await self.counters.add(state.deltas, session)
        await self.views.save(state, session)
        await self.tasks.save(state, session)
        await self.workflows.save(state.workflow_names, session)
        await self.products.save(state.product_names, session)
        await self.reps.save(state.reps, session)

"""Scoring's database, one store per aggregate; stores load and save, nothing else."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from lodestone_common.mongo import Erased

from .aliases import Aliases
from .caps import Caps
from .history import History
from .ledger import Ledger
from .outcomes import Outcomes
from .profiles import Profiles
from .states import States, state_id


class Stores:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.states = States(db)
        self.ledger = Ledger(db)
        self.caps = Caps(db)
        self.history = History(db)
        self.profiles = Profiles(db)
        self.outcomes = Outcomes(db)
        self.aliases = Aliases(db)
        # Re-scoring jobs and their progress (lodestone_common.jobs keeps them).
        self.jobs = db["jobs"]
        self.erased = Erased(db["erased"])

    async def ensure_indexes(self) -> None:
        for store in (self.states, self.ledger, self.caps, self.history, self.aliases):
            await store.ensure_indexes()

    async def delete(self, contacts: list[str], session: AsyncClientSession | None) -> None:
        """Everything kept about these contacts, but the outcomes they taught."""
        for store in (self.states, self.ledger, self.caps, self.history, self.profiles):
            await store.delete(contacts, session)
        await self.aliases.delete(contacts, session)


__all__ = ["Stores", "state_id"]

"""Decay announced as it comes due: a decayed score is worth telling the other services about
(contacts' copy, search, segments, reports, badges) when it has fallen a step since the last
announcement (domain/verdicts.py says when); nothing else moves it."""

from __future__ import annotations

import asyncio

from lodestone_common.envelope import utcnow
from lodestone_common.processing import UnitOfWork

from .service import Scoring

DECAY_BATCH = 200  # contacts whose decay is announced per transaction


class DecayAnnouncer:
    def __init__(self, scoring: Scoring) -> None:
        self.scoring = scoring

    async def announce(self, limit: int = DECAY_BATCH) -> int:
        """Announce the decayed scores now due (score.changed; LeadDisqualified when one falls
        under the threshold); the contacts handled."""
        scoring = self.scoring
        models = scoring.registry.active()
        if not models:
            return 0
        now = utcnow()
        contacts = await scoring.stores.states.due(now, sorted(models), limit)
        if not contacts:
            return 0

        async def work(uow: UnitOfWork) -> None:
            states = await scoring.stores.states.load(contacts, models, uow.session)
            # Due again when read inside the transaction: another replica may have done it.
            due = {
                sid: None
                for sid, state in states.items()
                if state.recheck_at is not None and state.recheck_at <= now
            }
            profiles = await scoring.stores.profiles.load(contacts, uow.session)
            await scoring.settle(states, profiles, models, due, uow)

        await scoring.transactions.run(work)
        return len(contacts)

    async def run(self, every: float) -> None:
        """Everything due now, then again every `every` seconds; states announced before
        decay was scheduled are scheduled once first."""
        await self.scoring.stores.states.recheck_unscheduled(utcnow())
        while True:
            while await self.announce() == DECAY_BATCH:
                pass  # a backlog: the next batch at once
            await asyncio.sleep(every)

"""Scoring's use cases: score interactions, follow contact changes, replay history under a
changed model, re-settle decaying leads, and show a score with its explanation.

Consumers reach these through `handlers.py` inside the batch's unit of work; recomputes and
sweeps run their own (`Transactions`). What a changed score announces is emitted on the
unit of work, so it is published if and only if the change commits.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from uuid import UUID

from lodestone_common.consumer import EnvelopeEvent
from lodestone_common.envelope import utcnow
from lodestone_common.events import (
    ContactErased,
    ContactMerged,
    ContactStageChanged,
    InteractionRecorded,
)
from lodestone_common.mongo import MergedSets
from lodestone_common.processing import Transactions, UnitOfWork
from lodestone_common.topics import SCORES

from .domain.ledger import (
    Entry,
    Interaction,
    ScoreState,
    apply_interaction,
    cap_window,
    fit_points,
    grade_for,
    recent_caps,
)
from .domain.predictive import OUTCOMES, NaiveBayes, features, training_deltas
from .domain.profile import fit_fields, profile_change
from .domain.replay import replay
from .domain.verdicts import settle
from .registry import ActiveModels, ModelRegistry
from .stores import Stores, state_id

PRODUCER = "scoring"


class Scoring:
    def __init__(self, stores: Stores, registry: ModelRegistry, transactions: Transactions) -> None:
        self.stores = stores
        self.registry = registry
        self.transactions = transactions

    # -- interactions ----------------------------------------------------------------------

    async def score_interactions(self, events: list[EnvelopeEvent], uow: UnitOfWork) -> None:
        models = self.registry.active()
        seen: list[tuple[str, Interaction]] = []
        for event in events:
            payload = event.payload
            assert isinstance(payload, InteractionRecorded)
            contact = event.envelope.contact_id
            at = event.envelope.occurred_at
            interaction = Interaction(
                event.event_id, at, payload.interaction_type, payload.name, payload.properties
            )
            seen.append((contact, interaction))
        await self.stores.history.add(seen, uow.session)
        contacts = sorted({c for c, _ in seen})
        profiles = await self.stores.profiles.load(contacts, uow.session)
        await self.stores.profiles.add([c for c in contacts if c not in profiles], uow.session)
        if models:
            await self._score(seen, contacts, profiles, models, uow)

    async def _score(
        self,
        seen: list[tuple[str, Interaction]],
        contacts: list[str],
        profiles: dict[str, dict[str, Any]],
        models: ActiveModels,
        uow: UnitOfWork,
    ) -> None:
        states = await self.stores.states.load(contacts, models, uow.session)
        legacy = sorted(
            {
                c
                for c in contacts
                for m in models
                if (st := states.get(state_id(c, m))) and st.caps is None
            }
        )
        windows = sorted({cap_window(per, i.at) for _, i in seen for per in ("day", "week")})
        # States written before caps lived in them read theirs from the old store once.
        old_caps = await self.stores.caps.load(legacy, windows, uow.session) if legacy else {}
        entries: list[tuple[str, Entry]] = []
        touched: dict[str, UUID | None] = {}
        for contact, interaction in seen:
            for model_id, (version, model) in models.items():
                sid = state_id(contact, model_id)
                state = states.setdefault(sid, ScoreState(caps={}))
                if state.caps is None:
                    prefix = f"{sid}:"
                    state.caps = {
                        k[len(prefix) :]: v for k, v in old_caps.items() if k.startswith(prefix)
                    }
                made = apply_interaction(model_id, version, model, state, state.caps, interaction)
                if made:
                    entries += [(contact, e) for e in made]
                    touched[sid] = UUID(interaction.event_id)
        now = utcnow()
        for sid in touched:  # the caps live in the state rewritten anyway: no write of their own
            states[sid].caps = recent_caps(states[sid].caps or {}, now)
        await self.settle(states, profiles, models, touched, uow)
        await self.stores.ledger.add(entries, uow.session)

    async def settle(
        self,
        states: dict[str, ScoreState],
        profiles: dict[str, dict[str, Any]],
        models: ActiveModels,
        touched: dict[str, UUID | None],
        uow: UnitOfWork,
    ) -> None:
        """Grade, settle and store the touched states; emit what they announce."""
        now = utcnow()
        for sid, cause in touched.items():
            contact, model_id = sid.rsplit(":", 1)
            _, model = models[model_id]
            state = states[sid]
            state.fit, _ = fit_points(model, fit_fields(profiles.get(contact)))
            state.grade = grade_for(model, state.fit)
            for payload in settle(model_id, model, state, now, cause):
                envelope = payload.envelope(
                    contact_id=contact, producer=PRODUCER, causation_id=cause
                )
                uow.emit(SCORES, envelope)
        await self.stores.states.save({sid: states[sid] for sid in touched}, now, uow.session)

    # -- contacts --------------------------------------------------------------------------

    async def follow_contacts(self, events: list[EnvelopeEvent], uow: UnitOfWork) -> None:
        """Keep the fields fit rules read; merge ledgers; forget erased people; learn outcomes."""
        models = self.registry.active()
        regrade: set[str] = set()
        rescore: set[str] = set()
        outcomes: dict[str, str] = {}
        # One statement per contact for the batch's field changes, written before an erase
        # or merge, which read and move profiles.
        changes = MergedSets()
        for event in events:
            contact = event.envelope.contact_id
            payload = event.payload
            if isinstance(payload, ContactErased):
                await self.stores.profiles.save(changes, uow.session)
                await self.forget([contact], uow)
                regrade.discard(contact)
                rescore.discard(contact)
            elif isinstance(payload, ContactMerged):
                await self.stores.profiles.save(changes, uow.session)
                await self._merge(contact, payload.merged_ids, uow)
                rescore.add(contact)
            else:
                if isinstance(payload, ContactStageChanged) and payload.to_stage in OUTCOMES:
                    outcomes[contact] = OUTCOMES[payload.to_stage]
                fields = profile_change(payload)
                if fields:
                    changes.set(contact, fields)
                    regrade.add(contact)
        await self.stores.profiles.save(changes, uow.session)
        if outcomes:
            await self._learn(outcomes, uow)
        if rescore and models:
            await self._replay(sorted(rescore), models, uow)
        regrade -= rescore
        if regrade and models:
            contacts = sorted(regrade)
            states = await self.stores.states.load(contacts, models, uow.session)
            profiles = await self.stores.profiles.load(contacts, uow.session)
            touched: dict[str, UUID | None] = {}
            for contact in contacts:
                for model_id in models:
                    states.setdefault(state_id(contact, model_id), ScoreState())
                    touched[state_id(contact, model_id)] = None
            await self.settle(states, profiles, models, touched, uow)

    async def _learn(self, outcomes: dict[str, str], uow: UnitOfWork) -> None:
        """Train the predictive model on new outcomes (moving relabelled contacts)."""
        contacts = list(outcomes)
        profiles = await self.stores.profiles.load(contacts, uow.session)
        activity = await self.stores.history.activity(contacts, uow.session)
        previous = await self.stores.outcomes.load(contacts, uow.session)
        totals: dict[str, float] = defaultdict(float)
        learned: dict[str, tuple[str, dict[str, str]]] = {}
        for contact, outcome in outcomes.items():
            before = previous.get(contact)
            if before and before["outcome"] == outcome:
                continue
            x = features(profiles.get(contact) or {}, activity.get(contact, {}))
            old = (before["outcome"], before["features"]) if before else None
            for key, delta in training_deltas(old, outcome, x).items():
                totals[key] += delta
            learned[contact] = (outcome, x)
        if learned:
            await self.stores.outcomes.save(learned, uow.session)
            await self.stores.outcomes.add_counts(totals, uow.session)

    async def forget(self, contacts: list[str], uow: UnitOfWork) -> None:
        """GDPR erase: nothing about these contacts stays in scoring's database (what they
        taught the predictive model is unlearnt)."""
        await self.stores.erased.add(contacts, uow.session)
        untrain: dict[str, float] = defaultdict(float)
        for done in (await self.stores.outcomes.load(contacts, uow.session)).values():
            untrain[f"{done['outcome']}:__total"] -= 1
            for name, value in done["features"].items():
                untrain[f"{done['outcome']}:{name}={value}"] -= 1
        await self.stores.outcomes.add_counts(untrain, uow.session)
        await self.stores.outcomes.delete(contacts, uow.session)
        await self.stores.delete(contacts, uow.session)

    async def _merge(self, survivor: str, merged: list[str], uow: UnitOfWork) -> None:
        """The merged contacts' history becomes the survivor's (re-scored after); their
        profile fields fill the survivor's gaps."""
        session = uow.session
        await self.stores.history.move(merged, survivor, session)
        profiles = (await self.stores.profiles.load(merged, session)).values()
        own = await self.stores.profiles.get(survivor, session) or {}
        gaps = {
            k: v
            for p in profiles
            for k, v in p.items()
            if k != "_id" and own.get(k) in (None, "", [])
        }
        await self.stores.profiles.fill(survivor, gaps, session)
        for store in (self.stores.states, self.stores.ledger, self.stores.caps):
            await store.delete(merged, session)
        await self.stores.profiles.delete(merged, session)
        await self.stores.aliases.merged(survivor, merged, session)

    # -- replay and decay ------------------------------------------------------------------

    async def recompute(self, contacts: list[str], models: ActiveModels) -> None:
        """Replay these contacts' history under `models`, in one transaction."""

        async def work(uow: UnitOfWork) -> None:
            await self._replay(contacts, models, uow)

        await self.transactions.run(work)

    async def _replay(self, contacts: list[str], models: ActiveModels, uow: UnitOfWork) -> None:
        session = uow.session
        history = await self.stores.history.of_contacts(contacts, session)
        old = await self.stores.states.load(contacts, models, session)
        profiles = await self.stores.profiles.load(contacts, session)
        model_ids = list(models)
        await self.stores.ledger.delete(contacts, session, models=model_ids)
        await self.stores.caps.delete(contacts, session, models=model_ids)  # legacy ones
        entries: list[tuple[str, Entry]] = []
        states: dict[str, ScoreState] = {}
        now = utcnow()
        for contact in contacts:
            for model_id, (version, model) in models.items():
                state, made, caps = replay(
                    model_id, version, model, history[contact], fit_fields(profiles.get(contact))
                )
                sid = state_id(contact, model_id)
                before = old.get(sid)
                if before:  # keep what was announced, so only real changes are re-announced
                    state.reported, state.qualified = before.reported, before.qualified
                    state.reported_grade = before.reported_grade
                state.caps = recent_caps(caps, now)
                states[sid] = state
                entries += [(contact, e) for e in made]
        await self.stores.ledger.add(entries, session)
        await self.settle(states, profiles, models, dict.fromkeys(states), uow)

    # -- reads -----------------------------------------------------------------------------

    async def contact_view(self, contact_id: str) -> dict[str, Any] | None:
        """Score, profile and ledger from one snapshot: read one after the other outside a
        transaction, a batch committing in between showed its ledger entries beside the
        score from before them (a score of 0 explained by 84 points)."""

        async def read(uow: UnitOfWork) -> dict[str, Any] | None:
            # A merged contact's old id reads as the contact it became.
            contact = await self.stores.aliases.resolve(contact_id, uow.session)
            states = await self.stores.states.of_contact(contact, uow.session)
            profile = await self.stores.profiles.get(contact, uow.session)
            if not states and profile is None:
                return None
            ledger = await self.stores.ledger.of_contact(contact, uow.session)
            activity = (await self.stores.history.activity([contact], uow.session)).get(contact)
            view = {"contact_id": contact, "states": states, "profile": profile or {}}
            return {**view, "activity": activity or {}, "ledger": ledger}

        return await self.transactions.run(read)

    async def predictor(self) -> NaiveBayes:
        return NaiveBayes(await self.stores.outcomes.all_counts())

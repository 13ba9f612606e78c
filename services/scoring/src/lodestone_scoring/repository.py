"""Scoring's own database: per-contact score states, the ledger, caps, history and profiles.

Each consumed batch is applied in one transaction together with its inbox records and the
outbox rows of the events it causes, so a redelivered interaction never counts twice and a
crash never loses an announcement.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any
from uuid import UUID

from pymongo import ASCENDING, DESCENDING, InsertOne, ReplaceOne, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession

from lodestone_common.consumer import EnvelopeEvent
from lodestone_common.envelope import Envelope, utcnow
from lodestone_common.events import (
    ContactCreated,
    ContactErased,
    ContactMerged,
    ContactOwnerAssigned,
    ContactStageChanged,
    ContactUpdated,
    EventPayload,
    InteractionRecorded,
)
from lodestone_common.http import Runtime
from lodestone_common.mongo import Erased, Inbox, MergedSets, in_transaction
from lodestone_common.outbox import Outbox
from lodestone_common.topics import SCORES

from .domain.ledger import (
    Entry,
    Interaction,
    ScoreState,
    apply_interaction,
    cap_window,
    fit_points,
    grade_for,
)
from .domain.predictive import OUTCOMES, NaiveBayes, features, training_deltas
from .domain.replay import replay
from .domain.verdicts import settle
from .registry import ActiveModels, ModelRegistry

PRODUCER = "scoring"


def _state_id(contact_id: str, model_id: str) -> str:
    return f"{contact_id}:{model_id}"


def _entry_doc(contact_id: str, entry: Entry) -> dict[str, Any]:
    return {"_id": entry.key(), "contact_id": contact_id, **entry.__dict__}


def _cap_op(key: str, used: float) -> UpdateOne[Any]:
    """Points used of a rule's cap in one window; key = contact:model:rule:window."""
    contact, model_id, _, window = key.split(":", 3)
    return UpdateOne(
        {"_id": key},
        {"$set": {"used": used, "contact_id": contact, "model_id": model_id, "window": window}},
        upsert=True,
    )


def _interaction(doc: dict[str, Any]) -> Interaction:
    return Interaction(
        doc["_id"], doc["at"], doc["interaction_type"], doc["name"], doc.get("properties") or {}
    )


class ScoringRepository:
    def __init__(self, runtime: Runtime, outbox: Outbox, registry: ModelRegistry) -> None:
        self.client = runtime.mongo
        db = runtime.db
        self.states = db["states"]
        self.ledger = db["ledger"]
        self.caps = db["caps"]
        self.history = db["interactions"]
        self.profiles = db["profiles"]
        self.jobs = db["jobs"]
        self.outcomes = db["outcomes"]
        self.nb = db["nb_counts"]
        self.inbox = Inbox(db["inbox"])
        self.erased = Erased(db["erased"])
        self.outbox = outbox
        self.registry = registry

    async def ensure_indexes(self) -> None:
        await self.states.create_index([("contact_id", ASCENDING)], name="contact")
        await self.states.create_index([("qualified", ASCENDING)], name="qualified")
        await self.ledger.create_index(
            [("contact_id", ASCENDING), ("model_id", ASCENDING), ("at", DESCENDING)],
            name="contact_model_at",
        )
        await self.caps.create_index([("contact_id", ASCENDING)], name="contact")
        await self.history.create_index(
            [("contact_id", ASCENDING), ("at", ASCENDING)], name="contact_at"
        )

    # -- reads -----------------------------------------------------------------------------

    async def contact_view(self, contact_id: str) -> dict[str, Any] | None:
        """Score, profile and ledger from one snapshot: read one after the other outside a
        transaction, a batch committing in between showed its ledger entries beside the
        score from before them (a score of 0 explained by 84 points)."""

        async def read(session: AsyncClientSession) -> dict[str, Any] | None:
            states = {
                d["model_id"]: d
                async for d in self.states.find({"contact_id": contact_id}, session=session)
            }
            profile = await self.profiles.find_one({"_id": contact_id}, session=session)
            if not states and profile is None:
                return None
            ledger: dict[str, list[dict[str, Any]]] = defaultdict(list)
            cursor = self.ledger.find({"contact_id": contact_id}, session=session)
            async for entry in cursor.sort("at", DESCENDING).limit(2000):
                ledger[entry["model_id"]].append(entry)
            return {"states": states, "profile": profile or {}, "ledger": ledger}

        return await in_transaction(self.client, read)

    # -- interactions ----------------------------------------------------------------------

    async def apply_interactions(self, events: list[EnvelopeEvent]) -> None:
        models = self.registry.active()

        async def work(session: AsyncClientSession) -> None:
            unseen = await self.inbox.unseen([e.event_id for e in events], session=session)
            fresh = await self.erased.without([e for e in events if e.event_id in unseen], session)
            if not fresh:
                return
            contacts = sorted({e.envelope.contact_id for e in fresh})
            history = [self._history_doc(e) for e in fresh]
            await self.history.insert_many(history, ordered=False, session=session)
            activity: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
            for doc in history:
                activity[doc["contact_id"]][f"activity.{doc['interaction_type']}"] += 1
            await self.profiles.bulk_write(
                [
                    UpdateOne({"_id": c}, {"$inc": dict(inc)}, upsert=True)
                    for c, inc in activity.items()
                ],
                ordered=False,
                session=session,
            )
            if models:
                await self._score(fresh, contacts, models, session)
            await self.inbox.remember(unseen, session=session)

        await in_transaction(self.client, work)
        self.outbox.wake()

    @staticmethod
    def _history_doc(event: EnvelopeEvent) -> dict[str, Any]:
        payload = event.payload
        assert isinstance(payload, InteractionRecorded)
        return {
            "_id": event.event_id,
            "contact_id": event.envelope.contact_id,
            "at": event.envelope.occurred_at,
            "interaction_type": payload.interaction_type,
            "name": payload.name,
            "properties": payload.properties,
        }

    async def _load(
        self, contacts: list[str], models: ActiveModels, session: AsyncClientSession
    ) -> tuple[dict[str, ScoreState], dict[str, dict[str, Any]]]:
        ids = [_state_id(c, m) for c in contacts for m in models]
        states = {
            d["_id"]: ScoreState.of(d)
            async for d in self.states.find({"_id": {"$in": ids}}, session=session)
        }
        profiles = {
            d["_id"]: d
            async for d in self.profiles.find({"_id": {"$in": contacts}}, session=session)
        }
        return states, profiles

    async def _score(
        self,
        fresh: list[EnvelopeEvent],
        contacts: list[str],
        models: ActiveModels,
        session: AsyncClientSession,
    ) -> None:
        states, profiles = await self._load(contacts, models, session)
        windows = {
            cap_window(per, e.envelope.occurred_at) for e in fresh for per in ("day", "week")
        }
        caps: dict[str, float] = {
            d["_id"]: d["used"]
            async for d in self.caps.find(
                {"contact_id": {"$in": contacts}, "window": {"$in": sorted(windows)}},
                session=session,
            )
        }
        entries: list[dict[str, Any]] = []
        touched: dict[str, EnvelopeEvent] = {}
        used_before = dict(caps)
        for event in fresh:
            contact = event.envelope.contact_id
            payload = event.payload
            assert isinstance(payload, InteractionRecorded)
            interaction = Interaction(
                event.event_id,
                event.envelope.occurred_at,
                payload.interaction_type,
                payload.name,
                payload.properties,
            )
            for model_id, (version, model) in models.items():
                sid = _state_id(contact, model_id)
                state = states.setdefault(sid, ScoreState())
                prefix = f"{contact}:{model_id}:"
                local = {k[len(prefix) :]: v for k, v in caps.items() if k.startswith(prefix)}
                made = apply_interaction(model_id, version, model, state, local, interaction)
                caps.update({prefix + k: v for k, v in local.items()})
                if made:
                    entries += [_entry_doc(contact, e) for e in made]
                    touched[sid] = event
        await self._save(states, profiles, models, touched, session)
        if entries:
            await self.ledger.insert_many(entries, ordered=False, session=session)
        cap_ops = [_cap_op(key, used) for key, used in caps.items() if used_before.get(key) != used]
        if cap_ops:
            await self.caps.bulk_write(cap_ops, ordered=False, session=session)

    async def _save(
        self,
        states: dict[str, ScoreState],
        profiles: dict[str, dict[str, Any]],
        models: ActiveModels,
        touched: dict[str, EnvelopeEvent | None],
        session: AsyncClientSession,
    ) -> None:
        """Grade, settle and store the touched states; queue what they announce."""
        now = utcnow()
        ops: list[Any] = []
        outgoing: list[tuple[str, Envelope]] = []
        for sid, cause in touched.items():
            contact, model_id = sid.rsplit(":", 1)
            _, model = models[model_id]
            state = states[sid]
            state.fit, _ = fit_points(model, _fit_fields(profiles.get(contact)))
            state.grade = grade_for(model, state.fit)
            cause_id = UUID(cause.event_id) if cause else None
            for payload in settle(model_id, model, state, now, cause_id):
                outgoing.append((SCORES, self._event(payload, contact, cause_id)))
            ops.append(
                ReplaceOne(
                    {"_id": sid},
                    {
                        **state.to_doc(),
                        "_id": sid,
                        "contact_id": contact,
                        "model_id": model_id,
                        "updated_at": now,
                    },
                    upsert=True,
                )
            )
        if ops:
            await self.states.bulk_write(ops, ordered=False, session=session)
        await self.outbox.add(outgoing, session=session)

    @staticmethod
    def _event(payload: EventPayload, contact: str, cause: UUID | None) -> Envelope:
        return payload.envelope(contact_id=contact, producer=PRODUCER, causation_id=cause)

    # -- contacts --------------------------------------------------------------------------

    async def apply_contact_events(self, events: list[EnvelopeEvent]) -> None:
        models = self.registry.active()

        async def work(session: AsyncClientSession) -> None:
            unseen = await self.inbox.unseen([e.event_id for e in events], session=session)
            fresh = await self.erased.without([e for e in events if e.event_id in unseen], session)
            regrade: set[str] = set()
            rescore: set[str] = set()
            outcomes: dict[str, str] = {}
            # Profile changes go in one bulk write per batch, one statement per contact, not
            # one round trip per event; written before an erase or merge, which read and move
            # profiles.
            changes = MergedSets()

            async def write_changes() -> None:
                ops = changes.flush()
                if ops:
                    await self.profiles.bulk_write(ops, ordered=True, session=session)

            for event in fresh:
                contact = event.envelope.contact_id
                payload = event.payload
                if isinstance(payload, ContactErased):
                    await write_changes()
                    await self.forget([contact], session)
                    regrade.discard(contact)
                    rescore.discard(contact)
                elif isinstance(payload, ContactMerged):
                    await write_changes()
                    await self._rekey(contact, payload.merged_ids, session)
                    rescore.add(contact)
                else:
                    if isinstance(payload, ContactStageChanged) and payload.to_stage in OUTCOMES:
                        outcomes[contact] = OUTCOMES[payload.to_stage]
                    fields = _profile_change(payload)
                    if fields:
                        changes.set(contact, fields)
                        regrade.add(contact)
            await write_changes()
            if outcomes:
                await self._learn(outcomes, session)
            if rescore and models:
                await self._recompute(sorted(rescore), models, session)
            regrade -= rescore
            if regrade and models:
                contacts = sorted(regrade)
                states, profiles = await self._load(contacts, models, session)
                touched: dict[str, EnvelopeEvent | None] = {}
                for contact in contacts:
                    for model_id in models:
                        sid = _state_id(contact, model_id)
                        states.setdefault(sid, ScoreState())
                        touched[sid] = None
                await self._save(states, profiles, models, touched, session)
            await self.inbox.remember(unseen, session=session)

        await in_transaction(self.client, work)
        self.outbox.wake()

    async def _learn(self, outcomes: dict[str, str], session: AsyncClientSession) -> None:
        """Train the predictive model on new outcomes (moving relabelled contacts)."""
        totals: dict[str, float] = defaultdict(float)
        profiles = {
            d["_id"]: d
            async for d in self.profiles.find({"_id": {"$in": list(outcomes)}}, session=session)
        }
        previous = {
            d["_id"]: d
            async for d in self.outcomes.find({"_id": {"$in": list(outcomes)}}, session=session)
        }
        ops = []
        for contact, outcome in outcomes.items():
            before = previous.get(contact)
            if before and before["outcome"] == outcome:
                continue
            x = features(profiles.get(contact) or {})
            old = (before["outcome"], before["features"]) if before else None
            for key, delta in training_deltas(old, outcome, x).items():
                totals[key] += delta
            ops.append(
                ReplaceOne(
                    {"_id": contact},
                    {"_id": contact, "outcome": outcome, "features": x, "at": utcnow()},
                    upsert=True,
                )
            )
        if ops:
            await self.outcomes.bulk_write(ops, ordered=False, session=session)
            await self._count(totals, session)

    async def _count(self, totals: dict[str, float], session: AsyncClientSession) -> None:
        ops = [
            UpdateOne({"_id": k}, {"$inc": {"n": v}}, upsert=True)
            for k, v in sorted(totals.items())
            if v
        ]
        if ops:
            await self.nb.bulk_write(ops, ordered=False, session=session)

    async def predictor(self) -> NaiveBayes:
        return NaiveBayes({d["_id"]: d["n"] async for d in self.nb.find({"n": {"$gt": 0}})})

    async def forget(self, contacts: list[str], session: AsyncClientSession) -> None:
        """GDPR erase: nothing about these contacts stays in scoring's database."""
        await self.erased.add(contacts, session)
        untrain: dict[str, float] = defaultdict(float)
        async for done in self.outcomes.find({"_id": {"$in": contacts}}, session=session):
            untrain[f"{done['outcome']}:__total"] -= 1
            for name, value in done["features"].items():
                untrain[f"{done['outcome']}:{name}={value}"] -= 1
        await self._count(untrain, session)
        await self.outcomes.delete_many({"_id": {"$in": contacts}}, session=session)
        query = {"contact_id": {"$in": contacts}}
        for collection in (self.states, self.ledger, self.caps, self.history):
            await collection.delete_many(query, session=session)
        await self.profiles.delete_many({"_id": {"$in": contacts}}, session=session)

    async def _rekey(self, survivor: str, merged: list[str], session: AsyncClientSession) -> None:
        """A merge: the merged contacts' history becomes the survivor's (re-scored after)."""
        await self.history.update_many(
            {"contact_id": {"$in": merged}}, {"$set": {"contact_id": survivor}}, session=session
        )
        profiles = [d async for d in self.profiles.find({"_id": {"$in": merged}}, session=session)]
        survivor_profile = await self.profiles.find_one({"_id": survivor}, session=session) or {}
        gaps = {
            k: v
            for p in profiles
            for k, v in p.items()
            if k != "_id" and survivor_profile.get(k) in (None, "", [])
        }
        if gaps:
            await self.profiles.update_one(
                {"_id": survivor}, {"$set": gaps}, upsert=True, session=session
            )
        query = {"contact_id": {"$in": merged}}
        for collection in (self.states, self.ledger, self.caps):
            await collection.delete_many(query, session=session)
        await self.profiles.delete_many({"_id": {"$in": merged}}, session=session)

    # -- recompute -------------------------------------------------------------------------

    async def recompute(self, contacts: list[str], models: ActiveModels) -> None:
        async def work(session: AsyncClientSession) -> None:
            await self._recompute(contacts, models, session)

        await in_transaction(self.client, work)
        self.outbox.wake()

    async def _recompute(
        self, contacts: list[str], models: ActiveModels, session: AsyncClientSession
    ) -> None:
        """Replay these contacts' whole history under `models`, replacing their ledgers."""
        history: dict[str, list[Interaction]] = defaultdict(list)
        async for doc in self.history.find({"contact_id": {"$in": contacts}}, session=session):
            history[doc["contact_id"]].append(_interaction(doc))
        old, profiles = await self._load(contacts, models, session)
        model_ids = list(models)
        await self.ledger.delete_many(
            {"contact_id": {"$in": contacts}, "model_id": {"$in": model_ids}}, session=session
        )
        await self.caps.delete_many(
            {"contact_id": {"$in": contacts}, "model_id": {"$in": model_ids}}, session=session
        )
        entries: list[InsertOne[Any]] = []
        cap_ops: list[Any] = []
        states: dict[str, ScoreState] = {}
        touched: dict[str, EnvelopeEvent | None] = {}
        for contact in contacts:
            for model_id, (version, model) in models.items():
                state, made, caps = replay(
                    model_id, version, model, history[contact], _fit_fields(profiles.get(contact))
                )
                before = old.get(_state_id(contact, model_id))
                if before:  # keep what was announced, so only real changes are re-announced
                    state.reported, state.qualified = before.reported, before.qualified
                sid = _state_id(contact, model_id)
                states[sid] = state
                touched[sid] = None
                entries += [InsertOne(_entry_doc(contact, e)) for e in made]
                prefix = f"{contact}:{model_id}:"
                cap_ops += [_cap_op(prefix + key, used) for key, used in caps.items()]
        if cap_ops:
            await self.caps.bulk_write(cap_ops, ordered=False, session=session)
        if entries:
            await self.ledger.bulk_write(entries, ordered=False, session=session)
        await self._save(states, profiles, models, touched, session)

    async def contacts_page(self, after: str, limit: int) -> list[str]:
        """Known contacts in id order (profiles, plus anyone with history but no profile)."""
        query = {"_id": {"$gt": after}} if after else {}
        ids = [
            d["_id"]
            async for d in self.profiles.find(query, {"_id": 1}).sort("_id", 1).limit(limit)
        ]
        return ids

    # -- decay sweep -----------------------------------------------------------------------

    async def sweep_qualified(self, now: datetime | None = None) -> int:
        """Decay lowers scores without any event: re-settle qualified leads so a lead that
        decayed below its threshold is disqualified (once)."""
        models = self.registry.active()
        decaying = [m for m, (_, d) in models.items() if d.decay.type != "none" and d.threshold]
        if not decaying:
            return 0
        changed = 0
        cursor = self.states.find(
            {"qualified": True, "model_id": {"$in": decaying}}, {"contact_id": 1}
        ).limit(5000)
        contacts = sorted({d["contact_id"] async for d in cursor})
        for start in range(0, len(contacts), 200):
            chunk = contacts[start : start + 200]

            async def work(session: AsyncClientSession, chunk: list[str] = chunk) -> None:
                subset = {m: models[m] for m in decaying}
                states, profiles = await self._load(chunk, subset, session)
                touched: dict[str, EnvelopeEvent | None] = dict.fromkeys(states)
                await self._save(states, profiles, subset, touched, session)

            await in_transaction(self.client, work)
            changed += len(chunk)
        self.outbox.wake()
        return changed


PROFILE_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "company",
    "title",
    "country",
    "source",
    "lifecycle_stage",
    "owner_id",
    "tags",
    "company_size",
    "industry",
    "age",
    "gender",
    "income_band",
    "preferred_payment_method",
    "purchase_purpose",
    "custom",
    "unsubscribed",
)


def _fit_fields(profile: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (profile or {}).items() if k != "_id"}


def _profile_change(payload: EventPayload) -> dict[str, Any]:
    """Fields of the contact scoring keeps (for fit rules and outcomes)."""
    if isinstance(payload, ContactCreated):
        data = payload.contact.model_dump(mode="json")
        return {k: data[k] for k in PROFILE_FIELDS if data.get(k) is not None}
    if isinstance(payload, ContactUpdated):
        return {k: v for k, v in payload.changes.items() if k.split(".", 1)[0] in PROFILE_FIELDS}
    if isinstance(payload, ContactStageChanged):
        return {"lifecycle_stage": payload.to_stage}
    if isinstance(payload, ContactOwnerAssigned):
        return {"owner_id": payload.owner_id}
    return {}

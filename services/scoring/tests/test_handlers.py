"""Scoring's handlers in memory: what each event type does to the stores and what it emits."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lodestone_common.consumer import EnvelopeEvent
from lodestone_common.events import (
    ContactCreated,
    ContactErased,
    ContactMerged,
    ContactSnapshot,
    ContactStageChanged,
    EventPayload,
    InteractionRecorded,
)
from lodestone_common.processing import MemoryTransactions, UnitOfWork
from lodestone_common.topics import SCORES
from lodestone_scoring.decay import DecayAnnouncer
from lodestone_scoring.domain.defaults import DEFAULT_MODEL, DEFAULT_MODEL_ID
from lodestone_scoring.domain.ledger import cap_window, recent_caps
from lodestone_scoring.handlers import CONTACT_CHANGES, handlers
from lodestone_scoring.service import Scoring

from .memory import MemoryStores

AT = datetime.now(UTC)  # scores decay (30-day half-life): seconds apart change nothing


class Registry:
    def active(self) -> dict[str, Any]:
        return {DEFAULT_MODEL_ID: (1, DEFAULT_MODEL)}


def event(contact: str, payload: EventPayload, seconds: int = 0) -> EnvelopeEvent:
    envelope = payload.envelope(
        contact_id=contact, producer="test", occurred_at=AT + timedelta(seconds=seconds)
    )
    return EnvelopeEvent(envelope, payload)


def pricing(contact: str, seconds: int = 0) -> EnvelopeEvent:
    payload = InteractionRecorded(
        interaction_type="page_visit", name="Pricing", properties={"url": "/pricing"}
    )
    return event(contact, payload, seconds)


def setup() -> tuple[MemoryStores, Scoring, Any]:
    stores = MemoryStores()
    scoring = Scoring(stores, Registry(), MemoryTransactions())  # type: ignore[arg-type]
    return stores, scoring, handlers(scoring)


def scores(uow: UnitOfWork) -> list[tuple[str, float]]:
    return [
        (env.contact_id, env.payload["score"])
        for topic, env in uow.emitted
        if topic == SCORES and env.event_type == "score.changed"
    ]


async def test_interactions_score_into_the_ledger_and_announce_the_change() -> None:
    stores, _, table = setup()
    uow = UnitOfWork()
    batch = [pricing("c1", 0), pricing("c1", 1), pricing("c2", 2)]
    await table[InteractionRecorded](batch, uow)
    # pricing 10 + visit 1 per view; one announcement per contact with the batch's last score
    assert sorted(scores(uow)) == [("c1", 22.0), ("c2", 11.0)]
    ledger = await stores.ledger.of_contact("c1", None)
    assert sorted(e["rule_id"] for e in ledger[DEFAULT_MODEL_ID]) == ["pricing"] * 2 + ["visit"] * 2
    # Activity is counted from the history, not kept beside it: a profile is only made.
    assert stores.profiles.docs["c1"] == {"_id": "c1"}
    assert await stores.history.activity(["c1", "c2"], None) == {
        "c1": {"page_visit": 2},
        "c2": {"page_visit": 1},
    }
    assert len(stores.history.docs) == 3
    # The week's pricing cap (30) holds across batches.
    later = UnitOfWork()
    await table[InteractionRecorded]([pricing("c1", m) for m in range(5, 9)], later)
    assert scores(later) == [("c1", 36.0)]


async def test_caps_live_in_the_state_and_a_legacy_states_caps_are_read_once() -> None:
    stores, _, table = setup()
    await table[InteractionRecorded]([pricing("c1", 0)], UnitOfWork())
    state = stores.states.docs[f"c1:{DEFAULT_MODEL_ID}"]
    week = cap_window("week", AT)
    assert state["caps"] == {f"pricing:{week}": 10.0, f"visit:{AT.date().isoformat()}": 1.0}
    assert stores.caps.used == {}  # no write of their own
    # A state written before caps lived in it: its week's pricing points are in the old store.
    legacy = f"c2:{DEFAULT_MODEL_ID}"
    stores.states.docs[legacy] = {
        **{k: v for k, v in state.items() if k != "caps"},
        "contact_id": "c2",
        "model_id": DEFAULT_MODEL_ID,
    }
    stores.caps.used[f"{legacy}:pricing:{week}"] = 30.0  # the week's cap is used up
    uow = UnitOfWork()
    await table[InteractionRecorded]([pricing("c2", 5)], uow)
    assert scores(uow) == [("c2", 12.0)]  # 11 before, +1 for the visit, no pricing points
    assert stores.states.docs[legacy]["caps"][f"pricing:{week}"] == 30.0


def test_a_state_keeps_only_recent_cap_windows() -> None:
    now = datetime(2026, 12, 20, tzinfo=UTC)
    caps = {
        "a:2026-12-20": 1.0,
        "a:2026-12-05": 2.0,  # 15 days ago: kept
        "a:2026-12-04": 3.0,
        "b:2026-W49": 4.0,  # ended 2026-12-06
        "b:2026-W48": 5.0,  # ended 2026-11-29
    }
    assert recent_caps(caps, now) == {"a:2026-12-20": 1.0, "a:2026-12-05": 2.0, "b:2026-W49": 4.0}


async def test_contact_events_grade_merge_learn_and_forget() -> None:
    stores, scoring, table = setup()
    assert set(table) == {InteractionRecorded, *CONTACT_CHANGES}
    await table[InteractionRecorded]([pricing("old", 0), pricing("keep", 1)], UnitOfWork())
    created = ContactCreated(
        contact=ContactSnapshot(email="a@example.com", title="Chief Executive", company="Acme")
    )
    uow = UnitOfWork()
    await table[ContactCreated]([event("keep", created)], uow)
    assert stores.profiles.docs["keep"]["title"] == "Chief Executive"
    state = stores.states.docs[f"keep:{DEFAULT_MODEL_ID}"]
    assert (state["fit"], state["grade"]) == (40, "B")  # chief 30 + company known 10

    # A merge moves the history to the survivor and re-scores it from there.
    merged = UnitOfWork()
    await table[ContactMerged](
        [event("keep", ContactMerged(merged_ids=["old"], merged_by="rep"))], merged
    )
    assert scores(merged) == [("keep", 22.0)]
    assert {c for c, _ in stores.history.docs.values()} == {"keep"}
    assert f"old:{DEFAULT_MODEL_ID}" not in stores.states.docs
    # The old id reads as the survivor (it answered 404 while contacts resolved it).
    old = await scoring.contact_view("old")
    assert old is not None and old["contact_id"] == "keep"

    # An outcome teaches the predictive model; erasing the contact unlearns it.
    won = ContactStageChanged(from_stage="lead", to_stage="customer", changed_by="rep")
    await table[ContactStageChanged]([event("keep", won)], UnitOfWork())
    assert stores.outcomes.outcomes["keep"]["outcome"] and await stores.outcomes.all_counts()
    await table[ContactErased]([event("keep", ContactErased(requested_by="dpo"))], UnitOfWork())
    assert await scoring.contact_view("keep") is None
    assert await scoring.contact_view("old") is None and not stores.aliases.into
    assert not stores.history.docs and not stores.ledger.docs and not stores.caps.used
    assert stores.erased.ids == {"keep"} and await stores.outcomes.all_counts() == {}


async def test_a_recompute_replays_history_and_announces_only_real_changes() -> None:
    stores, scoring, table = setup()
    await table[InteractionRecorded]([pricing("c1", 0)], UnitOfWork())
    await scoring.recompute(["c1"], Registry().active())
    assert scoring.transactions.emitted == []  # same model, same history: nothing new to say
    stores.ledger.docs.clear()
    await scoring.recompute(["c1"], Registry().active())
    assert len(stores.ledger.docs) == 2 and scoring.transactions.emitted == []


async def test_decay_is_announced_when_due_so_copies_elsewhere_are_not_stale() -> None:
    """The scores API said 3.75 while the contact's copy (and search, segments, reports,
    the console's badges) kept 15.0: decay moved no event. Now each state knows when its
    decayed score is next worth announcing, and the announcer sends it then."""
    from lodestone_scoring.domain.verdicts import recheck_at

    stores, scoring, table = setup()
    await table[InteractionRecorded]([pricing("c1", 0)], UnitOfWork())
    sid = f"c1:{DEFAULT_MODEL_ID}"
    state = stores.states.docs[sid]
    # 11 points, a 30-day half-life: a point lower (10) after 30·log2(11/10) ≈ 4.1 days.
    assert state["recheck_at"] - state["ref"] == pytest.approx(
        timedelta(days=30 * math.log2(11 / 10)), abs=timedelta(seconds=1)
    )
    assert await DecayAnnouncer(scoring).announce() == 0  # nothing due yet
    # A month passes: the score halves; it is announced once, and the next check is later.
    month = timedelta(days=30)
    state["ref"] -= month
    state["recheck_at"] -= month
    scoring.transactions.emitted.clear()
    assert await DecayAnnouncer(scoring).announce() == 1
    announced = [
        env.payload["score"]
        for topic, env in scoring.transactions.emitted
        if topic == SCORES and env.event_type == "score.changed"
    ]
    assert announced == [pytest.approx(5.5, abs=0.01)]
    assert stores.states.docs[sid]["recheck_at"] > datetime.now(UTC)
    assert await DecayAnnouncer(scoring).announce() == 0
    # No decay, nothing to follow; a score under half a point is not followed further.
    from lodestone_scoring.domain.ledger import ScoreState
    from lodestone_scoring.domain.models import Decay

    steady = DEFAULT_MODEL.model_copy(update={"decay": Decay(type="none")})
    assert recheck_at(steady, ScoreState(reported=5)) is None
    assert recheck_at(DEFAULT_MODEL, ScoreState(reported=0.4, acc=0.4, ref=AT)) is None

"""Reporting's handler in memory: a history fed batch by batch through the handler, with the
read models loaded and saved between batches, ends in the same counters as one projection of
the whole history (what the database-backed stores must also preserve)."""

from __future__ import annotations

import copy
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from lodestone_common.consumer import EnvelopeEvent
from lodestone_common.events import parse_payload
from lodestone_common.processing import UnitOfWork
from lodestone_reporting.domain.counters import Key
from lodestone_reporting.domain.projector import (
    REPORTED,
    State,
    contact_ids,
    project,
    score_rows,
    task_ids,
)
from lodestone_reporting.handlers import handlers

from .history import history

AT = datetime(2026, 11, 20, 12, tzinfo=UTC)


class MemoryReadModels:
    """`stores.ReadModels` over dictionaries: load copies out, save writes back."""

    def __init__(self) -> None:
        self.counters: Counter[Key] = Counter()
        self.views: dict[str, dict[str, Any]] = {}
        self.scores: dict[tuple[str, str], dict[str, Any]] = {}
        self.tasks: dict[str, dict[str, Any]] = {}
        self.workflows: dict[str, str] = {}

    async def load(self, events: list[EnvelopeEvent], session: Any) -> State:
        assert session is None
        state = State()
        ids = contact_ids(events)
        state.views = {c: copy.deepcopy(v) for c, v in self.views.items() if c in ids}
        verdicts, ended = score_rows(events)  # only the rows the stores read
        state.scores = {
            k: dict(v) for k, v in self.scores.items() if k in verdicts or k[1] in ended
        }
        state.tasks = {t: dict(v) for t, v in self.tasks.items() if t in task_ids(events)}
        return state

    async def save(self, state: State, session: Any) -> None:
        self.counters.update(state.deltas.nonzero())
        for cid, part in state.changed:
            self.views.setdefault(cid, {"_id": cid})[part] = copy.deepcopy(state.views[cid][part])
        for key in state.changed_scores:
            row = state.scores[key]
            if row.get("deleted"):
                self.scores.pop(key, None)
            else:
                self.scores[key] = dict(row)
        for t in state.changed_tasks:
            self.tasks[t] = dict(state.tasks[t])
        self.tasks = {
            t: v for t, v in self.tasks.items() if v.get("contact_id") not in state.erased
        }
        self.workflows.update(state.workflow_names)


@pytest.mark.parametrize("size", [1, 7])
async def test_every_reported_type_goes_to_the_projection_batch_by_batch(size: int) -> None:
    """Batch by batch (one event a batch too: every row a later event needs must be loaded,
    such as a contact's earlier verdict or the scores of one merged away)."""
    events = [EnvelopeEvent(env, parse_payload(env)) for _, env in history("mem", AT)]
    whole = State()
    project(whole, events)

    models = MemoryReadModels()
    table = handlers(models)  # type: ignore[arg-type]
    assert set(table) == set(REPORTED)
    handler = table[REPORTED[0]]
    for i in range(0, len(events), size):
        uow = UnitOfWork()
        assert await handler(events[i : i + size], uow) is None
        assert uow.emitted == []  # reporting only reads the topics

    assert {k: v for k, v in models.counters.items() if v} == whole.deltas.nonzero()
    assert {c: v.get("c") for c, v in models.views.items()} == {
        c: v.get("c") for c, v in whole.views.items()
    }
    assert models.scores == {k: v for k, v in whole.scores.items() if not v.get("deleted")}

"""Exact accounting of a workload's effects in every service: expected, found, lost, doubled.

Each effect is counted per (person, kind) against what the workload says it must be, so a
loss in one place cannot hide behind a duplicate in another.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from lodestone_scoring.stores.history import History

from .workload import Workload


@dataclass
class Effect:
    name: str
    expected: int = 0
    found: int = 0
    lost: int = 0
    doubled: int = 0

    def add(self, expected: int, found: int) -> None:
        self.expected += expected
        self.found += found
        self.lost += max(expected - found, 0)
        self.doubled += max(found - expected, 0)


@dataclass
class Totals:
    """One phase's books."""

    fault: str
    events: int
    requests: int = 0
    effects: dict[str, Effect] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def effect(self, name: str) -> Effect:
        return self.effects.setdefault(name, Effect(name))

    @property
    def expected(self) -> int:
        return sum(e.expected for e in self.effects.values())

    @property
    def found(self) -> int:
        return sum(e.found for e in self.effects.values())

    @property
    def lost(self) -> int:
        return sum(e.lost for e in self.effects.values())

    @property
    def doubled(self) -> int:
        return sum(e.doubled for e in self.effects.values())

    @property
    def exact(self) -> bool:
        return self.lost == 0 and self.doubled == 0

    def detail(self) -> str:
        rows = [
            f"  {e.name:28} expected {e.expected:7}  found {e.found:7}  "
            f"lost {e.lost:4}  doubled {e.doubled:4}"
            for e in self.effects.values()
        ]
        return "\n".join([f"{self.fault}:", *rows, *(f"  note: {n}" for n in self.notes)])

    def as_dict(self) -> dict[str, Any]:
        return {
            "fault": self.fault,
            "events_sent": self.events,
            "requests": self.requests,
            "effects_expected": self.expected,
            "effects_found": self.found,
            "lost": self.lost,
            "doubled": self.doubled,
            "by_effect": {
                e.name: {
                    "expected": e.expected,
                    "found": e.found,
                    "lost": e.lost,
                    "doubled": e.doubled,
                }
                for e in self.effects.values()
            },
            "notes": self.notes,
        }


async def count_effects(
    work: Workload, totals: Totals, mongo: Any, reporting: httpx.AsyncClient, mailbox: Any
) -> Totals:
    """Fill `totals` with what every service holds for this workload right now."""
    totals.effects.clear()
    contacts = mongo["lodestone_contacts"]
    people = {
        doc["email"]: doc
        async for doc in contacts["contacts"].find(
            {"source": work.source, "merged_into": {"$exists": False}},
            {"email": 1, "activity": 1},
        )
    }
    ids = {email: doc["_id"] for email, doc in people.items()}
    totals.effect("contacts").add(work.people, len(people))
    _per_person(
        totals.effect("contact activity"),
        work,
        {e: d.get("activity", {}) for e, d in people.items()},
    )

    timeline: Counter[str] = Counter()
    async for doc in contacts["timeline"].find(
        {"contact_id": {"$in": list(ids.values())}, "kind": "interaction"}, {"contact_id": 1}
    ):
        timeline[doc["contact_id"]] += 1
    _per_person_total(totals.effect("timeline entries"), work, ids, timeline)

    scoring = mongo["lodestone_scoring"]
    history: Counter[str] = Counter()
    async for doc in scoring["interactions"].find(
        {"contact_id": {"$in": list(ids.values())}}, {"contact_id": 1}
    ):
        history[doc["contact_id"]] += 1
    _per_person_total(totals.effect("scoring history"), work, ids, history)
    # What the predictive model reads: counted from the history, by kind.
    activity = await History(scoring).activity(list(ids.values()), None)
    _per_person(
        totals.effect("scoring activity"), work, {e: activity.get(c, {}) for e, c in ids.items()}
    )

    automation = mongo["lodestone_automation"]
    audience = {
        doc["_id"]: doc.get("activity", {})
        async for doc in automation["audience"].find({"_id": {"$in": list(ids.values())}})
    }
    _per_person(
        totals.effect("automation activity"), work, {e: audience.get(c, {}) for e, c in ids.items()}
    )
    # Once per person in each of the phase's workflows: a double in one cannot hide a loss
    # in another.
    enrolled: Counter[tuple[str, str]] = Counter()
    async for doc in automation["enrollments"].find(
        {"contact_id": {"$in": list(ids.values())}}, {"contact_id": 1, "workflow_id": 1}
    ):
        enrolled[doc["contact_id"], doc["workflow_id"]] += 1
    enrollments = totals.effect("enrollments")
    for email in work.expected:
        for workflow_id in work.workflow_ids:
            enrollments.add(1, enrolled.get((ids.get(email, ""), workflow_id), 0))

    sent = Counter(
        m["rcpt_to"][0]
        for m in await mailbox.messages()
        if m["rcpt_to"][0].endswith(f".{work.tag}@example.com")
    )
    emails = totals.effect("emails sent")
    for email in work.expected:
        emails.add(1, sent.get(email, 0))

    start = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
    report = await reporting.get(
        "/v1/reports/interactions", params={"source": work.source, "start": start}
    )
    report.raise_for_status()
    by_type = report.json()["by_type"]
    counted = totals.effect("report counters")
    for kind, n in work.by_type().items():
        counted.add(n, by_type.get(kind, 0))
    return totals


def _per_person(effect: Effect, work: Workload, found: dict[str, dict[str, int]]) -> None:
    for email, counts in work.expected.items():
        have = found.get(email, {})
        for kind, n in counts.items():
            effect.add(n, int(have.get(kind, 0)))


def _per_person_total(
    effect: Effect,
    work: Workload,
    ids: dict[str, str],
    found: Counter[str],
    each: int | None = None,
) -> None:
    for email, counts in work.expected.items():
        want = each if each is not None else sum(counts.values())
        effect.add(want, found.get(ids.get(email, ""), 0))

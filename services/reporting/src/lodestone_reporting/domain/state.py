"""What a batch of events reads and writes: contact views, score rows, tasks, counter
deltas, names; the projector's modules fold events into it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .counters import Deltas

SALES_TOUCHES = ("call_logged", "meeting_held")
PII = ("name", "email", "company")


def day(at: datetime) -> str:
    return at.date().isoformat()


@dataclass
class State:
    """What a batch reads and writes: contact views, score rows, tasks, counter deltas."""

    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    scores: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    deltas: Deltas = field(default_factory=Deltas)
    changed: set[tuple[str, str]] = field(default_factory=set)  # (contact_id, part)
    changed_scores: set[tuple[str, str]] = field(default_factory=set)
    changed_tasks: set[str] = field(default_factory=set)
    erased: set[str] = field(default_factory=set)
    workflow_names: dict[str, str] = field(default_factory=dict)
    reps: dict[str, dict[str, Any]] = field(default_factory=dict)  # as automation announced
    product_names: dict[str, str] = field(default_factory=dict)  # by SKU (or name)

    def part(self, contact_id: str, name: str) -> dict[str, Any]:
        view = self.views.setdefault(contact_id, {"_id": contact_id})
        self.changed.add((contact_id, name))
        return view.setdefault(name, {})

    def peek(self, contact_id: str, name: str) -> dict[str, Any]:
        return self.views.get(contact_id, {}).get(name) or {}


def touch(state: State, cid: str, part: str, name: str, value: Any) -> None:
    """Write to the contact's view too: a concurrent merge or erase of the same contact
    (another consumer, another transaction) then conflicts with this one and one of them
    retries, instead of each missing the other's write (snapshot isolation's write skew)."""
    state.part(cid, part)[name] = value

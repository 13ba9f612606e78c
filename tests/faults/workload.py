"""Known inputs for the fault suite: uniquely identified events and what they must cause.

Each phase of the suite has its own tag. Its prospects carry the tag in their email and as
their lead source, so every effect of the phase can be found and counted in every service
(contacts, scoring, automation, reporting, the mail sink) without touching other tests' data.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

# Interaction kinds in the mix (the ingestion names contacts maps them from).
KINDS = [("page", None, "page_visit"), ("track", "Email Opened", "email_opened")]


@dataclass
class Workload:
    tag: str
    events: list[dict[str, Any]]
    # email -> interaction type -> how many interactions that person must end up with
    expected: dict[str, Counter[str]] = field(default_factory=dict)
    # The workflows the phase's trigger enrolls every person in, once each.
    workflow_ids: list[str] = field(default_factory=list)

    @property
    def source(self) -> str:
        return f"faults-{self.tag}"

    @property
    def trigger(self) -> str:
        """The event name whose first occurrence per person must send exactly one email."""
        return f"Demo Requested {self.tag}"

    @property
    def people(self) -> int:
        return len(self.expected)

    def by_type(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for counts in self.expected.values():
            total.update(counts)
        return total


def workload(tag: str, events: int, people: int, seed: int = 7) -> Workload:
    """`events` events over `people` prospects, interleaved across people but in order per
    person: an identify (email, name, lead source) first, then visits and email opens, and
    a demo request (the email trigger) last."""
    rng = random.Random(f"{seed}-{tag}")
    start = datetime.now(UTC) - timedelta(hours=1)
    work = Workload(tag=tag, events=[])
    per_person = [[] for _ in range(people)]  # type: list[list[dict[str, Any]]]
    middle = max(events - 2 * people, 0)
    for i in range(people):
        email = f"p{i}.{tag}@example.com"
        work.expected[email] = Counter()
        per_person[i].append(
            _event(
                work.source,
                f"{tag}-{i}-id",
                "identify",
                None,
                email,
                traits={"first_name": f"P{i}"},
            )
        )
        work.expected[email]["identify"] += 1
    for n in range(middle):
        i = rng.randrange(people)
        email = f"p{i}.{tag}@example.com"
        kind, name, itype = KINDS[n % len(KINDS)]
        props = {"url": f"/docs/{n % 30}"} if kind == "page" else {"campaign_id": tag}
        per_person[i].append(
            _event(work.source, f"{tag}-{i}-{n}", kind, name, email, properties=props)
        )
        work.expected[email][itype] += 1
    for i in range(people):
        email = f"p{i}.{tag}@example.com"
        per_person[i].append(_event(work.source, f"{tag}-{i}-demo", "track", work.trigger, email))
        work.expected[email]["custom"] += 1
    # Interleave people at random, keeping each person's own order (one Kafka partition).
    queues = [q for q in per_person if q]
    clock = 0
    while queues:
        q = queues[rng.randrange(len(queues))]
        event = q.pop(0)
        event["occurred_at"] = (start + timedelta(milliseconds=clock)).isoformat()
        clock += 10
        work.events.append(event)
        if not q:
            queues.remove(q)
    return work


def _event(
    source: str,
    event_id: str,
    kind: str,
    name: str | None,
    email: str,
    properties: dict[str, Any] | None = None,
    traits: dict[str, Any] | None = None,
) -> dict[str, Any]:
    event: dict[str, Any] = {"event_id": event_id, "type": kind, "contact": {"email": email}}
    # Every event names the lead source: batches posted side by side may reach Kafka in any
    # order, so any of a person's events may be the one that creates them.
    traits = {"source": source, **(traits or {})}
    if name:
        event["name"] = name
    if properties:
        event["properties"] = properties
    event["traits"] = traits
    return event

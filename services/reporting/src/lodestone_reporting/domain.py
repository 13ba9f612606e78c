"""Which counters an event moves, in plain Python (no I/O)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from lodestone_common.consumer import EnvelopeEvent
from lodestone_common.events import ContactCreated

CONTACTS_CREATED = "contacts_created"


def counter_deltas(events: Iterable[EnvelopeEvent]) -> Counter[str]:
    """Counter increments for a batch: total, per day (UTC) and per lead source."""
    deltas: Counter[str] = Counter()
    for event in events:
        if isinstance(event.payload, ContactCreated):
            day = event.envelope.occurred_at.date().isoformat()
            source = event.payload.contact.source or "unknown"
            deltas[CONTACTS_CREATED] += 1
            deltas[f"{CONTACTS_CREATED}:day:{day}"] += 1
            deltas[f"{CONTACTS_CREATED}:source:{source}"] += 1
    return deltas

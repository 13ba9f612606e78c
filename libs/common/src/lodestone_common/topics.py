"""Topic names and their partition counts: the one definition deploy scripts create from."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    description: str
    config: dict[str, str] = field(default_factory=dict)


# Raw integrator JSON (the ingestion contract), keyed by whatever identity the sender has.
INGEST_RAW = "lodestone.ingest.raw.v1"
# Resolved interactions, keyed by contact_id: per-contact order for every consumer.
INTERACTIONS = "lodestone.interactions.v1"
# Contact lifecycle: created, updated, stage changed, owner assigned, merged, erased.
CONTACTS = "lodestone.contacts.v1"
# Score changes and lead qualification.
SCORES = "lodestone.scores.v1"
# Workflow actions performed (emails sent, tasks created, ...).
AUTOMATION = "lodestone.automation.v1"
# Messages no consumer could process, with the reason in their headers.
DEAD_LETTER = "lodestone.deadletter.v1"

_WEEK_MS = str(7 * 24 * 3600 * 1000)

TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(INGEST_RAW, 6, "raw ingestion JSON from integrators", {"retention.ms": _WEEK_MS}),
    TopicSpec(INTERACTIONS, 6, "resolved interactions keyed by contact_id"),
    TopicSpec(CONTACTS, 6, "contact lifecycle events keyed by contact_id"),
    TopicSpec(SCORES, 6, "score changes and lead qualification keyed by contact_id"),
    TopicSpec(AUTOMATION, 6, "workflow actions performed keyed by contact_id"),
    TopicSpec(DEAD_LETTER, 3, "unprocessable messages with reason headers"),
)

# Topics whose history is the system of record for rebuilding read models: keep them forever.
for _spec in TOPICS:
    if _spec.name != INGEST_RAW and _spec.name != DEAD_LETTER:
        _spec.config.setdefault("retention.ms", "-1")

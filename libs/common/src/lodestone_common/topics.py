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

# Within one millisecond, the order a service's events about a contact are published in
# (a contact's creation and changes before the interaction that caused them; a score after
# the interaction it scores): how a consumer of several topics interleaves records whose
# publication times tie.
PUBLICATION_ORDER = (INGEST_RAW, CONTACTS, INTERACTIONS, SCORES, AUTOMATION)

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


@dataclass(frozen=True)
class Access:
    """What one Kafka principal may do: the broker's ACLs are made from this (admin.grant)."""

    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    # Starts an idempotent producer without writing anything (Kafka implies the right from
    # a topic write; a process with none needs it granted on the cluster).
    idempotent: bool = False
    # Consumer groups it may join (and retire): every group whose id starts with this.
    group_prefix: str | None = None


# Each service's principal writes only the topics it owns (and the dead letters of what it
# could not process) and reads what it consumes; an integrator may only write raw ingestion.
# Principals are named like the keys (User:contacts, …); a forged score.changed needs the
# scoring service's credentials.
ACCESS: dict[str, Access] = {
    "contacts": Access(
        reads=(INGEST_RAW, SCORES),
        writes=(INGEST_RAW, CONTACTS, INTERACTIONS, DEAD_LETTER),
        group_prefix="lodestone-contacts",
    ),
    "scoring": Access(
        reads=(INTERACTIONS, CONTACTS),
        writes=(SCORES, DEAD_LETTER),
        group_prefix="lodestone-scoring",
    ),
    "automation": Access(
        reads=(INTERACTIONS, CONTACTS, SCORES),
        writes=(AUTOMATION, DEAD_LETTER),
        group_prefix="lodestone-automation",
    ),
    "reporting": Access(
        reads=(INTERACTIONS, CONTACTS, SCORES, AUTOMATION),
        writes=(DEAD_LETTER,),
        group_prefix="lodestone-reporting",
    ),
    # The console reads the dead letters (its admin screen) and writes no topic.
    "console": Access(reads=(DEAD_LETTER,), idempotent=True),
    "integrator": Access(writes=(INGEST_RAW,)),
}


# The one service that publishes each envelope topic: consumers refuse an envelope that names
# another producer (a second line behind the ACLs, and a bug caught where it shows).
OWNERS: dict[str, str] = {
    INTERACTIONS: "contacts",
    CONTACTS: "contacts",
    SCORES: "scoring",
    AUTOMATION: "automation",
}

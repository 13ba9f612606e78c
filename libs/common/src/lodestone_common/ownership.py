"""Which contacts this process writes: the partitions its consumer group member owns.

Every topic is keyed by contact id and has the same partition count, and a service's one
consumer group reads them with the range assignor, so "partition p" means the same contacts
on every topic. Work that is not driven by a message (automation's timers) follows the same
ownership: a process advances only the contacts whose partition it holds, so one contact's
documents have one writer at a time. `Ownership` is the group's rebalance listener and keeps
that set current; `partition_of` places a contact exactly as the producers do.
"""

from __future__ import annotations

from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.partitioner import murmur2

from .topics import INTERACTIONS, TOPICS

# Every contact-keyed topic has this many partitions (checked in the contract tests).
PARTITIONS = next(t.partitions for t in TOPICS if t.name == INTERACTIONS)


def partition_of(contact_id: str, partitions: int = PARTITIONS) -> int:
    """The partition Kafka's default partitioner gives a record keyed by `contact_id`."""
    return (murmur2(contact_id.encode()) & 0x7FFFFFFF) % partitions


class Ownership(ConsumerRebalanceListener):  # type: ignore[misc]
    """The partition numbers this process's group member holds now (none before the first
    assignment and while a rebalance has taken them away)."""

    def __init__(self) -> None:
        self.owned: frozenset[int] = frozenset()

    async def on_partitions_revoked(self, revoked: object) -> None:
        # Work already taken keeps its lease (claims fence the hand-over); nothing new is
        # taken for these partitions from now on.
        gone = {tp.partition for tp in revoked}  # type: ignore[attr-defined]
        self.owned = self.owned - gone

    async def on_partitions_assigned(self, assigned: object) -> None:
        self.owned = frozenset(tp.partition for tp in assigned)  # type: ignore[attr-defined]

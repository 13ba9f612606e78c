"""Typed dependencies of contacts' routes: what the composition root built."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from faststream.kafka import KafkaBroker

from lodestone_common.provided import provided
from lodestone_common.ratelimit import RateLimits

from ..attachments import ContactAttachments
from ..imports import ImportJobs
from ..segments import SegmentRegistry
from ..service import Contacts
from ..settings import ContactsSettings
from ..sns import SnsVerifier
from ..stores import Stores

ContactsDep = Annotated[Contacts, provided("contacts")]
StoresDep = Annotated[Stores, provided("stores")]
SegmentsDep = Annotated[SegmentRegistry, provided("segments")]
AttachmentsDep = Annotated[ContactAttachments, provided("attachments")]
ImportsDep = Annotated[ImportJobs, provided("imports")]
SettingsDep = Annotated[ContactsSettings, provided("settings")]
# Ingestion's front doors: each key's rate limit, and the broker events are published to.
RateLimitsDep = Annotated[RateLimits, provided("rate_limits")]
BrokerDep = Annotated[KafkaBroker, provided("broker")]
SnsVerifierDep = Annotated[SnsVerifier, provided("sns")]


@dataclass(frozen=True)
class Ingest:
    """What every front door of ingestion needs: who was seen before, and the broker."""

    stores: Stores
    broker: KafkaBroker


def _ingest(stores: StoresDep, broker: BrokerDep) -> Ingest:
    return Ingest(stores, broker)


IngestDep = Annotated[Ingest, Depends(_ingest)]

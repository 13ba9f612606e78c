"""`POST /v1/events`: the front door for integrators' interaction events."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiokafka.errors import KafkaError
from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from lodestone_common.auth import ApiKey, Scope
from lodestone_common.envelope import utcnow
from lodestone_common.ingest import IngestAccepted, IngestBatch, IngestEvent, stamp
from lodestone_common.kafka import Outgoing, publish_all
from lodestone_common.topics import INGEST_RAW

from ..domain.interactions import interaction_type, property_errors
from ..domain.records import normalize_email
from .deps import Ingest, IngestDep, RateLimitsDep

PUBLISH_TIMEOUT = 15.0

router = APIRouter(prefix="/v1", tags=["ingestion"])

MAX_EVENTS = 1000


# Interactions that change whether a person may be emailed. A write key sits in web pages and
# apps for anyone to copy: with it, anyone could unsubscribe (or suppress) anyone else.
CONSENT_CHANGES = {"email_unsubscribed", "email_bounced"}
CONSENT_SCOPE = "contacts:write"
# Clocks disagree a little; an event from further ahead is a bug or a forgery (year 9999 would
# sit at the top of every timeline and keep a contact "active" for ever).
MAX_AHEAD = timedelta(days=1)


def event_problems(event: IngestEvent, key: ApiKey | None = None) -> list[tuple[str, str]]:
    """(field, message) for what the contract's types let through and contacts cannot take:
    the properties its kind needs, an email that is no address, an unsubscribe or bounce sent
    with a key that may not change contacts (`key` None: a trusted server's, e.g. a signed
    webhook), a time more than a day ahead."""
    problems = property_errors(event)
    if key is not None and not key.allows(CONSENT_SCOPE):
        kind = interaction_type(event)
        if kind in CONSENT_CHANGES:
            problems.append(
                ("name", f"{kind} changes consent: it needs a server key with {CONSENT_SCOPE}")
            )
    if event.occurred_at is not None and event.occurred_at > utcnow() + MAX_AHEAD:
        problems.append(("occurred_at", "is more than a day in the future"))
    if event.contact.email:
        try:
            normalize_email(event.contact.email)
        except ValueError as exc:
            problems.append(("contact.email", str(exc)))
    return problems


def validate_batch(
    raw_events: list[Any], key: ApiKey | None = None
) -> tuple[list[IngestEvent], list[dict[str, Any]]]:
    """Every event validated on its own, so each error names its event and field."""
    events: list[IngestEvent] = []
    errors: list[dict[str, Any]] = []
    for index, raw in enumerate(raw_events):
        event_id = raw.get("event_id") if isinstance(raw, dict) else None
        try:
            event = IngestEvent.model_validate(raw)
        except ValidationError as exc:
            for e in exc.errors():
                field = ".".join(str(p) for p in e["loc"]) or "event"
                errors.append(
                    {"index": index, "event_id": event_id, "field": field, "message": e["msg"]}
                )
            continue
        problems = event_problems(event, key)
        for field, message in problems:
            errors.append(
                {"index": index, "event_id": event_id, "field": field, "message": message}
            )
        if not problems:
            events.append(event)
    return events, errors


@router.post(
    "/events",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=IngestAccepted,
    summary="Ingest a batch of interaction events",
    description=(
        "Accepted means durable on Kafka. A resent `event_id` is accepted again and changes "
        f"nothing. At most {MAX_EVENTS} events a batch; a batch with any invalid event is "
        "refused whole, with every error naming its event and field."
    ),
    responses={
        413: {"description": "body too large"},
        422: {"description": "invalid events"},
        429: {"description": "over the key's rate limit; see Retry-After"},
    },
)
async def ingest(
    batch: IngestBatch,
    request: Request,
    ingest: IngestDep,
    limits: RateLimitsDep,
    key: ApiKey = Scope("events:write"),
) -> IngestAccepted | JSONResponse:
    limits.check(request, key)
    if not batch.events:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "events: the batch is empty")
    if len(batch.events) > MAX_EVENTS:
        raise HTTPException(
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            f"events: {len(batch.events)} in one batch; the limit is {MAX_EVENTS}",
        )
    events, errors = validate_batch(batch.events, key)
    for event in events:
        event.recorded_by = key.name  # not the sender's word for it
    refs = sorted({e.contact.contact_id for e in events if e.contact.contact_id})
    if refs:
        missing = set(refs) - await ingest.stores.records.existing_ids(refs)
        for index, event in enumerate(events):
            if event.contact.contact_id in missing:
                errors.append(
                    {
                        "index": index,
                        "event_id": event.event_id,
                        "field": "contact.contact_id",
                        "message": f"unknown contact {event.contact.contact_id!r}",
                    }
                )
    if errors:
        return JSONResponse(
            {
                "error": "validation_error",
                "message": f"{len(errors)} error(s) in the batch; nothing was accepted",
                "details": errors,
            },
            status_code=422,
        )
    return await accept(ingest, events)


async def accept(ingest: Ingest, events: list[IngestEvent]) -> IngestAccepted:
    """Publish the events not seen before to the raw topic; durable on Kafka on return.
    Shared by every front door (this one, Segment's API, webhook destinations)."""
    now = utcnow()
    unique: dict[str, IngestEvent] = {}
    for event in events:
        unique.setdefault(str(event.envelope_id()), stamp(event, now))
    known = await ingest.stores.ingested.known(list(unique))
    fresh = {i: e for i, e in unique.items() if i not in known}
    # Durable on Kafka before we answer; the consumer dedupes by id if this races a resend.
    try:
        await publish_all(
            ingest.broker,
            [
                Outgoing(
                    INGEST_RAW, e.partition_key(), e.model_dump_json(exclude_none=True).encode()
                )
                for e in fresh.values()
            ],
            # A client retries a 503 with the same ids; a broker away for minutes must not
            # hold its request (and a worker) open that long.
            timeout=PUBLISH_TIMEOUT,
        )
    except (KafkaError, TimeoutError) as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "ingestion is unavailable (Kafka did not acknowledge); retry with the same event ids",
        ) from exc
    await ingest.stores.ingested.remember(list(fresh))
    return IngestAccepted(accepted=len(fresh), duplicates=len(events) - len(fresh))

"""What automation does with each event it reads: keep the audience current and enroll
contacts whose events meet a workflow's trigger (what an interaction ends or suppresses is
in reactions.py). The processor runs each batch in one transaction with its deduplication,
so a redelivered event never enrolls anyone twice; the runner is woken once what it has to do
is durable."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from lodestone_common.consumer import EnvelopeEvent
from lodestone_common.envelope import utcnow
from lodestone_common.events import (
    CONTACT_EVENTS,
    ContactCreated,
    ContactErased,
    ContactMerged,
    ContactSegmentsChanged,
    ContactStageChanged,
    ContactUpdated,
    InteractionRecorded,
    LeadQualified,
    ScoreChanged,
)
from lodestone_common.processing import HandlerTable, UnitOfWork

from .catalog import Catalog
from .domain.triggers import (
    date_offset_fire_at,
    interaction_matches,
    window_reached,
)
from .domain.workflows import (
    DateOffsetTrigger,
    InteractionCountTrigger,
    QualifiedTrigger,
    SegmentTrigger,
    StageTrigger,
)
from .reactions import Reactions
from .service import Automation, Candidate


class Triggers:
    def __init__(self, automation: Automation, catalog: Catalog, wake: Callable[[], None]) -> None:
        self.automation = automation
        self.catalog = catalog
        self.wake = wake  # the runner (and the relay): enrollments are durable
        self.reactions = Reactions(automation, catalog)

    async def _handle(self, events: list[EnvelopeEvent], uow: UnitOfWork, work) -> None:  # type: ignore[no-untyped-def]
        await self.catalog.current()
        if await work(events, uow):
            uow.on_commit(self.wake)

    async def on_interactions(self, events: list[EnvelopeEvent], uow: UnitOfWork) -> None:
        async def work(fresh: list[EnvelopeEvent], uow: UnitOfWork) -> int:
            session = uow.session
            counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
            enrolled = 0
            workflows = self.catalog.with_trigger("interaction", "interaction_count")
            matches = []
            for event in fresh:
                payload = event.payload
                assert isinstance(payload, InteractionRecorded)
                counts[event.envelope.contact_id][payload.interaction_type] += 1
                data = {
                    "interaction_type": payload.interaction_type,
                    "name": payload.name,
                    "properties": payload.properties,
                }
                for doc, definition in workflows:
                    if interaction_matches(definition.trigger, data):  # type: ignore[arg-type]
                        matches.append((event, doc, definition))
            # Sliding windows: one read and one bulk write per batch, applied in event order.
            windows = await self.automation.stores.audience.window_hits(
                {
                    (doc["_id"], event.envelope.contact_id)
                    for event, doc, definition in matches
                    if isinstance(definition.trigger, InteractionCountTrigger)
                },
                session,
            )
            moved: set[tuple[str, str]] = set()
            candidates: list[Candidate] = []
            for event, doc, definition in matches:
                trigger = definition.trigger
                contact = event.envelope.contact_id
                at = event.envelope.occurred_at
                if isinstance(trigger, InteractionCountTrigger):
                    key = (doc["_id"], contact)
                    reached, windows[key] = window_reached(windows.get(key, []), at, trigger)
                    moved.add(key)
                    if not reached:
                        continue
                    cause = (
                        f"{trigger.count} matching interactions within {trigger.within_days:g} days"
                    )
                else:
                    cause = f"interaction {event.payload.name!r}"  # type: ignore[union-attr]
                candidates.append(Candidate(doc, definition, contact, at, cause))
            made = await self.automation.enroll_many(candidates, uow)
            enrolled += sum(enrollment is not None for enrollment, _ in made)
            await self.automation.stores.audience.save_hits(
                {key: windows[key] for key in moved}, session
            )
            await self.automation.stores.audience.count_activity(counts, session)
            await self.reactions.suppress(fresh, session)
            await self.reactions.campaigns(fresh, session)
            return enrolled + await self.reactions.end_waits(fresh, session)

        await self._handle(events, uow, work)

    async def _date_offsets(self, event: EnvelopeEvent, uow: UnitOfWork) -> int:
        session = uow.session
        payload = event.payload
        if isinstance(payload, ContactCreated):
            fields = payload.contact.model_dump(mode="json")
        elif isinstance(payload, ContactUpdated):
            fields = payload.changes
        else:
            return 0
        enrolled = 0
        contact = event.envelope.contact_id
        for doc, definition in self.catalog.with_trigger("date_offset"):
            trigger = definition.trigger
            assert isinstance(trigger, DateOffsetTrigger)
            if trigger.field not in fields:
                continue
            fire_at, why = date_offset_fire_at(trigger, fields[trigger.field], utcnow())
            if fire_at is None:
                continue
            if await self.automation.stores.enrollments.reschedule(
                doc["_id"], contact, fire_at, session
            ):
                continue
            made, _ = await self.automation.enroll(
                doc, definition, contact, event.envelope.occurred_at, why, uow, due_at=fire_at
            )
            enrolled += made is not None
        return enrolled

    async def on_contacts(self, events: list[EnvelopeEvent], uow: UnitOfWork) -> None:
        async def work(fresh: list[EnvelopeEvent], uow: UnitOfWork) -> int:
            session = uow.session
            await self.automation.stores.audience.apply(fresh, session)
            # Counted with enrollments: either way the runner has work now.
            enrolled = await self.automation.stores.enrollments.contacts_arrived(
                [e.envelope.contact_id for e in fresh if isinstance(e.payload, ContactCreated)],
                session,
            )
            for event in fresh:
                payload = event.payload
                contact = event.envelope.contact_id
                at = event.envelope.occurred_at
                if isinstance(payload, ContactErased):
                    await self.automation.stores.forget([contact], session)
                    continue
                if isinstance(payload, ContactMerged):
                    await self.automation.stores.rekey(contact, payload.merged_ids, session)
                    continue
                enrolled += await self._date_offsets(event, uow)
                for doc, definition in self.catalog.active:
                    trigger = definition.trigger
                    cause = None
                    if isinstance(trigger, StageTrigger) and isinstance(
                        payload, ContactStageChanged
                    ):
                        if payload.to_stage == trigger.to and trigger.from_stage in (
                            None,
                            payload.from_stage,
                        ):
                            cause = f"stage changed to {payload.to_stage}"
                    elif trigger.type == "field_changed" and isinstance(payload, ContactUpdated):
                        if trigger.field in payload.changes:  # type: ignore[union-attr]
                            cause = f"field {trigger.field} changed"  # type: ignore[union-attr]
                    elif isinstance(trigger, SegmentTrigger) and isinstance(
                        payload, ContactSegmentsChanged
                    ):
                        if trigger.segment_id in payload.joined:
                            cause = f"joined segment {trigger.segment_id}"
                    if cause:
                        made, _ = await self.automation.enroll(
                            doc, definition, contact, at, cause, uow
                        )
                        enrolled += made is not None
            return enrolled

        await self._handle(events, uow, work)

    async def on_scores(self, events: list[EnvelopeEvent], uow: UnitOfWork) -> None:
        async def work(fresh: list[EnvelopeEvent], uow: UnitOfWork) -> int:
            session = uow.session
            await self.automation.stores.audience.apply(fresh, session)
            workflows = self.catalog.with_trigger("lead_qualified")
            candidates: list[Candidate] = []
            for event in fresh:
                payload = event.payload
                if not isinstance(payload, LeadQualified):
                    continue
                for doc, definition in workflows:
                    trigger = definition.trigger
                    assert isinstance(trigger, QualifiedTrigger)
                    if trigger.model_id != payload.model_id:
                        continue
                    candidates.append(
                        Candidate(
                            doc,
                            definition,
                            event.envelope.contact_id,
                            event.envelope.occurred_at,
                            f"qualified under {payload.model_id} at {payload.score:g}",
                        )
                    )
            made = await self.automation.enroll_many(candidates, uow)
            return sum(enrollment is not None for enrollment, _ in made)

        await self._handle(events, uow, work)


def handlers(triggers: Triggers) -> HandlerTable:
    return {
        # Interaction triggers (single and counted in a window) and `wait_for` steps.
        InteractionRecorded: triggers.on_interactions,
        # The audience; stage, field, segment and date triggers; merges and erasures.
        **dict.fromkeys(CONTACT_EVENTS, triggers.on_contacts),
        # Scores for conditions; lead-qualified triggers.
        ScoreChanged: triggers.on_scores,
        LeadQualified: triggers.on_scores,
    }

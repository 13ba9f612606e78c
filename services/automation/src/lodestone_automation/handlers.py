"""What automation does with each event it reads: keep the audience current and enroll
contacts whose events meet a workflow's trigger. The processor runs each batch in one
transaction with its inbox, so a redelivered event never enrolls anyone twice; the runner is
woken once what it has to do is durable."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from pymongo.asynchronous.client_session import AsyncClientSession

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
from .domain.campaigns import reaction
from .domain.engine import suppression_reason
from .domain.triggers import (
    date_offset_fire_at,
    interaction_matches,
    waited_event,
    window_reached,
)
from .domain.workflows import (
    DateOffsetTrigger,
    InteractionCountTrigger,
    QualifiedTrigger,
    SegmentTrigger,
    StageTrigger,
    WaitForStep,
)
from .service import Automation, Candidate


class Triggers:
    def __init__(self, automation: Automation, catalog: Catalog, wake: Callable[[], None]) -> None:
        self.automation = automation
        self.catalog = catalog
        self.wake = wake  # the runner (and the relay): enrollments are durable

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
            await self._suppress(fresh, session)
            await self._campaign_reactions(fresh, session)
            return enrolled + await self._end_waits(fresh, session)

        await self._handle(events, uow, work)

    async def _campaign_reactions(
        self, fresh: list[EnvelopeEvent], session: AsyncClientSession
    ) -> None:
        """Opens, clicks, bounces, complaints and unsubscribes of campaign emails: each
        recipient's first of each, for the campaign's results."""
        seen = []
        for event in fresh:
            payload = event.payload
            assert isinstance(payload, InteractionRecorded)
            props = payload.properties
            campaign, email_id = props.get("campaign_id"), props.get("email_id")
            what = reaction(payload.interaction_type, props)
            if what and isinstance(campaign, str) and isinstance(email_id, str):
                if email_id.startswith(f"{campaign}:"):
                    seen.append((campaign, email_id, what, event.envelope.occurred_at))
        await self.automation.stores.campaigns.react(seen, session)

    async def _suppress(self, fresh: list[EnvelopeEvent], session: AsyncClientSession) -> None:
        """Hard bounces, complaints and unsubscribes put the address on the suppression list
        that every send checks (a second contact with the address is covered too)."""
        found: dict[str, tuple[str, str, str | None]] = {}
        for event in fresh:
            payload = event.payload
            assert isinstance(payload, InteractionRecorded)
            reason = suppression_reason(payload.interaction_type, payload.properties)
            if reason is not None:
                # The address it happened to (contacts adds it); else the contact's own,
                # which the audience may not hold yet (another topic, another order).
                address = payload.properties.get("email")
                address = address if isinstance(address, str) and "@" in address else None
                found[event.envelope.contact_id] = (reason, payload.name, address)
        if not found:
            return
        unknown = sorted(c for c, (_, _, address) in found.items() if address is None)
        emails = await self.automation.stores.audience.emails_of(unknown, session)
        entries = [
            {"email": address or emails[c], "reason": why, "detail": name, "by": "interaction"}
            for c, (why, name, address) in found.items()
            if address or c in emails
        ]
        await self.automation.stores.suppressions.add_many(entries, session)

    async def _end_waits(self, fresh: list[EnvelopeEvent], session: AsyncClientSession) -> int:
        """Wake enrollments whose `wait_for` step waits for one of these interactions."""
        contacts = sorted({e.envelope.contact_id for e in fresh})
        woken = 0
        for enrollment in await self.automation.stores.enrollments.waiting_for_events(
            contacts, session
        ):
            definition = await self.catalog.definition(
                enrollment["workflow_id"], enrollment["version"]
            )
            if definition is None or enrollment["step"] >= len(definition.steps):
                continue
            step = definition.steps[enrollment["step"]]
            if not isinstance(step, WaitForStep):
                continue
            since = enrollment.get("waiting_since")
            for event in fresh:
                payload = event.payload
                assert isinstance(payload, InteractionRecorded)
                if event.envelope.contact_id != enrollment["contact_id"]:
                    continue
                if since and event.envelope.occurred_at < since:
                    continue  # it happened before the wait began
                data = {
                    "interaction_type": payload.interaction_type,
                    "name": payload.name,
                    "properties": payload.properties,
                }
                if waited_event(step, data):
                    await self.automation.stores.enrollments.event_arrived(
                        enrollment["_id"], session
                    )
                    woken += 1
                    break
        return woken

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

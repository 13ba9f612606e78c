"""What an interaction ends or stops, besides the enrollments it starts (handlers.py): a
hard bounce, complaint or unsubscribe suppresses the address, a campaign email's open, click
or bounce counts for its campaign, and a `wait_for` step waiting for it moves on — all in
the batch's transaction."""

from __future__ import annotations

from pymongo.asynchronous.client_session import AsyncClientSession

from lodestone_common.consumer import EnvelopeEvent
from lodestone_common.events import InteractionRecorded

from .catalog import Catalog
from .domain.campaigns import reaction
from .domain.engine import suppression_reason
from .domain.triggers import waited_event
from .domain.workflows import WaitForStep
from .service import Automation


class Reactions:
    def __init__(self, automation: Automation, catalog: Catalog) -> None:
        self.automation = automation
        self.catalog = catalog

    async def campaigns(self, fresh: list[EnvelopeEvent], session: AsyncClientSession) -> None:
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

    async def suppress(self, fresh: list[EnvelopeEvent], session: AsyncClientSession) -> None:
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

    async def end_waits(self, fresh: list[EnvelopeEvent], session: AsyncClientSession) -> int:
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

"""Reminders before tasks are due, by email to the rep whose task it is; the console shows the
reminded ones in the rep's live feed. Each reminder is an action record (stores/actions.py):
sent at most once, however many processes look for due reminders. And the email that tells a
rep a lead was assigned to them."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from lodestone_common.envelope import utcnow

from .domain.reminders import message, new_lead
from .effects import Mailer
from .settings import AutomationSettings
from .stores import Stores

log = logging.getLogger(__name__)
POLL_SECONDS = 5.0
BATCH = 100


class Reminders:
    def __init__(self, stores: Stores, mailer: Mailer, settings: AutomationSettings) -> None:
        self.stores = stores
        self.mailer = mailer
        self.console_url = settings.console_url

    async def send_due(self, now: datetime | None = None) -> int:
        """Send every reminder due by `now`; how many went."""
        now = now or utcnow()
        sent = 0
        reps = {r["_id"]: r for r in await self.stores.reps.all()}
        for task in await self.stores.tasks.due_reminders(now, BATCH):
            rep = reps.get(task.get("owner_id") or "")
            address = rep.get("email") if rep else None
            key = f"remind:{task['_id']}:{task['remind_at'].isoformat()}"
            if address and await self.stores.actions.begin(key, {"task_id": task["_id"]}) is None:
                contact = await self.stores.audience.contact(task["contact_id"])
                link = (
                    f"{self.console_url}/contacts/{task['contact_id']}"
                    if self.console_url
                    else None
                )
                subject, text = message(task, contact, link)
                try:
                    await self.mailer.send(address, subject, text, key)
                    await self.stores.actions.finish(key, "sent", {"to": address}, None)
                    sent += 1
                except Exception as exc:  # never twice: the record says what is unknown
                    await self.stores.actions.finish(key, "failed", {"error": repr(exc)}, None)
                    log.warning("a reminder did not go", extra={"task": task["_id"]})
            # Reminded in the console's feed even for a rep without an email address.
            await self.stores.tasks.reminded(task["_id"], task["remind_at"], now)
        return sent

    async def run(self) -> None:
        while True:
            try:
                await self.send_due()
            except Exception:  # the database may be restarting; look again shortly
                log.exception("reminders: could not look for due reminders")
            await asyncio.sleep(POLL_SECONDS)


async def tell_rep(
    mailer: Mailer, address: str | None, contact: dict[str, Any], key: str, console: str | None
) -> None:
    """A rep hears of their new lead (best effort: the lead is theirs either way; `key`, the
    assignment's action, makes it once)."""
    if not address:
        return
    link = f"{console}/contacts/{contact['_id']}" if console and "_id" in contact else None
    subject, text = new_lead(contact, link)
    try:
        await mailer.send(address, subject, text, f"{key}:rep")
    except Exception as exc:
        log.warning("the rep was not told of the new lead", extra={"error": repr(exc)})

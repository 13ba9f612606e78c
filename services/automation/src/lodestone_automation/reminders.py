"""What reps and their managers are told by email: a reminder before a task is due (the
console shows the reminded ones in the rep's live feed), a task left undone past its due time
(to the rep's manager), and a lead newly assigned. Each is an action record (stores/actions.py):
sent at most once, however many processes look for what is due."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from lodestone_common.envelope import utcnow

from .domain.reminders import message, new_lead, overdue
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
        """Send every reminder and escalation due by `now`; how many went."""
        now = now or utcnow()
        reminders = await self.stores.tasks.due_reminders(now, BATCH)
        escalations = await self.stores.tasks.due_escalations(now, BATCH)
        if not reminders and not escalations:
            return 0  # the usual case, every few seconds: no need to read the reps
        sent = 0
        reps = {r["_id"]: r for r in await self.stores.reps.all()}
        for task in reminders:
            rep = reps.get(task.get("owner_id") or "", {})
            key = f"remind:{task['_id']}:{task['remind_at'].isoformat()}"
            contact = await self.stores.audience.contact(task["contact_id"])
            subject, text = message(task, contact, self._link(task))
            sent += await self._once(key, rep.get("email"), subject, text)
            # Reminded in the console's feed even for a rep without an email address.
            await self.stores.tasks.reminded(task["_id"], task["remind_at"], now)
        for task in escalations:
            rep = reps.get(task.get("owner_id") or "", {})
            key = f"escalate:{task['_id']}:{task['escalate_at'].isoformat()}"
            subject, text = overdue(task, rep, self._link(task))
            sent += await self._once(key, rep.get("manager_email"), subject, text)
            await self.stores.tasks.escalated(task["_id"], task["escalate_at"], now)
        return sent

    def _link(self, task: dict[str, Any]) -> str | None:
        return contact_link(self.console_url, task["contact_id"])

    async def _once(self, key: str, address: str | None, subject: str, text: str) -> int:
        """Send one email at most once (an action record per key); 1 when it went."""
        if not address or await self.stores.actions.begin(key, {"to": address}) is not None:
            return 0
        try:
            await self.mailer.send(address, subject, text, key)
        except Exception as exc:  # never twice: the record says it failed
            await self.stores.actions.finish(key, "failed", {"error": repr(exc)}, None)
            log.warning("a reminder did not go", extra={"key": key})
            return 0
        await self.stores.actions.finish(key, "sent", {}, None)
        return 1

    async def run(self) -> None:
        while True:
            try:
                await self.send_due()
            except Exception:  # the database may be restarting; look again shortly
                log.exception("reminders: could not look for due reminders")
            await asyncio.sleep(POLL_SECONDS)


def contact_link(console: str | None, contact_id: str | None) -> str | None:
    """The contact's page in the console, when this installation knows where that is."""
    return f"{console}/contacts/{contact_id}" if console and contact_id else None


async def tell_rep(
    mailer: Mailer, address: str | None, contact: dict[str, Any], key: str, console: str | None
) -> None:
    """A rep hears of their new lead (best effort: the lead is theirs either way; `key`, the
    assignment's action, makes it once)."""
    if not address:
        return
    subject, text = new_lead(contact, contact_link(console, contact.get("_id")))
    try:
        await mailer.send(address, subject, text, f"{key}:rep")
    except Exception as exc:
        log.warning("the rep was not told of the new lead", extra={"error": repr(exc)})

"""A workflow step's action, performed once: an email, a webhook delivery, a contact update,
an owner assigned, a task. Each is keyed by its step (workflow:enrollment:step), recorded
before it leaves the service and its outcome announced with the record, so a replayed step
answers "already …" instead of acting twice."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from lodestone_common.envelope import utcnow
from lodestone_common.settings import comma_list

from .domain.assignment import choose_owner
from .domain.destinations import DestinationPolicy
from .domain.engine import backoff_seconds, email_blocked, suppressed_because
from .domain.first_steps import action_announced, action_detail, action_key, task_for
from .domain.workflows import (
    AssignOwnerStep,
    SendEmailStep,
    TaskStep,
    UpdateContactStep,
    WebhookStep,
    WorkflowDefinition,
)
from .effects import ContactsClient, Mailer, Refused, post_webhook
from .emails import Composer
from .links import LinkSigner
from .metrics import ACTIONS
from .reminders import tell_rep
from .service import Automation
from .settings import AutomationSettings

log = logging.getLogger(__name__)
# Webhooks in flight to one host at once: a slow or dead receiver holds at most these slots;
# its other enrollments wait their turn (re-due shortly, no attempt counted).
PER_HOST = 4
HOST_BUSY_RETRY_SECONDS = 1.0


class Performer:
    def __init__(
        self,
        automation: Automation,
        settings: AutomationSettings,
        mailer: Mailer,
        contacts: ContactsClient,
    ) -> None:
        self.automation = automation
        self.settings = settings
        self.mailer = mailer
        self.contacts = contacts
        self.policy = DestinationPolicy.from_setting(settings.webhook_allowed_networks)
        self.links = link_signer(settings)
        self.composer = Composer(settings, self.links, automation.stores.email_templates)
        # Webhook secrets are stored sealed; opened only to sign a request.
        self.sealer = settings.sealer()
        self._hosts: dict[str, asyncio.Semaphore] = {}

    def host_slots(self, url: str) -> asyncio.Semaphore:
        """The delivery slots of the URL's host (PER_HOST at once)."""
        host = (urlsplit(url).hostname or "").lower()
        slots = self._hosts.get(host)
        if slots is None:
            slots = self._hosts[host] = asyncio.Semaphore(PER_HOST)
        return slots

    async def perform(
        self,
        enrollment: dict[str, Any],
        definition: WorkflowDefinition,
        index: int,
        contact: dict[str, Any],
    ) -> str:
        step = definition.steps[index]
        key = action_key(enrollment, step.id)
        detail = action_detail(enrollment, step.id, step.type)
        if isinstance(step, TaskStep):  # all in the database: one transaction, no "started"
            hours = self.settings.escalate_after_hours
            task = task_for(step, enrollment, contact, hours, utcnow())
            done = await self.automation.guarded(
                self.automation.task_action(
                    key,
                    detail,
                    task,
                    action_announced(enrollment, step.id, step.type, "succeeded", {"task_id": key}),
                )
            )
            ACTIONS.labels(step.type, "succeeded").inc()
            return done
        earlier = await self.automation.guarded(self.automation.stores.actions.begin(key, detail))
        if earlier is not None:
            return f"already {earlier}"
        try:
            status, info = await self._do(step, key, enrollment, contact)
        except Exception as exc:
            info = {"error": repr(exc)}
            await self.automation.guarded(
                self.automation.finish_action(
                    key,
                    "failed",
                    info,
                    action_announced(enrollment, step.id, step.type, "failed", info),
                )
            )
            ACTIONS.labels(step.type, "failed").inc()
            return "failed"
        outcome = "skipped" if status == "skipped" else "succeeded"
        await self.automation.guarded(
            self.automation.finish_action(
                key, status, info, action_announced(enrollment, step.id, step.type, outcome, info)
            )
        )
        ACTIONS.labels(step.type, outcome).inc()
        # A skip says why in the enrollment's history too (the API and the console show it).
        return f"skipped: {info['reason']}" if status == "skipped" else status

    async def webhook_step(
        self, enrollment: dict[str, Any], step: WebhookStep, contact: dict[str, Any], now: datetime
    ) -> tuple[str | None, dict[str, Any] | None]:
        """Deliver a webhook step in one of its host's slots: (outcome, or None when the host
        had PER_HOST deliveries in flight and this one waits a turn, no attempt counted; the
        enrollment's fields to stop with while it waits, or None to go on)."""
        slots = self.host_slots(step.url)
        if slots.locked():
            return None, {
                "due_at": now + timedelta(seconds=HOST_BUSY_RETRY_SECONDS),
                "claimed_until": None,
            }
        async with slots:
            outcome, retry_in = await self.webhook(enrollment, step, contact)
        if retry_in is None:
            return outcome, None
        # A durable retry: the enrollment waits on this step.
        wait = {"due_at": now + timedelta(seconds=retry_in), "claimed_until": None}
        return outcome, {**wait, "status": "waiting"}

    async def webhook(
        self, enrollment: dict[str, Any], step: WebhookStep, contact: dict[str, Any]
    ) -> tuple[str, float | None]:
        """(outcome, seconds until the next attempt, or None when done)."""
        key = action_key(enrollment, step.id)
        record = await self.automation.guarded(
            self.automation.stores.actions.webhook_attempt(
                key, action_detail(enrollment, step.id, step.type)
            )
        )
        if record["status"] in ("delivered", "failed"):
            return f"already {record['status']}", None
        attempt = record.get("attempts", 0) + 1
        payload = {
            "workflow_id": enrollment["workflow_id"],
            "enrollment_id": enrollment["_id"],
            "step_id": step.id,
            "contact_id": enrollment["contact_id"],
            "contact": {f: contact.get(f) for f in step.fields},
            "attempt": attempt,
        }
        try:
            secret = self.sealer.open(step.secret)
            status = await post_webhook(step.url, secret, key, payload, policy=self.policy)
        except Refused as exc:
            # Final, and no more than that in the history: the address itself, or whether it
            # answered, would make webhooks a port scanner of the inside.
            info = {"attempts": attempt, "reason": "refused by policy"}
            log.warning("webhook refused by policy", extra={"step": key, "why": str(exc)})
            await self.automation.guarded(
                self.automation.finish_action(
                    key,
                    "failed",
                    info,
                    action_announced(enrollment, step.id, step.type, "failed", info),
                )
            )
            ACTIONS.labels(step.type, "refused").inc()
            return "refused by policy", None
        if 200 <= status < 300:
            info = {"attempts": attempt, "http_status": status}
            await self.automation.guarded(
                self.automation.finish_action(
                    key,
                    "delivered",
                    info,
                    action_announced(enrollment, step.id, step.type, "succeeded", info),
                )
            )
            ACTIONS.labels(step.type, "succeeded").inc()
            return "delivered", None
        if attempt >= step.max_attempts:
            info = {"attempts": attempt, "http_status": status}
            await self.automation.guarded(
                self.automation.finish_action(
                    key,
                    "failed",
                    info,
                    action_announced(enrollment, step.id, step.type, "failed", info),
                )
            )
            ACTIONS.labels(step.type, "failed").inc()
            return "failed", None
        await self.automation.guarded(
            self.automation.finish_action(
                key, "retrying", {"attempts": attempt, "http_status": status}
            )
        )
        ACTIONS.labels(step.type, "retrying").inc()
        return f"retrying after HTTP {status or 'unreachable'}", backoff_seconds(attempt)

    async def _email(
        self, step: SendEmailStep, key: str, enrollment: dict[str, Any], contact: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        mail = await self.composer.compose(step, key, enrollment, contact)
        if isinstance(mail, str):
            return "skipped", {"reason": mail}
        await self.mailer.send(
            mail.to, mail.subject, mail.text, key, step.from_, mail.headers, mail.html
        )
        return "sent", mail.detail

    async def _do(
        self, step: Any, key: str, enrollment: dict[str, Any], contact: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        contact_id = enrollment["contact_id"]
        if isinstance(step, SendEmailStep):
            blocked = email_blocked(contact, self.settings.email_consent)
            if blocked:
                return "skipped", {"reason": blocked}
            suppressed = await self.automation.stores.suppressions.get(contact["email"])
            if suppressed is not None:
                return "skipped", {"reason": suppressed_because(suppressed["reason"])}
            return await self._email(step, key, enrollment, contact)
        if isinstance(step, UpdateContactStep):
            body: dict[str, Any] = dict(step.set)
            if step.add_tags:
                body["tags"] = sorted({*(contact.get("tags") or []), *step.add_tags})
            if step.stage:
                body["stage"] = {
                    "to": step.stage,
                    "reason": f"workflow {enrollment['workflow_id']}",
                }
            response = await self.contacts.patch(contact_id, body)
            if response.status_code >= 400:
                return "skipped", {
                    "reason": f"contacts answered {response.status_code}: {response.text[:300]}"
                }
            return "updated", {"fields": sorted(body)}
        if isinstance(step, AssignOwnerStep):
            turn_key = f"{enrollment['workflow_id']}:{step.id}"
            reps = await self.automation.stores.reps.all()
            needs_turn = not (step.keep_existing and contact.get("owner_id"))
            turn = await self.automation.stores.reps.next_turn(turn_key) if needs_turn else 0
            owner, why = choose_owner(step, contact, reps, turn)
            if owner is None:
                return "skipped", {"reason": why}
            response = await self.contacts.patch(contact_id, {"owner_id": owner})
            if response.status_code >= 400:
                return "skipped", {"reason": f"contacts answered {response.status_code}"}
            await self.automation.guarded(
                self.automation.stores.audience.note_owner(contact_id, owner)
            )
            contact["owner_id"] = owner
            rep = next((r for r in reps if r["_id"] == owner), {})
            await tell_rep(self.mailer, rep.get("email"), contact, key, self.settings.console_url)
            return "assigned", {"owner_id": owner, "why": why}
        raise AssertionError(f"not an action: {step!r}")


def link_signer(settings: AutomationSettings) -> LinkSigner:
    assert settings.link_secret  # the settings give a development secret outside production
    previous = tuple(comma_list(settings.link_previous_secrets))
    return LinkSigner(settings.link_secret, previous, settings.link_lifetime_days * 86_400)

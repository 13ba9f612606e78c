"""Sending a campaign: freeze its audience, then email every recipient once, at its pace.

A campaign's sending is a background job (lodestone_common.jobs): one replica at a time runs
it under a lease, a stopped or dead one's work is taken over at its checkpoint, and pause and
cancel are read between batches.

Exactly once: the audience is frozen into one recipient record per person (a page frozen
twice adds nobody). Recipients are marked `sending` a few at a time (twice the connections) in
one write before the relay gets them and settled in one write after. One still `sending` after
a crash is in doubt — the relay may have taken the email just before — and is sent again with
the *same* Message-ID, which receivers that deduplicate (Gmail, Mailpit's
`--ignore-duplicate-ids`) drop; resending beats never sending when the relay cannot be asked.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiosmtplib

from lodestone_common.envelope import utcnow
from lodestone_common.jobs import Job, Jobs

from .domain.campaigns import domain_of, email_step, recipient
from .domain.engine import backoff_seconds, email_blocked, suppressed_because
from .domain.pacing import Pace, per_minute
from .effects import ContactsClient, Mailer, MailSession
from .emails import Composer
from .settings import AutomationSettings
from .stores import Stores
from .stores.suppressions import address_key

log = logging.getLogger(__name__)
PAGE = 500  # audience members read from contacts at once
BATCH = 200  # recipients settled in one write, at most
# A batch holds about this many seconds of the campaign's pace: pause and cancel are read
# between batches, so a slow campaign stops soon after it is asked to.
BATCH_SECONDS = 2
MAX_ATTEMPTS = 5  # transient relay failures before a recipient counts as failed


class CampaignProblem(Exception):
    """Why a campaign cannot be sent at all (its template or segment is gone)."""


class CampaignSender:
    def __init__(
        self,
        stores: Stores,
        composer: Composer,
        mailer: Mailer,
        contacts: ContactsClient,
        settings: AutomationSettings,
    ) -> None:
        self.stores = stores
        self.composer = composer
        self.mailer = mailer
        self.contacts = contacts
        self.settings = settings
        self.jobs = Jobs(
            stores.campaigns.campaigns, self.work, settings.instance_id, prefix="cmp", poll=5
        )

    async def work(self, job: Job) -> str | None:
        campaign = job.doc
        checkpoint = dict(job.checkpoint or {})
        try:
            if not checkpoint.get("frozen"):
                stopped = await self._freeze(job, campaign, checkpoint)
                if stopped:
                    return stopped
            return await self._send(job, campaign, checkpoint)
        except CampaignProblem as exc:
            await job.advance({**checkpoint, "problem": str(exc)})
            raise

    # -- the audience ------------------------------------------------------------------------

    async def _freeze(self, job: Job, campaign: dict[str, Any], cp: dict[str, Any]) -> str | None:
        if "version" not in cp:
            version = await self.stores.email_templates.version(
                campaign["template_id"], campaign.get("template_version")
            )
            if version is None:
                raise CampaignProblem(f"email template {campaign['template_id']!r} is gone")
            cp["version"] = version["version"]  # a later edit of the template changes nothing
            await job.advance(cp)
        segment = campaign["segment_id"]
        while True:
            if stopped := await _stop(job):
                return stopped
            answer = await self._contacts(f"/v1/segments/{segment}")
            if answer.status_code == 404:
                raise CampaignProblem(f"segment {segment!r} is gone")
            if answer.json().get("build", {}).get("status") != "building":
                break
            await asyncio.sleep(2)  # its membership is still being built
        while True:
            if stopped := await _stop(job):
                return stopped
            params = {"limit": PAGE, **({"cursor": cp["cursor"]} if cp.get("cursor") else {})}
            answer = await self._contacts(f"/v1/segments/{segment}/members", params)
            if answer.status_code == 404:
                raise CampaignProblem(f"segment {segment!r} is gone")
            page = answer.json()
            await self.stores.campaigns.freeze(
                [recipient(campaign["_id"], c) for c in page["items"]]
            )
            cp["cursor"] = page.get("next_cursor")
            if cp["cursor"] is None:
                cp["frozen"], cp["frozen_at"] = True, utcnow().isoformat()
                cp["audience"] = await self.stores.campaigns.audience(campaign["_id"])
                await job.advance(cp)
                return None
            await job.advance(cp)

    async def _contacts(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """Contacts' answer, waiting out an outage (a restart heals without anyone's help)."""
        attempt = 0
        while True:
            try:
                answer = await self.contacts.get(path, params or {})
                if answer.status_code < 500 and answer.status_code not in (401, 403):
                    return answer
                why = f"{answer.status_code} {answer.text[:200]}"
            except Exception as exc:  # unreachable, timed out: try again
                why = repr(exc)
            attempt += 1
            log.warning("contacts did not answer a campaign", extra={"why": why})
            await asyncio.sleep(backoff_seconds(attempt, cap=30))

    # -- sending ---------------------------------------------------------------------------

    async def _send(self, job: Job, campaign: dict[str, Any], cp: dict[str, Any]) -> str | None:
        step = email_step({**campaign, "frozen_version": cp["version"]})
        version = await self.stores.email_templates.version(campaign["template_id"], cp["version"])
        if version is None:
            raise CampaignProblem(f"email template {campaign['template_id']!r} is gone")
        rate = campaign.get("rate_per_minute", 600)
        pace = Pace(per_minute(rate), per_minute(campaign.get("domain_rate_per_minute", 120)))
        sessions = [MailSession(self.mailer) for _ in range(self.settings.campaign_connections)]
        size = min(BATCH, max(1, rate * BATCH_SECONDS // 60))
        after: str | None = None
        progressed = False  # anything sent or settled in this pass over the pending ones
        trouble = 0  # batches in a row with a relay failure
        try:
            while True:
                if stopped := await _stop(job):
                    return stopped
                batch = await self.stores.campaigns.pending(campaign["_id"], after, size)
                if not batch:
                    if after is None:
                        return "done"
                    if not progressed:  # every one left waits for its domain's window
                        await asyncio.sleep(1)
                    after, progressed = None, False
                    continue
                after = batch[-1]["_id"]
                settled, failed_now = await self._batch(
                    job, cp, batch, step, version, pace, sessions
                )
                progressed |= settled
                trouble = trouble + 1 if failed_now else 0
                if trouble:
                    await asyncio.sleep(backoff_seconds(trouble, cap=30))
        finally:
            for session in sessions:
                await session.close()

    async def _batch(
        self,
        job: Job,
        cp: dict[str, Any],
        batch: list[dict[str, Any]],
        step: Any,
        version: dict[str, Any],
        pace: Pace,
        sessions: list[MailSession],
    ) -> tuple[bool, bool]:
        """Send a batch: (whether any recipient was settled, whether the relay failed us).

        Marked `sending` and settled a few at a time (as many as the connections carry at
        once, twice): a crash leaves at most that many in doubt to send again."""
        latest = await self.stores.audience.many([r["contact_id"] for r in batch])
        # What contacts said when the audience froze, and anything automation has heard since
        # (an unsubscribe, a withdrawn consent, a new address: the one checked and sent to).
        contacts = [{**r["contact"], **latest.get(r["contact_id"], {})} for r in batch]
        suppressed = await self.stores.suppressions.among(
            [c["email"] for c in contacts if c.get("email")]
        )
        skipped: list[tuple[str, str, dict[str, Any]]] = []
        ready = []
        for r, contact in zip(batch, contacts, strict=True):
            why = email_blocked(contact, self.settings.email_consent)
            if why is None and address_key(contact["email"]) in suppressed:
                why = suppressed_because(suppressed[address_key(contact["email"])])
            if why is not None:
                skipped.append((r["_id"], "skipped", {"reason": why}))
            elif pace.domain_allows(domain_of(contact["email"])):
                ready.append((r, contact))
        await self.stores.campaigns.settle(skipped)
        relay_failed = False
        group = 2 * len(sessions)
        for start in range(0, len(ready), group):
            chunk = ready[start : start + group]
            await self.stores.campaigns.mark([r["_id"] for r, _ in chunk], "sending")
            sent_by = await asyncio.gather(
                *(
                    self._several(chunk[i :: len(sessions)], step, version, pace, session)
                    for i, session in enumerate(sessions)
                )
            )
            outcomes = [outcome for several in sent_by for outcome in several]
            await self.stores.campaigns.settle(outcomes)
            sent = sum(1 for _, status, _ in outcomes if status == "sent")
            await job.advance(cp, inc={"sent_so_far": sent})
            relay_failed |= any(status == "queued" for _, status, _ in outcomes)
        return bool(skipped or ready), relay_failed

    async def _several(
        self,
        recipients: list[tuple[dict[str, Any], dict[str, Any]]],
        step: Any,
        version: dict[str, Any],
        pace: Pace,
        session: MailSession,
    ) -> list[tuple[str, str, dict[str, Any]]]:
        """One connection's share of a group, one after the other at the campaign's pace."""
        outcomes = []
        for r, contact in recipients:
            await pace.turn()
            outcomes.append(await self._one(r, contact, step, version, session))
        return outcomes

    async def _one(
        self,
        r: dict[str, Any],
        contact: dict[str, Any],
        step: Any,
        version: dict[str, Any],
        session: MailSession,
    ) -> tuple[str, str, dict[str, Any]]:
        enrollment = {"contact_id": r["contact_id"], "workflow_id": r["campaign_id"]}
        mail = await self.composer.compose(step, r["_id"], enrollment, contact, version)
        if isinstance(mail, str):
            return r["_id"], "skipped", {"reason": mail}
        raw, sender = self.mailer.message(
            mail.to, mail.subject, mail.text, r["_id"], step.from_, mail.headers, mail.html
        )
        try:
            await session.send(mail.to, raw, sender)
        except aiosmtplib.SMTPResponseException as exc:
            if 500 <= exc.code < 600:  # the relay refuses this email for good
                return r["_id"], "failed", {"reason": f"relay refused: {exc.code} {exc.message}"}
            return self._again(r, f"relay answered {exc.code} {exc.message}")
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            return self._again(r, f"relay unreachable: {exc!r}")
        return r["_id"], "sent", {"sent_at": utcnow(), "subject": mail.subject}

    @staticmethod
    def _again(r: dict[str, Any], why: str) -> tuple[str, str, dict[str, Any]]:
        attempts = r.get("attempts", 0) + 1
        if attempts >= MAX_ATTEMPTS:
            return r["_id"], "failed", {"reason": why, "attempts": attempts}
        return r["_id"], "queued", {"last_error": why, "attempts": attempts}


async def _stop(job: Job) -> str | None:
    requested = await job.requested()
    return {"pause": "paused", "cancel": "cancelled"}.get(requested or "")

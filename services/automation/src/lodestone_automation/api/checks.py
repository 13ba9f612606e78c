"""What saving a workflow definition refuses (webhooks to the inside, senders on other
domains) and how its webhook secrets are kept: write-only, sealed at rest."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from lodestone_common.http import invalid
from lodestone_common.sealing import Sealer

from ..domain.destinations import DestinationPolicy
from ..domain.workflows import SendEmailStep, WebhookStep, WorkflowDefinition, sender_domain
from ..runner import Runner
from ..stores import EmailTemplates

# Secrets are write-only: what any read shows instead of a webhook's signing secret. Sent back
# unchanged in a PUT, it keeps the secret the step (same id) has.
MASK = "********"
MAX_SECRET = 200


def masked(definition: dict[str, Any]) -> dict[str, Any]:
    return {
        **definition,
        "steps": [
            {**step, "secret": MASK} if step.get("type") == "webhook" else step
            for step in definition.get("steps", [])
        ],
    }


async def check_definition(body: WorkflowDefinition, runner: Runner) -> None:
    """What this installation refuses to save (and so to validate): webhooks to the inside,
    senders on other domains, email templates (or versions) that do not exist; 422 naming
    the step."""
    check_destinations(body, runner.performer.policy)
    check_senders(body, runner.settings.sender_domains())
    await check_templates(body, runner.performer.automation.stores.email_templates)


async def check_templates(body: WorkflowDefinition, templates: EmailTemplates) -> None:
    for index, step in enumerate(body.steps):
        if isinstance(step, SendEmailStep) and step.template_id is not None:
            if await templates.version(step.template_id, step.template_version) is None:
                version = f" version {step.template_version}" if step.template_version else ""
                raise invalid(
                    "body",
                    f"steps.{index}.template_id",
                    f"no email template {step.template_id!r}{version}",
                )


def check_senders(body: WorkflowDefinition, allowed: set[str]) -> None:
    """An email step's sender on a domain this installation sends from, or 422."""
    for index, step in enumerate(body.steps):
        if isinstance(step, SendEmailStep) and step.from_:
            domain = sender_domain(step.from_)
            if domain not in allowed:
                raise invalid(
                    "body",
                    f"steps.{index}.from",
                    f"{domain} is not a sending domain here (allowed: "
                    f"{', '.join(sorted(allowed))}; LODESTONE_MAIL_SENDER_DOMAINS adds more)",
                )


def check_destinations(body: WorkflowDefinition, policy: DestinationPolicy) -> None:
    """Webhook URLs given as an address the policy refuses: 422 when saving, not at run time."""
    for index, step in enumerate(body.steps):
        if isinstance(step, WebhookStep):
            why = policy.literal_refusal(urlsplit(step.url).hostname or "")
            if why:
                raise invalid(
                    "body",
                    f"steps.{index}.url",
                    f"refused by policy: {why} (webhooks may not call "
                    "this machine or a private network unless "
                    "LODESTONE_WEBHOOK_ALLOWED_NETWORKS allows it)",
                )


def seal_secrets(body: WorkflowDefinition, current: dict[str, Any] | None, sealer: Sealer) -> None:
    """Webhook secrets as they are stored: a masked one is the stored step's (of the same id,
    else 422), a new one is sealed (encrypted, so the database never holds it readable)."""
    keep_secrets(body, current)
    stored = _stored(current)
    for index, step in enumerate(body.steps):
        if isinstance(step, WebhookStep) and step.secret != stored.get(step.id):
            if sealer.is_sealed(step.secret) or len(step.secret) > MAX_SECRET:
                raise invalid(
                    "body",
                    f"steps.{index}.secret",
                    f"8 to {MAX_SECRET} characters of your own",
                )
            step.secret = sealer.seal(step.secret)


def _stored(current: dict[str, Any] | None) -> dict[str, str]:
    return {
        step.get("id"): step.get("secret")
        for step in (current or {}).get("definition", {}).get("steps", [])
        if step.get("type") == "webhook"
    }


def keep_secrets(body: WorkflowDefinition, current: dict[str, Any] | None) -> None:
    """Fill each masked secret from the stored step of the same id; 422 when there is none."""
    stored = _stored(current)
    for index, step in enumerate(body.steps):
        if isinstance(step, WebhookStep) and step.secret == MASK:
            if not stored.get(step.id):
                raise invalid(
                    "body",
                    f"steps.{index}.secret",
                    f"{MASK} keeps an existing step's secret; step "
                    f"{step.id!r} has none: give its secret",
                )
            step.secret = stored[step.id]

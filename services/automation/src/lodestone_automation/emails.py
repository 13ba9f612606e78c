"""What a workflow's email step sends to one contact: inline text or an email template's HTML
and text, with signed click-tracking links and an open pixel (unless tracking is off), an
unsubscribe link always, and RFC 8058's one-click unsubscribe headers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .domain.email_templates import Compiled, TemplateProblem
from .domain.email_templates import render as render_template
from .domain.templates import (
    render,
    track_html_links,
    track_links,
    with_html_extras,
    with_unsubscribe,
)
from .domain.workflows import SendEmailStep
from .links import LinkSigner
from .settings import AutomationSettings
from .stores import EmailTemplates


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str | None
    headers: dict[str, str]
    detail: dict[str, Any] = field(default_factory=dict)  # what the action record keeps


class Composer:
    def __init__(
        self, settings: AutomationSettings, links: LinkSigner, templates: EmailTemplates
    ) -> None:
        self.settings = settings
        self.links = links
        self.templates = templates

    async def compose(
        self,
        step: SendEmailStep,
        key: str,
        enrollment: dict[str, Any],
        contact: dict[str, Any],
        version: dict[str, Any] | None = None,
    ) -> Email | str:
        """The email for this contact, or why there is none to send. `version`: the template
        version already read (a campaign reads it once for every recipient)."""
        base = self.settings.public_url
        token = self.links.sign(enrollment["contact_id"], enrollment["workflow_id"], key)
        unsubscribe = f"{base}/unsubscribe/{token}"
        tracking = self.settings.email_tracking
        links = {"unsubscribe_url": unsubscribe, "open_url": f"{base}/t/open/{token}"}
        keep = (f"{base}/unsubscribe/", f"{base}/t/")

        def tracked(url: str) -> str:  # a signed click-tracking redirect to where it pointed
            return self.links.click_url(base, token, url) if tracking else url

        html = None
        detail: dict[str, Any] = {"to": contact["email"]}
        if step.template_id is not None:
            if version is None:
                version = await self.templates.version(step.template_id, step.template_version)
            if version is None:
                return f"email template {step.template_id!r} is gone"
            compiled = Compiled.saved(version)
            try:
                mail = render_template(compiled, contact, {"unsubscribe_url": unsubscribe})
            except TemplateProblem as exc:
                return f"email template {step.template_id!r} does not render for them: {exc}"
            subject, text = mail.subject, track_links(mail.text, tracked, keep)
            html = track_html_links(mail.html, tracked, keep)
            html = with_html_extras(html, unsubscribe, links["open_url"] if tracking else None)
            detail["template"] = f"{step.template_id}@{version['version']}"
        else:
            assert step.subject is not None and step.body is not None  # the step's validator
            text = track_links(render(step.body, contact, links), tracked, keep)
            subject = render(step.subject, contact, links)
        detail["subject"] = subject
        # RFC 8058 one-click unsubscribe, as Gmail and Yahoo require of bulk senders.
        headers = {
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
        return Email(
            contact["email"], subject, with_unsubscribe(text, unsubscribe), html, headers, detail
        )

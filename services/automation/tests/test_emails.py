"""What an email step sends: inline text or a template's HTML, tracked, with a way out."""

from __future__ import annotations

from typing import Any

from lodestone_automation.domain.email_templates import TemplateDraft, compile_draft
from lodestone_automation.domain.templates import track_html_links
from lodestone_automation.domain.workflows import SendEmailStep
from lodestone_automation.emails import Composer, Email
from lodestone_automation.perform import link_signer
from lodestone_automation.settings import AutomationSettings

MJML = """<mjml><mj-body><mj-section><mj-column>
<mj-text>Hi {{ first_name or "there" }}, <a href="https://example.com/a?x=1&y=2">read</a></mj-text>
</mj-column></mj-section></mj-body></mjml>"""
ENROLLMENT = {"contact_id": "c_1", "workflow_id": "wf_1"}
CONTACT = {"_id": "c_1", "email": "ada@example.com", "first_name": "Ada"}


class Versions:
    """The template store, in memory: version documents by (template, number)."""

    def __init__(self, *versions: dict[str, Any]) -> None:
        self.versions = {(v["template_id"], v["version"]): v for v in versions}

    async def version(self, template_id: str, number: int | None = None) -> dict[str, Any] | None:
        found = [
            v for (t, n), v in self.versions.items() if t == template_id and number in (None, n)
        ]
        return max(found, key=lambda v: v["version"]) if found else None


def stored(version: int, subject: str) -> dict[str, Any]:
    compiled = compile_draft(TemplateDraft(name="t", subject=subject, mjml=MJML))
    return {"template_id": "tpl_1", "version": version, "subject": subject, "html": compiled.html}


def composer(tracking: bool = True) -> Composer:
    settings = AutomationSettings(email_tracking=tracking, public_url="https://go.example")
    versions = Versions(stored(1, "Old {{ first_name }}"), stored(2, "New {{ first_name }}"))
    return Composer(settings, link_signer(settings), versions)  # type: ignore[arg-type]


async def test_a_template_email_has_tracked_links_a_pixel_and_a_way_out() -> None:
    step = SendEmailStep(id="s", type="send_email", template_id="tpl_1")
    mail = await composer().compose(step, "k1", ENROLLMENT, CONTACT)
    assert isinstance(mail, Email) and mail.subject == "New Ada"  # the latest version
    assert mail.html is not None and "https://go.example/t/click/" in mail.html
    assert 'href="https://example.com/a' not in mail.html  # every link tracked
    assert 'src="https://go.example/t/open/' in mail.html  # the open pixel
    assert "https://go.example/unsubscribe/" in mail.html  # added: the template had none
    assert "https://go.example/t/click/" in mail.text and "Unsubscribe: https://go" in mail.text
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail.detail["template"] == "tpl_1@2"
    pinned = SendEmailStep(id="s", type="send_email", template_id="tpl_1", template_version=1)
    old = await composer().compose(pinned, "k1", ENROLLMENT, CONTACT)
    assert isinstance(old, Email) and old.subject == "Old Ada"


async def test_tracking_off_leaves_links_alone_and_adds_no_pixel() -> None:
    step = SendEmailStep(id="s", type="send_email", template_id="tpl_1")
    mail = await composer(tracking=False).compose(step, "k1", ENROLLMENT, CONTACT)
    assert isinstance(mail, Email) and mail.html is not None
    assert 'href="https://example.com/a?x=1&amp;y=2"' in mail.html and "/t/" not in mail.html
    assert "https://go.example/unsubscribe/" in mail.html  # the way out stays
    inline = SendEmailStep(id="s", type="send_email", subject="Hi", body="See https://a.example")
    text = await composer(tracking=False).compose(inline, "k2", ENROLLMENT, CONTACT)
    assert isinstance(text, Email) and "See https://a.example" in text.text and text.html is None


async def test_a_missing_template_is_a_reason_not_an_email() -> None:
    step = SendEmailStep(id="s", type="send_email", template_id="tpl_gone")
    assert "is gone" in str(await composer().compose(step, "k1", ENROLLMENT, CONTACT))


def test_html_links_are_unescaped_to_sign_and_escaped_back() -> None:
    html = '<a class="b" href="https://x.example/?a=1&amp;b=2">x</a> <a href="mailto:a@b.c">m</a>'
    seen: list[str] = []

    def tracked(url: str) -> str:
        seen.append(url)
        return f"https://t.example/c?u={url}&s=1"

    out = track_html_links(html, tracked)
    assert seen == ["https://x.example/?a=1&b=2"]  # mailto: is not a web link
    assert 'href="https://t.example/c?u=https://x.example/?a=1&amp;b=2&amp;s=1"' in out

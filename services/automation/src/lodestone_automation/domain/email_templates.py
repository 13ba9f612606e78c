"""Email templates: MJML for the layout, Jinja (sandboxed, autoescaped) for the personal parts.

MJML (through MRML, a Rust port, as `mjml-python`) turns a few tags into the table-based,
client-proof HTML that email needs; Jinja's sandbox runs what a marketer writes without
letting it reach Python, escapes every field into the HTML, and gives fallbacks
(`{{ first_name or "there" }}`) and conditionals (`{% if company %}…{% endif %}`, inside a
text block). A field the contact does not have renders empty; a field no contact can have is
refused when the template is saved, never a blank in a sent email.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from inscriptis import get_text
from inscriptis.model.config import ParserConfig
from jinja2 import StrictUndefined, Template, TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment
from mjml import mjml2html
from pydantic import BaseModel, ConfigDict, Field

from lodestone_common.events import ContactSnapshot

# What a template may name: the contact's fields (as automation keeps them), its custom
# fields as `custom.<name>`, and what each email brings along.
CONTACT_FIELDS = frozenset(ContactSnapshot.model_fields) | {
    "company_size",
    "industry",
    "score",
    "grade",
}
EMAIL_FIELDS = frozenset({"unsubscribe_url"})
KNOWN = CONTACT_FIELDS | EMAIL_FIELDS
# A sample contact for validation renders and previews without one.
SAMPLE = {"first_name": "Ada", "last_name": "Lovelace", "company": "Analytical Engines"}


def _blank_none(value: Any) -> Any:
    return "" if value is None else value


_HTML = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined, finalize=_blank_none)
_TEXT = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined, finalize=_blank_none)


class TemplateDraft(BaseModel):
    """What a marketer writes: a name, a subject line and the MJML body; a text part of
    their own, or one made from the HTML."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    subject: str = Field(min_length=1, max_length=300)
    mjml: str = Field(min_length=1, max_length=200_000, description="the body, in MJML")
    text: str | None = Field(
        None, max_length=100_000, description="the plain-text part; made from the HTML if none"
    )


class TemplateProblem(ValueError):
    """Where a template is wrong, as a field (subject, mjml, text) and a message."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Compiled:
    subject: str
    html: str
    text: str | None
    fields: frozenset[str]

    @classmethod
    def saved(cls, version: dict[str, Any]) -> Compiled:
        """A version as saved (checked and compiled when it was): ready to render."""
        return cls(version["subject"], version["html"], version.get("text"), frozenset())


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


def _names(env: SandboxedEnvironment, source: str, field: str) -> set[str]:
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(field, f"line {exc.lineno}: {exc.message}") from exc
    names = meta.find_undeclared_variables(tree)
    unknown = sorted(names - KNOWN)
    if unknown:
        raise TemplateProblem(
            field,
            f"unknown field {', '.join(repr(n) for n in unknown)}; a template may use "
            f"{', '.join(sorted(KNOWN))} and custom.<name>",
        )
    return names


def compile_draft(draft: TemplateDraft) -> Compiled:
    """The draft checked (Jinja syntax and fields, MJML) and its body compiled to HTML once;
    TemplateProblem names what is wrong and where."""
    if "\r" in draft.subject or "\n" in draft.subject:
        raise TemplateProblem("subject", "is one line (no CR or LF)")
    fields = _names(_TEXT, draft.subject, "subject") | _names(_HTML, draft.mjml, "mjml")
    if draft.text is not None:
        fields |= _names(_TEXT, draft.text, "text")
    try:
        html = mjml2html(draft.mjml, disable_comments=True)
    except ValueError as exc:
        raise TemplateProblem("mjml", f"not valid MJML: {exc}") from exc
    if not re.search(r"<body", html):
        raise TemplateProblem("mjml", "has no <mjml><mj-body> to render")
    _names(_HTML, html, "mjml")  # what MJML made of the Jinja parts still parses
    compiled = Compiled(draft.subject, html, draft.text, frozenset(fields))
    render(compiled, SAMPLE, {"unsubscribe_url": "https://example.invalid/u"})  # runs cleanly
    return compiled


def context_of(contact: dict[str, Any], extra: dict[str, str]) -> dict[str, Any]:
    """Every known field present (None when the contact lacks it), custom fields as a map."""
    values: dict[str, Any] = dict.fromkeys(KNOWN)
    values.update({k: v for k, v in contact.items() if k in CONTACT_FIELDS})
    values["custom"] = contact.get("custom") if isinstance(contact.get("custom"), dict) else {}
    values.update(extra)
    return values


class _Custom(dict):  # type: ignore[type-arg]
    """`custom.plan` reads None for a custom field the contact does not have."""

    def __getattr__(self, name: str) -> Any:
        return self.get(name)


_LINKS = ParserConfig(display_links=True)


def text_of(html: str) -> str:
    """The plain-text part of an HTML email: its text as laid out, links as `[text](url)`,
    no trailing blanks, at most one empty line in a row."""
    lines = [line.strip() for line in get_text(html, _LINKS).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


@lru_cache(maxsize=128)
def _template(kind: str, source: str) -> Template:
    """Compiled once per source: a campaign renders one template for every recipient."""
    return (_HTML if kind == "html" else _TEXT).from_string(source)


def render(compiled: Compiled, contact: dict[str, Any], extra: dict[str, str]) -> Rendered:
    """The email for one contact: subject, HTML and text parts."""
    values = context_of(contact, extra)
    values["custom"] = _Custom(values["custom"])
    try:
        subject = _template("text", compiled.subject).render(values)
        html = _template("html", compiled.html).render(values)
        text = (
            _template("text", compiled.text).render(values)
            if compiled.text is not None
            else text_of(html)
        )
    except Exception as exc:  # a sandbox refusal, a filter on a wrong type: the template's fault
        raise TemplateProblem("mjml", f"does not render: {exc}") from exc
    return Rendered(" ".join(subject.split()), html, text)

"""Personalized email text: `{{first_name}}`, `{{company|your team}}`, `{{unsubscribe_url}}`."""

from __future__ import annotations

import re
from typing import Any

_FIELD = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_.]*)\s*(?:\|\s*([^}]*?)\s*)?\}\}")


def render(template: str, contact: dict[str, Any], extra: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2) or ""
        if name in extra:
            return extra[name]
        found: Any = contact
        for part in name.split("."):
            found = found.get(part) if isinstance(found, dict) else None
        return str(found) if found not in (None, "") else default

    return _FIELD.sub(value, template)


def with_unsubscribe(body: str, url: str) -> str:
    """Every marketing email carries an unsubscribe link, whether the template has one or not."""
    if url in body:
        return body
    return f"{body}\n\n--\nUnsubscribe: {url}\n"

"""Personalized email text: `{{first_name}}`, `{{company|your team}}`, `{{unsubscribe_url}}`."""

from __future__ import annotations

import re
from collections.abc import Callable
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


_URL = re.compile(r"""https?://[^\s<>"')\]]+""")


def track_links(body: str, tracked: Callable[[str], str], keep: tuple[str, ...] = ()) -> str:
    """Every http(s) link in `body` replaced by `tracked(link)`, except those starting with
    one of `keep` (the email's own unsubscribe and open links). A trailing full stop or comma
    is punctuation, not part of the link."""

    def swap(match: re.Match[str]) -> str:
        url = match.group(0)
        tail = ""
        while url and url[-1] in ".,;:!?":
            url, tail = url[:-1], url[-1] + tail
        return url + tail if url.startswith(keep) else tracked(url) + tail

    return _URL.sub(swap, body)


def with_unsubscribe(body: str, url: str) -> str:
    """Every marketing email carries an unsubscribe link, whether the template has one or not."""
    if url in body:
        return body
    return f"{body}\n\n--\nUnsubscribe: {url}\n"

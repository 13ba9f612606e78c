"""Personalized inline email text (`{{first_name}}`, `{{company|your team}}`,
`{{unsubscribe_url}}`) and what every email gets, text or HTML: tracked links and a way out."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape, unescape
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


_HREF = re.compile(r"""(<a\b[^>]*?\bhref\s*=\s*)(["'])(https?://[^"']+)\2""", re.IGNORECASE)


def track_html_links(html: str, tracked: Callable[[str], str], keep: tuple[str, ...] = ()) -> str:
    """Every http(s) link of an HTML email (`<a href>`) replaced by `tracked(link)`, except
    those starting with one of `keep`; the URLs are unescaped to sign and escaped back."""

    def swap(match: re.Match[str]) -> str:
        url = unescape(match.group(3))
        target = url if url.startswith(keep) else tracked(url)
        quote = match.group(2)
        return f"{match.group(1)}{quote}{escape(target, quote=True)}{quote}"

    return _HREF.sub(swap, html)


def with_html_extras(html: str, unsubscribe_url: str, open_url: str | None) -> str:
    """An HTML email with an unsubscribe link (added as a footer when the template has none)
    and, when tracking opens, a one-pixel image that reports the open."""
    extras = ""
    if escape(unsubscribe_url, quote=True) not in html and unsubscribe_url not in html:
        extras += (
            '<p style="font:12px sans-serif;color:#888;text-align:center">'
            f'<a href="{escape(unsubscribe_url, quote=True)}">Unsubscribe</a></p>'
        )
    if open_url:
        extras += (
            f'<img src="{escape(open_url, quote=True)}" width="1" height="1" alt="" '
            'style="display:block;border:0">'
        )
    at = html.lower().rfind("</body>")
    return html[:at] + extras + html[at:] if at >= 0 else html + extras

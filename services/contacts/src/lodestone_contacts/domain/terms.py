"""Free-text search terms: the words of a contact's name, company and emails, folded to
lower case without accents, so `q=ada acme` finds Ada Lovelace at ACME by word prefixes
through one multikey index instead of a scan of every record."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

TERM_FIELDS = frozenset({"first_name", "last_name", "company", "email", "emails"})
MAX_TERM = 64  # longer words are cut: a prefix query never needs more
MAX_TERMS = 60  # per contact; names and a few addresses fit with room to spare
MAX_QUERY_WORDS = 5
_WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _words(text: str) -> list[str]:
    return [w[:MAX_TERM] for w in _WORD.findall(fold(text))]


def terms_of(fields: Mapping[str, Any]) -> list[str]:
    """The terms for these fields (a whole document, or only the fields a write changes)."""
    found: set[str] = set()
    for name in sorted(TERM_FIELDS):
        value = fields.get(name)
        values: Iterable[Any] = value if isinstance(value, list) else [value]
        for item in values:
            if not isinstance(item, str) or not item:
                continue
            found.update(_words(item))
            if "@" in item:  # the whole address too, so `ada@acme` narrows to it
                found.add(fold(item)[:MAX_TERM])
    return sorted(found)[:MAX_TERMS]


def query_words(q: str) -> list[str]:
    """What each searched word must be a prefix of; an address is searched whole."""
    words: list[str] = []
    for piece in q.split():
        words += [fold(piece)[:MAX_TERM]] if "@" in piece else _words(piece)
    if not words:
        raise ValueError("q: give at least one letter or digit to search for")
    if len(words) > MAX_QUERY_WORDS:
        raise ValueError(f"q: at most {MAX_QUERY_WORDS} words")
    return words


def terms_query(q: str) -> list[dict[str, Any]]:
    """One prefix range per word, all of which must match (a MongoDB `$and`). `$elemMatch`
    because on an array `$gte` and `$lt` may otherwise hold for two different elements."""
    return [{"terms": {"$elemMatch": {"$gte": w, "$lt": w + "\U0010ffff"}}} for w in query_words(q)]

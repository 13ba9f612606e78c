"""Possible duplicates: same email or phone, or a similar name at the same company."""

from __future__ import annotations

import unicodedata
from difflib import SequenceMatcher
from typing import Any

NAME_SIMILARITY = 0.85


def _fold(text: str | None) -> str:
    """Lower-case, accents and punctuation dropped: 'José  O'Neil' ~ 'jose oneil'."""
    if not text:
        return ""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join("".join(c for c in plain.lower() if c.isalnum() or c.isspace()).split())


def full_name(contact: dict[str, Any]) -> str:
    return _fold(f"{contact.get('first_name') or ''} {contact.get('last_name') or ''}")


def duplicate_reasons(contact: dict[str, Any], other: dict[str, Any]) -> list[str]:
    reasons: list[str] = []
    if set(contact.get("emails", [])) & set(other.get("emails", [])):
        reasons.append("same email")
    if set(contact.get("phones", [])) & set(other.get("phones", [])):
        reasons.append("same phone")
    name, other_name = full_name(contact), full_name(other)
    company = _fold(contact.get("company"))
    if company and company == _fold(other.get("company")) and name and other_name:
        similarity = SequenceMatcher(None, name, other_name).ratio()
        if similarity >= NAME_SIMILARITY:
            reasons.append(f"similar name at the same company ({similarity:.0%})")
    return reasons

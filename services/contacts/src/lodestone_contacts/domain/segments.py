"""Segment membership: does a contact document match a filter? The in-memory twin of
`ContactFilter.to_mongo`, so membership is decided on every change without a query."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .search import EQUALITY_FIELDS, ContactFilter


def _equal(stored: Any, wanted: str) -> bool:
    """Custom-field equality with the same coercions as the search query."""
    if stored == wanted:
        return True
    if wanted in ("true", "false"):
        return stored is (wanted == "true")
    if isinstance(stored, bool):
        return False
    try:
        return isinstance(stored, int | float) and float(stored) == float(wanted)
    except ValueError:
        return False


def _at_least(value: Any, bound: datetime) -> bool:
    return isinstance(value, datetime) and value >= bound


def matches(flt: ContactFilter, doc: dict[str, Any], now: datetime | None = None) -> bool:
    """Whether the record matches the filter at `now` (default: the present)."""
    return _matches(flt, doc, now or datetime.now(UTC))


def _matches(flt: ContactFilter, doc: dict[str, Any], now: datetime) -> bool:
    if doc.get("merged_into") or doc.get("erased"):
        return False
    if flt.stage and doc.get("lifecycle_stage") not in flt.stage:
        return False
    if flt.tags and not set(flt.tags) <= set(doc.get("tags") or []):
        return False
    for name in EQUALITY_FIELDS:
        wanted = getattr(flt, name)
        if wanted is not None and doc.get(name) != wanted:
            return False
    for name, (low, high) in flt.ranges().items():
        if low is None and high is None:
            continue
        value = doc.get(name)
        if not isinstance(value, int | float) or isinstance(value, bool):
            return False
        if (low is not None and value < low) or (high is not None and value > high):
            return False
    if flt.email and flt.email not in (doc.get("emails") or []):
        return False
    if flt.phone and flt.phone not in (doc.get("phones") or []):
        return False
    if flt.score_band and doc.get("score_band") not in flt.score_band:
        return False
    if flt.grade and doc.get("grade") not in flt.grade:
        return False
    if flt.min_score is not None:
        score = doc.get("score")
        if not isinstance(score, int | float) or score < flt.min_score:
            return False
    created = doc.get("created_at")
    if flt.created_after and not _at_least(created, flt.created_after):
        return False
    if flt.created_before and not (isinstance(created, datetime) and created < flt.created_before):
        return False
    if flt.active_after and not _at_least(doc.get("last_activity_at"), flt.active_after):
        return False
    custom = doc.get("custom") or {}
    for name, wanted in flt.custom.items():
        if name not in custom or not _equal(custom[name], wanted):
            return False
    if flt.segment and flt.segment not in (doc.get("segments") or []):
        return False
    activity = doc.get("activity") or {}
    if not all(activity.get(kind, 0) >= n for kind, n in flt.min_activity.items()):
        return False
    if not all(c.holds(doc, now) for c in (*flt.purchased, *flt.dates)):
        return False
    if flt.any_of and not any(_matches(f, doc, now) for f in flt.any_of):
        return False
    return not any(_matches(f, doc, now) for f in flt.none_of)


def membership_change(
    doc: dict[str, Any], segments: dict[str, ContactFilter], now: datetime | None = None
) -> tuple[list[str], list[str]]:
    """(joined, left) segment ids for a contact given every segment's filter."""
    current = set(doc.get("segments") or [])
    inside = {sid for sid, flt in segments.items() if matches(flt, doc, now)}
    return sorted(inside - current), sorted(current & set(segments) - inside)


def next_review(
    doc: dict[str, Any], segments: dict[str, ContactFilter], now: datetime
) -> datetime | None:
    """When time alone may next change this record's membership of any of these segments."""
    found = [m for flt in segments.values() if (m := flt.flips(doc, now)) is not None]
    return min(found) if found else None

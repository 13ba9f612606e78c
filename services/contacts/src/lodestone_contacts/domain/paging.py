"""Paging through contacts: keyset cursors in `_id` order or in a chosen sort."""

from __future__ import annotations

import base64
from datetime import datetime
from json import dumps as _dumps
from json import loads as json_loads
from typing import Any


def json_dumps(value: Any) -> bytes:
    return _dumps(value).encode()


SORTS = ("created_at", "last_activity_at", "score", "last_name", "company")


def sort_key(sort: str | None) -> tuple[str, int] | None:
    """(field, 1 or -1) of a `sort` parameter (`score`, `-score`, …); None for the default."""
    if not sort:
        return None
    field = sort.removeprefix("-")
    if field not in SORTS:
        raise ValueError(f"sort: one of {', '.join(SORTS)}, with - for descending")
    return field, -1 if sort.startswith("-") else 1


def after_sorted(field: str, direction: int, value: Any, last_id: str) -> dict[str, Any]:
    """Keyset paging in (field, _id) order: what comes after the last row. Missing values
    sort first ascending and last descending, as the database orders them."""
    if value is None:
        if direction == 1:
            return {"$or": [{field: None, "_id": {"$gt": last_id}}, {field: {"$ne": None}}]}
        return {field: None, "_id": {"$lt": last_id}}
    if direction == 1:
        return {"$or": [{field: {"$gt": value}}, {field: value, "_id": {"$gt": last_id}}]}
    return {
        "$or": [{field: {"$lt": value}}, {field: value, "_id": {"$lt": last_id}}, {field: None}]
    }


def encode_sorted_cursor(value: Any, last_id: str) -> str:
    raw = json_dumps([value.isoformat() if isinstance(value, datetime) else value, last_id])
    return "s" + base64.urlsafe_b64encode(raw).decode()


def decode_sorted_cursor(cursor: str, field: str) -> tuple[Any, str]:
    try:
        value, last_id = json_loads(base64.urlsafe_b64decode(cursor[1:].encode()))
        if field in ("created_at", "last_activity_at") and value is not None:
            value = datetime.fromisoformat(value)
        return value, str(last_id)
    except Exception as exc:
        raise ValueError("cursor: not a cursor of this sort") from exc


def encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode()).decode()


def decode_cursor(cursor: str) -> str:
    try:
        decoded = base64.b64decode(cursor.encode(), altchars=b"-_", validate=True).decode()
    except Exception as exc:
        raise ValueError("cursor: not a cursor from this API") from exc
    if not decoded:
        raise ValueError("cursor: not a cursor from this API")
    return decoded

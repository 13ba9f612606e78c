"""A contact's purchase history, summed on the record as orders arrive, so segments can ask
"bought product X", "in category Y", "spent at least Z" and "in the last N days" with an
indexed query and decide membership in memory, never reading the timeline.

On the record (`purchases`): orders, first and last order time and money spent per currency,
and the same per product (its SKU, else its name: as reporting names products; `title` the
name its latest order gave it) and per category (as the order's item gave it). Product and
category names are keys of the stored document, escaped so a dot or a dollar in a SKU stays
one key.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

# A record keeps at most this many products and categories each: a contact buying more is
# a reseller feed, not a person (their totals still count every order).
MAX_KEYS = 500


def product_of(item: dict[str, Any]) -> str:
    """An item's product: its SKU, else its name (reporting's product key)."""
    return str(item.get("sku") or item["name"])[:100]


def escape(name: str) -> str:
    """A name as one document key: `.` and `$` would otherwise be paths and operators."""
    return name.replace("%", "%25").replace(".", "%2E").replace("$", "%24")


def unescape(key: str) -> str:
    return key.replace("%24", "$").replace("%2E", ".").replace("%25", "%")


def _money(value: Any) -> float:
    try:
        return round(float(value), 2)
    except (TypeError, ValueError):
        return 0.0


def purchase_update(
    orders: list[tuple[dict[str, Any], datetime]], held: dict[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """The update operators (`$inc`, `$max`, `$min`, `$set` for product names) adding these
    orders (their normalised properties and when each was made) to a record's `purchases`.
    `held` is the record's summary, when known, to stop adding keys past MAX_KEYS."""
    inc: dict[str, float] = defaultdict(float)
    latest: dict[str, datetime] = {}
    titles: dict[str, tuple[datetime, str]] = {}  # a product's name as its latest order says
    first: datetime | None = None
    held = held or {}
    room = {kind: MAX_KEYS - len(held.get(kind) or {}) for kind in ("products", "categories")}
    added: dict[str, set[str]] = {"products": set(), "categories": set()}

    def later(path: str, at: datetime) -> None:
        if path not in latest or at > latest[path]:
            latest[path] = at

    for props, at in orders:
        currency = str(props.get("currency") or "USD")
        inc["purchases.orders"] += 1
        inc[f"purchases.spent.{currency}"] += _money(props.get("amount"))
        later("purchases.last_at", at)
        first = at if first is None or at < first else first
        seen: set[str] = set()  # an order counts once per product and category it holds
        for item in props.get("items") or []:
            if not isinstance(item, dict) or not item.get("name"):
                continue
            quantity = item.get("quantity") if isinstance(item.get("quantity"), int) else 1
            keys = [("products", product_of(item))]
            if isinstance(item.get("category"), str) and item["category"].strip():
                keys.append(("categories", item["category"].strip()[:100]))
            for kind, name in keys:
                known = name in (held.get(kind) or {}) or name in added[kind]
                if not known:
                    if room[kind] <= 0:
                        continue
                    room[kind] -= 1
                    added[kind].add(name)
                base = f"purchases.{kind}.{escape(name)}"
                if base not in seen:
                    seen.add(base)
                    inc[f"{base}.orders"] += 1
                inc[f"{base}.units"] += quantity
                inc[f"{base}.spent.{currency}"] += _money(_money(item.get("price")) * quantity)
                later(f"{base}.last_at", at)
                if kind == "products" and (base not in titles or at >= titles[base][0]):
                    titles[base] = (at, str(item["name"])[:200])
    if first is None:
        return {}
    ops: dict[str, dict[str, Any]] = {
        "$inc": {k: round(v, 2) if isinstance(v, float) else v for k, v in inc.items()},
        "$max": latest,
        "$min": {"purchases.first_at": first},
    }
    if titles:
        ops["$set"] = {f"{base}.title": name for base, (_, name) in titles.items()}
    return ops


def _merged_line(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    spent = defaultdict(float, a.get("spent") or {})
    for currency, amount in (b.get("spent") or {}).items():
        spent[currency] = round(spent[currency] + amount, 2)
    line = {
        **a,
        **b,
        "orders": a.get("orders", 0) + b.get("orders", 0),
        "spent": dict(spent),
    }
    if "units" in a or "units" in b:
        line["units"] = a.get("units", 0) + b.get("units", 0)
    if a.get("title") and b.get("title"):  # the name of the later order
        later_a = a.get("last_at") and b.get("last_at") and a["last_at"] > b["last_at"]
        line["title"] = a["title"] if later_a else b["title"]
    for name, pick in (("last_at", max), ("first_at", min)):
        values = [v for v in (a.get(name), b.get(name)) if v is not None]
        if values:
            line[name] = pick(values)
    return line


def merge_purchases(a: dict[str, Any] | None, b: dict[str, Any] | None) -> dict[str, Any]:
    """Two records' histories as one (a merge keeps every order of both)."""
    a, b = a or {}, b or {}
    merged = _merged_line(
        {k: v for k, v in a.items() if k not in ("products", "categories")},
        {k: v for k, v in b.items() if k not in ("products", "categories")},
    )
    for kind in ("products", "categories"):
        lines = dict(a.get(kind) or {})
        for key, line in (b.get(kind) or {}).items():
            lines[key] = _merged_line(lines.get(key) or {}, line)
        if lines:
            merged[kind] = lines
    return merged


def readable_history(stored: dict[str, Any] | None) -> dict[str, Any] | None:
    """The stored summary as the API shows it: products and categories as lists, by name."""
    if not stored:
        return None

    def lines(kind: str) -> list[dict[str, Any]]:
        found = [{"name": unescape(key), **line} for key, line in (stored.get(kind) or {}).items()]
        return sorted(found, key=lambda line: (-line.get("orders", 0), line["name"]))

    return {
        "orders": stored.get("orders", 0),
        "first_at": stored.get("first_at"),
        "last_at": stored.get("last_at"),
        "spent": stored.get("spent") or {},
        "products": lines("products"),
        "categories": lines("categories"),
    }

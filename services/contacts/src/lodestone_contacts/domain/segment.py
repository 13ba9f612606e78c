"""Segment's Tracking API spec, mapped onto Lodestone's ingestion contract.

Segment's SDKs (and RudderStack's, Jitsu's) send `track`, `identify`, `page`, `screen`, `group`
and `alias` messages (https://segment.com/docs/connections/spec/). Each maps onto one
`IngestEvent`; anything Lodestone has no use for is tolerated and dropped:

- `messageId` is the dedup key (a hash of the message when it has none);
- `userId` is the external id, `anonymousId` the anonymous id, `traits.email` (or
  `context.traits.email`) the email;
- when: `timestamp`, else `receivedAt - (sentAt - originalTimestamp)` (Segment's correction
  for a device's skewed clock), else the original timestamp, else when it was received;
- `context.ip`, `context.userAgent`, `context.page.{url,referrer,path}` and
  `context.campaign.{source,medium,name,term,content}` are kept on the interaction; the UTM
  source (else medium) becomes the contact's lead source if it has none yet (first touch);
- an identify's traits may come in `context.traits` too (RudderStack's SDKs put them there);
- `screen` is a track named "Screen Viewed"; `group` sets the contact's company traits;
  `alias` links `previousId` as an anonymous id of `userId` (two known people are still never
  merged implicitly); `integrations: {"Lodestone": false}` (or `All: false` without
  `Lodestone: true`) skips the message.

Pure: no I/O, testable on plain dicts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import ValidationError

from lodestone_common.ingest import IngestEvent
from lodestone_common.limits import json_bytes

TYPES = ("track", "identify", "page", "screen", "group", "alias")
# analytics.js's short paths: /v1/t, /v1/i, ...
SHORT_PATHS = {
    "t": "track",
    "i": "identify",
    "p": "page",
    "s": "screen",
    "g": "group",
    "a": "alias",
}
MAX_MESSAGE_BYTES = 32 * 1024  # Segment's own limit per message
MAX_REQUEST_BYTES = 500 * 1024  # and per batch request
MAX_MESSAGES = 2500  # 500 KB of the smallest messages anyone sends

_CAMPAIGN = {
    "source": "utm_source",
    "medium": "utm_medium",
    "name": "utm_campaign",
    "term": "utm_term",
    "content": "utm_content",
}
_GROUP_TRAITS = {"name": "company", "employees": "company_size", "industry": "industry"}


class Rejected(ValueError):
    """A message that cannot be ingested, with the reason."""


@dataclass(frozen=True)
class Skipped:
    """A message its sender asked Lodestone to leave alone."""


def message_id(message: dict[str, Any]) -> str:
    given = message.get("messageId")
    if isinstance(given, str | int) and str(given).strip():
        return str(given).strip()[:200]
    canonical = json_bytes(message, sort_keys=True)
    return f"segment-{hashlib.sha256(canonical).hexdigest()[:40]}"


def to_event(
    message: Any,
    received_at: datetime,
    batch_context: dict[str, Any] | None = None,
    default_type: str | None = None,
) -> IngestEvent | Skipped:
    """The ingestion event a Segment message stands for; Rejected says why it cannot be."""
    if not isinstance(message, dict):
        raise Rejected("a message must be a JSON object")
    try:  # strict: what Kafka and the database could never hold is refused here
        size = len(orjson.dumps(message))
    except orjson.JSONEncodeError as exc:
        raise Rejected(f"not storable: {exc}") from exc
    if size > MAX_MESSAGE_BYTES:
        raise Rejected(f"message is {size} bytes; at most {MAX_MESSAGE_BYTES}")
    kind = message.get("type") or default_type
    if kind not in TYPES:
        raise Rejected(f"type must be one of {', '.join(TYPES)}, not {kind!r}")
    if _switched_off(message.get("integrations")):
        return Skipped()
    context = {**_dict(batch_context), **_dict(message.get("context"))}
    context_traits = _dict(context.get("traits"))
    traits = _dict(message.get("traits"))
    if kind == "identify":  # RudderStack's SDKs send an identify's traits in the context
        traits = {**context_traits, **traits}
    email = traits.get("email") or context_traits.get("email")
    contact: dict[str, Any] = {}
    if message.get("userId") not in (None, ""):
        contact["external_id"] = _text(message["userId"])
    if message.get("anonymousId") not in (None, ""):
        contact["anonymous_id"] = _text(message["anonymousId"])
    if isinstance(email, str) and email.strip():
        contact["email"] = email.strip()
    event: dict[str, Any] = {
        "event_id": message_id(message),
        "occurred_at": _when(message, received_at).isoformat(),
        "contact": contact,
        "properties": {**_kept_context(context), **_dict(message.get("properties"))},
    }
    campaign = _dict(context.get("campaign"))
    first_touch = campaign.get("source") or campaign.get("medium")
    if isinstance(first_touch, str) and first_touch.strip():
        event["first_touch_source"] = first_touch.strip()[:100]
    if kind == "track":
        event.update(type="track", name=message.get("event"))
        if not event["name"]:
            raise Rejected("a track message needs `event`")
        if str(event["name"]).strip().lower() == "order completed":
            event["properties"] = _order(event["properties"])
    elif kind == "page":
        event["type"] = "page"
        if message.get("name"):
            event["name"] = _text(message["name"])
    elif kind == "screen":
        event.update(type="track", name="Screen Viewed")
        if message.get("name"):
            event["properties"]["screen"] = _text(message["name"])
    elif kind == "identify":
        event.update(type="identify", traits=reserved_traits(traits))
    elif kind == "group":
        company = {_GROUP_TRAITS[k]: v for k, v in traits.items() if k in _GROUP_TRAITS}
        if message.get("groupId") not in (None, ""):
            company["group_id"] = _text(message["groupId"])
        event.update(type="identify", traits=company)
    else:  # alias: the previous id is the same person, as far as resolution allows
        if message.get("previousId") in (None, ""):
            raise Rejected("an alias message needs `previousId`")
        contact["anonymous_id"] = _text(message["previousId"])
        event["type"] = "identify"
    if not contact:
        raise Rejected("a message needs `userId`, `anonymousId` or an email in its traits")
    try:
        return IngestEvent.model_validate(event)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "message"
        raise Rejected(f"{where}: {first['msg']}") from exc


# Segment's reserved identify traits (https://segment.com/docs/connections/spec/identify/
# #traits) under the names contacts uses; `email` is the identity, `id` repeats the userId.
_RESERVED = {
    "firstName": "first_name",
    "lastName": "last_name",
    "createdAt": "signed_up_at",
    "birthday": "birthday",
    "avatar": "avatar",
    "description": "description",
    "username": "username",
    "website": "website",
}


def reserved_traits(traits: dict[str, Any]) -> dict[str, Any]:
    """An identify's traits with Segment's reserved ones mapped to contact fields: firstName
    and lastName (or `name` split in two when they are not given), `address.country` to the
    country (the rest of the address kept as `address`), `createdAt` as `signed_up_at`;
    `company` may be an object, which the contact's fields take apart."""
    out: dict[str, Any] = {}
    for key, value in traits.items():
        if key in ("email", "id"):
            continue
        out[_RESERVED.get(key, key)] = value
    full = out.pop("name", None)
    if isinstance(full, str) and full.strip():
        first, _, last = full.strip().partition(" ")
        out.setdefault("first_name", first)
        if last.strip():
            out.setdefault("last_name", last.strip())
    elif full is not None:
        out["full_name"] = full
    address = out.get("address")
    if isinstance(address, dict):
        country = address.get("country")
        if isinstance(country, str) and country.strip():
            out.setdefault("country", country.strip())
        rest = {k: v for k, v in address.items() if k != "country"}
        if rest:
            out["address"] = rest
        else:
            out.pop("address")
    return out


def _order(props: dict[str, Any]) -> dict[str, Any]:
    """Segment's e-commerce spec (`total`/`revenue`, `products`) as a purchase's amount and
    items, so revenue reports work from the first order."""
    if "amount" not in props:
        for name in ("total", "revenue", "value"):
            if isinstance(props.get(name), int | float):
                props = {**props, "amount": props[name]}
                break
    if "items" not in props and isinstance(props.get("products"), list):
        items = []
        for product in props["products"]:
            if isinstance(product, dict) and isinstance(product.get("price"), int | float):
                item = {"name": _text(product.get("name") or product.get("sku") or "product")}
                item["price"] = product["price"]
                if isinstance(product.get("quantity"), int) and product["quantity"] >= 1:
                    item["quantity"] = product["quantity"]
                if product.get("sku") not in (None, ""):
                    item["sku"] = _text(product["sku"])
                if isinstance(product.get("category"), str) and product["category"].strip():
                    item["category"] = _text(product["category"])  # "bought in category"
                items.append(item)
        props = {**props, "items": items}
    if isinstance(props.get("currency"), str):
        props = {**props, "currency": props["currency"].upper()}
    return props


def _switched_off(integrations: Any) -> bool:
    if not isinstance(integrations, dict):
        return False
    ours = integrations.get("Lodestone")
    return ours is False or (ours is None and integrations.get("All") is False)


def _when(message: dict[str, Any], received_at: datetime) -> datetime:
    timestamp = _time(message.get("timestamp"))
    if timestamp is not None:
        return timestamp
    original, sent = _time(message.get("originalTimestamp")), _time(message.get("sentAt"))
    if original is not None and sent is not None:
        return received_at - (sent - original)
    return original or received_at


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _kept_context(context: dict[str, Any]) -> dict[str, Any]:
    """What of the context the interaction keeps: where it came from, on which page."""
    kept: dict[str, Any] = {}
    if isinstance(context.get("ip"), str):
        kept["ip"] = context["ip"]
    if isinstance(context.get("userAgent"), str):
        kept["user_agent"] = context["userAgent"][:500]
    page = _dict(context.get("page"))
    for name in ("url", "referrer", "path"):
        if isinstance(page.get(name), str) and page[name]:
            kept[name] = page[name][:2000]
    campaign = _dict(context.get("campaign"))
    for name, key in _CAMPAIGN.items():
        if isinstance(campaign.get(name), str) and campaign[name]:
            kept[key] = campaign[name][:200]
    return kept


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value.strip()[:200] if isinstance(value, str) else str(value)[:200]

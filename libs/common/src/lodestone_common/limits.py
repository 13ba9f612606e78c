"""How large stored input may be, so that every event it later causes fits on Kafka.

Kafka takes records up to ~1 MB (the producer's max_request_size and the broker's
message.max.bytes by default). Anything an API stores that travels in an event is held well
under that at the door, with a 422 that names the field; the outbox parks whatever still
slips through (see outbox.py) rather than block the events behind it.

| what                                                   | limit                    |
|--------------------------------------------------------|--------------------------|
| one value in a free-form map (custom field, property,  | 16 KiB as JSON           |
| trait)                                                 |                          |
| a free-form map whole (a contact's custom fields, an   | 32 KiB as JSON, 200 keys |
| event's properties, an event's traits)                 |                          |
| a request body                                         | 5 MiB (413)              |
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import orjson
from pydantic import AfterValidator

MAX_VALUE_BYTES = 16 * 1024
MAX_MAP_BYTES = 32 * 1024
MAX_MAP_KEYS = 200


def json_bytes(value: Any, sort_keys: bool = False) -> bytes:
    """`value` as JSON, whatever it holds (anything JSON can't say becomes its string)."""
    option = orjson.OPT_NON_STR_KEYS | (orjson.OPT_SORT_KEYS if sort_keys else 0)
    try:
        return orjson.dumps(value, default=str, option=option)
    except orjson.JSONEncodeError:  # an integer past 64 bits, say: encoded all the same
        return json.dumps(value, default=str, ensure_ascii=False, sort_keys=sort_keys).encode()


def json_size(value: Any) -> int:
    """Bytes `value` takes as JSON, as it travels in an event."""
    return len(json_bytes(value))


def check_map(value: dict[str, Any], what: str = "the map") -> dict[str, Any]:
    """`value` if it fits the limits above, else a ValueError that names the key at fault."""
    if len(value) > MAX_MAP_KEYS:
        raise ValueError(f"{what} has {len(value)} keys; at most {MAX_MAP_KEYS}")
    for key, item in value.items():
        size = json_size(item)
        if size > MAX_VALUE_BYTES:
            raise ValueError(f"{key!r} is {size} bytes as JSON; at most {MAX_VALUE_BYTES}")
    total = json_size(value)
    if total > MAX_MAP_BYTES:
        raise ValueError(f"{what} is {total} bytes as JSON; at most {MAX_MAP_BYTES} in all")
    return value


# A free-form map held to the limits: validation errors name the field and the key.
BoundedMap = Annotated[dict[str, Any], AfterValidator(check_map)]

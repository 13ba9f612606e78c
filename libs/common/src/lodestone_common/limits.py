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
| nesting of objects and lists in such a map             | 32 levels                |
| an integer in such a map                               | 64 bits (as databases)   |
| a request body                                         | 5 MiB (413)              |
| a contact's attachment (one file, GridFS, not Kafka)   | 25 MiB (413)             |
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import orjson
from pydantic import AfterValidator

MAX_VALUE_BYTES = 16 * 1024
MAX_MAP_BYTES = 32 * 1024
MAX_MAP_KEYS = 200
MAX_DEPTH = 32  # objects and lists inside one another
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
# An upload's multipart body: the file and its part headers.
MAX_ATTACHMENT_BODY = MAX_ATTACHMENT_BYTES + 64 * 1024
# BSON (and so MongoDB) stores integers of up to 64 bits; a larger one would be accepted and
# then fail every write of the event that carries it.
INT64 = (-(2**63), 2**63 - 1)


def json_bytes(value: Any, sort_keys: bool = False) -> bytes:
    """`value` as JSON, whatever it holds (anything JSON can't say becomes its string)."""
    option = orjson.OPT_NON_STR_KEYS | (orjson.OPT_SORT_KEYS if sort_keys else 0)
    try:
        return orjson.dumps(value, default=str, option=option)
    except orjson.JSONEncodeError:  # an integer past 64 bits, an unpaired surrogate: escaped
        return json.dumps(value, default=str, sort_keys=sort_keys).encode()


def json_size(value: Any) -> int:
    """Bytes `value` takes as JSON, as it travels in an event."""
    return len(json_bytes(value))


def check_map(value: dict[str, Any], what: str = "the map") -> dict[str, Any]:
    """`value` if it fits the limits above, else a ValueError that names the key at fault."""
    if len(value) > MAX_MAP_KEYS:
        raise ValueError(f"{what} has {len(value)} keys; at most {MAX_MAP_KEYS}")
    _check_tree(value, what)
    for key, item in value.items():
        size = json_size(item)
        if size > MAX_VALUE_BYTES:
            raise ValueError(f"{key!r} is {size} bytes as JSON; at most {MAX_VALUE_BYTES}")
    total = json_size(value)
    if total > MAX_MAP_BYTES:
        raise ValueError(f"{what} is {total} bytes as JSON; at most {MAX_MAP_BYTES} in all")
    return value


def _check_tree(value: Any, what: str) -> None:
    """No deeper than MAX_DEPTH, only text that is text (no unpaired surrogates, which JSON
    can carry and no database or Kafka message can) and integers a database can store."""
    pending = [(value, 1)]
    while pending:  # iterative: a hostile value must not exhaust the stack here either
        item, level = pending.pop()
        if level > MAX_DEPTH:
            raise ValueError(f"{what} nests objects or lists deeper than {MAX_DEPTH} levels")
        if isinstance(item, dict):
            for key, inner in item.items():
                _text(key, what, key=True)
                pending.append((inner, level + 1))
        elif isinstance(item, list):
            pending.extend((inner, level + 1) for inner in item)
        elif isinstance(item, str):
            _text(item, what)
        elif isinstance(item, int) and not INT64[0] <= item <= INT64[1]:
            raise ValueError(
                f"{what} holds an integer past 64 bits ({str(item)[:30]}…); send it as text"
            )


def _text(text: Any, what: str, key: bool = False) -> None:
    if isinstance(text, str):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(f"{what} holds text with an unpaired surrogate") from exc
        if key and "\x00" in text:
            raise ValueError(f"{what} has a key with a NUL character, which no database keeps")


# A free-form map held to the limits: validation errors name the field and the key.
BoundedMap = Annotated[dict[str, Any], AfterValidator(check_map)]

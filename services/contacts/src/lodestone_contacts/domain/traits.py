"""What contacts shows of a record to readers and other services, and how an ingested trait
lands on it: coerced into the field it names when it fits, else kept under `custom`, so no
value a sender sends and no value stored long ago can make a record unreadable."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from lodestone_common.events import ContactSnapshot
from lodestone_common.limits import INT64

from .records import ContactFields

# Fields an `identify` event's traits may set directly; other traits land in `custom`.
TRAIT_FIELDS = {
    "first_name",
    "last_name",
    "company",
    "title",
    "phone",
    "country",
    "source",
    "age",
    "gender",
    "income_band",
    "preferred_payment_method",
    "purchase_purpose",
    "company_size",
    "industry",
}


M = TypeVar("M", bound=BaseModel)


def readable(model: type[M], data: dict[str, Any]) -> M:
    """`model` from a stored contact, whatever it holds: a value its field cannot take (a
    record written before the door checked it, or by hand) becomes text when it is a number,
    else moves under `custom` under its own name, so a read never fails on one bad value."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        bad = {e["loc"][0] for e in exc.errors() if e["loc"] and isinstance(e["loc"][0], str)}
    fixed = {k: v for k, v in data.items() if k not in bad}
    custom = dict(data["custom"]) if isinstance(data.get("custom"), dict) else {}
    for name in bad - {"custom"}:
        value = data[name]
        if _number(value) and model.model_fields[name].annotation == str | None:
            fixed[name] = str(value)
        elif value is not None:
            custom.setdefault(name, value)
    fixed["custom"] = custom
    try:
        return model.model_validate(fixed)
    except ValidationError:  # the repair itself did not fit: leave those fields out
        return model.model_validate({k: v for k, v in fixed.items() if k not in bad})


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def trait_value(name: str, value: Any) -> dict[str, Any]:
    """Where an `identify` trait named like a contact field goes: the field when the value
    fits it (a number becomes text for a text field, text a number for a number field),
    else `custom.<name>`, so an SDK's traits never make a record that cannot be read."""
    if name == "company" and isinstance(value, dict):
        # Segment's spec sends the company as an object: {name, industry, employee_count, …}.
        fields: dict[str, Any] = {}
        for key, field in (("name", "company"), ("industry", "industry")):
            if value.get(key) is not None:
                fields |= trait_value(field, value[key])
        if value.get("employee_count") is not None:
            fields |= trait_value("company_size", value["employee_count"])
        return fields
    annotation = ContactFields.model_fields[name].annotation
    original = value
    if isinstance(value, bool):  # pydantic would take True for 1 and "True" is no name
        return {f"custom.{name}": value}
    if _number(value) and annotation == str | None:
        value = str(value)
    elif isinstance(value, str) and annotation == int | None and value.strip().isdigit():
        value = int(value)
    elif isinstance(value, float) and annotation == int | None and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not INT64[0] <= value <= INT64[1]:
        return {f"custom.{name}": original}  # past what a database stores as an integer
    try:
        checked = ContactFields.model_validate({name: value})
    except ValidationError:
        return {f"custom.{name}": value}
    return {name: getattr(checked, name)}


def snapshot(contact: dict[str, Any]) -> ContactSnapshot:
    """The fields other services may copy (the contract's ContactSnapshot: no notes,
    attachments or history)."""
    shared = {
        k: v for k, v in contact.items() if k in ContactSnapshot.model_fields and v is not None
    }
    return readable(ContactSnapshot, shared)

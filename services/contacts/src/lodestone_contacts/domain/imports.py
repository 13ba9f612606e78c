"""CSV rows to contact fields: every row is checked whole before anything is written."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from .records import ContactDraft, ContactFields

# Header spellings people actually export, mapped to our field names.
_ALIASES = {
    "e-mail": "email",
    "email address": "email",
    "e-mail address": "email",
    "email_address": "email",
    "first name": "first_name",
    "firstname": "first_name",
    "last name": "last_name",
    "lastname": "last_name",
    "surname": "last_name",
    "job title": "title",
    "phone number": "phone",
    "mobile": "phone",
    "stage": "lifecycle_stage",
    "lifecycle stage": "lifecycle_stage",
    "owner": "owner_id",
    "contract end date": "contract_end_date",
}
_LIST_FIELDS = {"tags", "emails", "phones"}
_DATE_FIELDS = {"contract_end_date"}
# How dates are written in the file (the import says which); ISO 8601 unless told.
DATE_FORMATS = {
    "YYYY-MM-DD": "%Y-%m-%d",
    "DD/MM/YYYY": "%d/%m/%Y",
    "MM/DD/YYYY": "%m/%d/%Y",
    "DD.MM.YYYY": "%d.%m.%Y",
    "DD-MM-YYYY": "%d-%m-%Y",
}
KNOWN = sorted(set(ContactDraft.model_fields) - {"custom", "consent", "attachments"})
_KNOWN = set(KNOWN)
MAX_COLUMNS = 200
# What a column mapping may say of a column besides a field: leave it out.
SKIP = "skip"


def guess(column: str) -> str:
    """The field a header names (its usual spellings too), else a custom field of its name."""
    name = column.strip().lower()
    name = _ALIASES.get(name, name).replace(" ", "_")
    if name in _KNOWN:
        return name
    custom = re.sub(r"\W", "_", name).strip("_") or "column"
    return f"custom.{custom}"


def check_target(target: str) -> str | None:
    """Why a mapping target is not one (None: it is): a field, `custom.<name>` or skip."""
    if target == SKIP or target in _KNOWN:
        return None
    if target.startswith("custom.") and re.fullmatch(r"custom\.\w{1,64}", target):
        return None
    return f"{target!r} is no field; use one of {', '.join(KNOWN)}, custom.<name> or {SKIP}"


def column_names(header: list[str], mapping: dict[str, str] | None = None) -> list[str | None]:
    """Field names for a CSV header (None: a column left out). `mapping` says, by header,
    where a column goes; the others are guessed (unknown ones become custom fields)."""
    if len(header) > MAX_COLUMNS:
        raise ValueError(f"{len(header)} columns; the limit is {MAX_COLUMNS}")
    mapping = mapping or {}
    missing = sorted(set(mapping) - {h.strip() for h in header})
    if missing:
        raise ValueError(f"the mapping names {missing[0]!r}, which is no column of the file")
    names: list[str | None] = []
    for raw in header:
        target = mapping.get(raw.strip()) or guess(raw)
        names.append(None if target == SKIP else target)
    kept = [n for n in names if n is not None]
    seen = [n for n in kept if kept.count(n) > 1]
    if seen:
        raise ValueError(f"column {seen[0]!r} appears twice")
    return names


def parse_row(
    names: list[str | None], values: list[str], date_format: str = "YYYY-MM-DD"
) -> tuple[ContactDraft | None, list[dict[str, str]]]:
    """A validated draft, or the errors that reject the whole row. Dates are read in
    `date_format` (a key of DATE_FORMATS)."""
    if len(values) != len(names):
        return None, [{"field": "row", "message": f"{len(values)} values for {len(names)} columns"}]
    fields: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for name, value in zip(names, values, strict=True):
        value = value.strip()
        if not value or name is None:
            continue
        if name.startswith("custom."):
            custom[name.removeprefix("custom.")] = value
        elif name in _LIST_FIELDS:
            fields[name] = [v for v in re.split(r"[;,|]", value) if v.strip()]
        elif name in _DATE_FIELDS:
            try:
                fields[name] = datetime.strptime(value, DATE_FORMATS[date_format]).date()
            except ValueError:
                why = f"{value!r} is not a date written {date_format}"
                return None, [{"field": name, "message": why}]
        else:
            fields[name] = value
    if custom:
        fields["custom"] = custom
    try:
        draft = ContactDraft.model_validate(fields)
    except ValidationError as exc:
        return None, [
            {"field": ".".join(str(p) for p in e["loc"]) or "row", "message": e["msg"]}
            for e in exc.errors()
        ]
    if not (draft.email or draft.emails):
        return None, [{"field": "email", "message": "an imported contact needs an email"}]
    return draft, []


def update_fields(draft: ContactDraft) -> dict[str, Any]:
    """What an imported row changes on an existing contact: the columns it filled."""
    values = draft.model_dump(mode="json", exclude_none=True, exclude={"lifecycle_stage"})
    values.pop("emails", None)
    values.pop("phones", None)
    return {k: v for k, v in values.items() if k in ContactFields.model_fields}

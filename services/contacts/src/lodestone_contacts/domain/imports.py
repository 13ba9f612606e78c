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
_KNOWN = set(ContactDraft.model_fields) - {"custom", "consent", "attachments"}
MAX_COLUMNS = 200


def column_names(header: list[str]) -> list[str]:
    """Field names for a CSV header; columns we do not know become `custom.<name>`."""
    if len(header) > MAX_COLUMNS:
        raise ValueError(f"{len(header)} columns; the limit is {MAX_COLUMNS}")
    names = []
    for raw in header:
        name = raw.strip().lower()
        name = _ALIASES.get(name, name).replace(" ", "_")
        if name in _KNOWN:
            names.append(name)
        else:
            custom = re.sub(r"\W", "_", name).strip("_") or "column"
            names.append(f"custom.{custom}")
    seen = [n for n in names if names.count(n) > 1]
    if seen:
        raise ValueError(f"column {seen[0]!r} appears twice")
    return names


def parse_row(
    names: list[str], values: list[str], date_format: str = "YYYY-MM-DD"
) -> tuple[ContactDraft | None, list[dict[str, str]]]:
    """A validated draft, or the errors that reject the whole row. Dates are read in
    `date_format` (a key of DATE_FORMATS)."""
    if len(values) != len(names):
        return None, [{"field": "row", "message": f"{len(values)} values for {len(names)} columns"}]
    fields: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for name, value in zip(names, values, strict=True):
        value = value.strip()
        if not value:
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

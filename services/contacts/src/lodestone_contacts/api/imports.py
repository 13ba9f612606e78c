"""`/v1/contacts/imports`: CSV import with per-row errors and progress."""

from __future__ import annotations

import csv
import json
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, status
from pydantic import BaseModel, Field

from lodestone_common.auth import ApiKey, Scope
from lodestone_common.people import changes_everyones

from ..domain.imports import KNOWN, MAX_COLUMNS, check_target, column_names, guess
from ..imports import NotCsv, TextCheck
from .deps import ImportsDep

router = APIRouter(prefix="/v1/contacts/imports", tags=["imports"])
DateFormat = Literal["YYYY-MM-DD", "DD/MM/YYYY", "MM/DD/YYYY", "DD.MM.YYYY", "DD-MM-YYYY"]
MAX_IMPORT_BYTES = 1024 * 1024 * 1024


class ImportJob(BaseModel):
    id: str
    status: str
    bytes: int
    bytes_read: int = Field(0, description="how far into the file the import is")
    rows_read: int
    created: int
    updated: int
    failed: int
    errors: list[dict[str, Any]]
    duplicates: list[dict[str, Any]] = Field(
        default_factory=list,
        description="rows whose email an earlier row had: applied over it, as the same person",
    )
    date_format: str = "YYYY-MM-DD"
    columns: dict[str, str] = Field(
        default_factory=dict, description="the column mapping it was started with"
    )
    started_at: datetime
    finished_at: datetime | None
    reason: str | None = None

    @classmethod
    def of(cls, doc: dict[str, Any]) -> ImportJob:
        return cls(id=doc["_id"], **{k: v for k, v in doc.items() if k != "_id"})


def _discard(path: Path) -> None:
    # Unlinking a local temp file takes microseconds; not worth a thread hop.
    path.unlink(missing_ok=True)


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ImportJob,
    summary="Import contacts from CSV",
    description=(
        "Send the CSV as the request body (`Content-Type: text/csv`, UTF-8, header row "
        "first). Known columns (email, first_name, last name, company, phone, tags, ...) set "
        "fields; other columns become custom fields. A row whose email exists updates that "
        "contact. Invalid rows are skipped whole and reported with their line number. Follow "
        "progress at `GET /v1/contacts/imports/{id}`."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def start_import(
    request: Request,
    jobs: ImportsDep,
    date_format: DateFormat = Query("YYYY-MM-DD", description="how the file writes dates"),
    columns: str | None = Query(
        None,
        max_length=20_000,
        description='Where columns go, as JSON: {"<header>": "<field>" | "custom.<name>" | '
        '"skip"}; columns it does not name are guessed (`GET .../imports/columns` shows how)',
    ),
    key: ApiKey = Scope("contacts:write"),
) -> ImportJob:
    mapping = _mapping(columns)
    if not changes_everyones(key, "contacts"):  # a row updates whichever contact has its email
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "an import may change anyone's contacts: it takes a manager, marketer or admin",
        )
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if content_type not in ("text/csv", "application/csv"):
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "send the file as Content-Type: text/csv"
        )
    size = 0
    check = TextCheck()
    with tempfile.NamedTemporaryFile("wb", suffix=".csv", delete=False) as out:
        path = Path(out.name)
        try:
            async for chunk in request.stream():
                check.feed(chunk)  # every byte, as it arrives: stops at the first bad one
                size += len(chunk)
                if size > MAX_IMPORT_BYTES:
                    raise HTTPException(
                        status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                        f"imports are limited to {MAX_IMPORT_BYTES} bytes",
                    )
                out.write(chunk)
            check.feed(b"", final=True)
        except NotCsv as exc:
            _discard(path)
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc)) from exc
        except BaseException:
            _discard(path)
            raise
    if size == 0:
        _discard(path)
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "the file is empty")
    try:  # the header and the mapping agree before anything is imported
        column_names(_header(path), mapping)
    except ValueError as exc:
        _discard(path)
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc)) from exc
    job = await jobs.start(path, size, key.name, date_format, mapping)
    return ImportJob.of(job)


def _mapping(columns: str | None) -> dict[str, str]:
    if not columns:
        return {}
    try:
        mapping = json.loads(columns)
    except ValueError as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY, f"columns is not JSON: {exc}"
        ) from exc
    if not isinstance(mapping, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
    ):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            'columns maps headers to fields: {"<header>": "<field>"}',
        )
    for header, target in mapping.items():
        if why := check_target(target):
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, f"column {header!r}: {why}")
    return {k.strip(): v for k, v in mapping.items()}


def _header(path: Path) -> list[str]:
    """The file's header row (TextCheck saw it end within the first 64 KiB)."""
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle), [])


class Column(BaseModel):
    header: str
    field: str = Field(description="a contact field, custom.<name>, or skip")


class Columns(BaseModel):
    columns: list[Column]
    fields: list[str] = Field(description="every field a column may fill")


@router.get(
    "/columns",
    response_model=Columns,
    summary="Where an import would put each column of a header",
    description="The field each header names (its usual spellings too); unknown ones "
    "become custom fields. Send your corrections as the import's `columns`.",
)
async def guess_columns(
    header: list[str] = Query(..., max_length=MAX_COLUMNS, description="the header row"),
    key: ApiKey = Scope("contacts:read"),
) -> Columns:
    if any(len(h) > 200 for h in header):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "a header is over 200 characters")
    return Columns(columns=[Column(header=h, field=guess(h)) for h in header], fields=KNOWN)


@router.get("/{job_id}", response_model=ImportJob, summary="Progress of an import")
async def get_import(
    job_id: str, jobs: ImportsDep, key: ApiKey = Scope("contacts:read")
) -> ImportJob:
    job = await jobs.get(job_id)
    if job is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no import {job_id!r}")
    return ImportJob.of(job)

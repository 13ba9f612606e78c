"""CSV import jobs: stream the upload to disk, then import it in whole-row batches with progress.

Progress lives in the `imports` collection, so any replica answers
`GET /v1/contacts/imports/{id}`. Re-running an interrupted import is safe: rows whose email
already exists update that contact instead of creating another.
"""

from __future__ import annotations

import asyncio
import codecs
import csv
import logging
import os
from pathlib import Path
from typing import Any
from uuid import uuid4

from pymongo.asynchronous.database import AsyncDatabase

from lodestone_common.envelope import utcnow

from .domain.imports import column_names, parse_row
from .domain.records import ContactDraft
from .repository import ContactsRepository

log = logging.getLogger(__name__)
BATCH_ROWS = 1000
MAX_REPORTED_ERRORS = 1000


class ImportJobs:
    def __init__(self, db: AsyncDatabase[dict[str, Any]], contacts: ContactsRepository) -> None:
        self.jobs = db["imports"]
        self.contacts = contacts
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, path: Path, size: int, by: str) -> dict[str, Any]:
        job = {
            "_id": f"imp_{uuid4().hex}",
            "status": "running",
            "bytes": size,
            "rows_read": 0,
            "created": 0,
            "updated": 0,
            "failed": 0,
            "errors": [],
            "started_at": utcnow(),
            "finished_at": None,
            "by": by,
        }
        await self.jobs.insert_one(job)
        task = asyncio.create_task(self._run(job["_id"], path, by))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    async def get(self, job_id: str) -> dict[str, Any] | None:
        return await self.jobs.find_one({"_id": job_id})

    async def _run(self, job_id: str, path: Path, by: str) -> None:
        try:
            await self._import(job_id, path, by)
            await self.jobs.update_one(
                {"_id": job_id}, {"$set": {"status": "done", "finished_at": utcnow()}}
            )
        except Exception as exc:
            log.exception("import failed", extra={"job": job_id})
            await self.jobs.update_one(
                {"_id": job_id},
                {"$set": {"status": "failed", "finished_at": utcnow(), "reason": str(exc)}},
            )
        finally:
            os.unlink(path)

    async def _import(self, job_id: str, path: Path, by: str) -> None:
        with path.open("r", encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise ValueError("the file is empty")
            names = column_names(header)
            batch: list[ContactDraft] = []
            errors: list[dict[str, Any]] = []
            rows_read = 0
            for values in reader:
                rows_read += 1
                if not any(v.strip() for v in values):
                    continue
                draft, problems = parse_row(names, values)
                if draft is None:
                    # Line numbers as a spreadsheet shows them: the header is line 1.
                    errors += [{"line": reader.line_num, **p} for p in problems]
                else:
                    batch.append(draft)
                if len(batch) >= BATCH_ROWS:
                    await self._flush(job_id, batch, errors, rows_read, by)
                    batch, errors, rows_read = [], [], 0
            await self._flush(job_id, batch, errors, rows_read, by)

    async def _flush(
        self,
        job_id: str,
        batch: list[ContactDraft],
        errors: list[dict[str, Any]],
        rows_read: int,
        by: str,
    ) -> None:
        created, updated = await self.contacts.import_batch(batch, by) if batch else (0, 0)
        failed_lines = len({e["line"] for e in errors})
        await self.jobs.update_one(
            {"_id": job_id},
            {
                "$inc": {
                    "rows_read": rows_read,
                    "created": created,
                    "updated": updated,
                    "failed": failed_lines,
                },
                "$push": {"errors": {"$each": errors, "$slice": MAX_REPORTED_ERRORS}},
            },
        )


HEADER_WITHIN = 65_536  # the header row must end within the first 64 KiB


class NotCsv(ValueError):
    """The upload is not UTF-8 CSV text; the message says why, for the 422."""


class TextCheck:
    """Checks an upload as it streams in, chunk by chunk, so a file that stops being CSV
    text at byte 900,000,000 is refused there, not stored whole and found out row by row:
    UTF-8 throughout (a chunk may end inside a character), no NUL (a binary file), and a
    header row that ends within the first 64 KiB."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._seen = 0
        self._header = False

    def feed(self, chunk: bytes, final: bool = False) -> None:
        try:
            text = self._decoder.decode(chunk, final=final)
        except UnicodeDecodeError as exc:
            where = self._seen + exc.start
            raise NotCsv(f"the file is not UTF-8 text (byte {where:,})") from exc
        if "\x00" in text:
            raise NotCsv("the file holds NUL bytes: a binary file, not CSV text")
        if not self._header:
            self._header = "\n" in text or "\r" in text
            if not self._header and self._seen + len(chunk) > HEADER_WITHIN:
                raise NotCsv("no header row within the first 64 KiB: not a CSV file")
        self._seen += len(chunk)

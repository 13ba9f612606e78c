"""CSV import jobs: stream the upload to disk, then import it in whole-row batches with progress.

Progress lives in the `imports` collection, so any replica answers
`GET /v1/contacts/imports/{id}`. An import stopped with its process resumes after the last
batch it recorded (lodestone_common.jobs); a batch done twice is harmless: rows whose email
already exists update that contact instead of creating another.
"""

from __future__ import annotations

import asyncio
import codecs
import csv
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from lodestone_common.envelope import Envelope, utcnow
from lodestone_common.events import ContactCreated, ContactUpdated
from lodestone_common.jobs import Job, Jobs
from lodestone_common.processing import UnitOfWork
from lodestone_common.topics import CONTACTS

from .domain.imports import column_names, parse_row, update_fields
from .domain.records import ContactDraft, new_contact
from .domain.terms import terms_of
from .domain.traits import snapshot
from .service import Contacts, emit, event
from .stores.timeline import change

log = logging.getLogger(__name__)
BATCH_ROWS = 1000
MAX_REPORTED_ERRORS = 1000


class ImportJobs:
    def __init__(self, db: AsyncDatabase[dict[str, Any]], contacts: Contacts, holder: str) -> None:
        self.contacts = contacts
        self.jobs = Jobs(db["imports"], self._work, holder, prefix="imp")

    async def start(
        self,
        path: Path,
        size: int,
        by: str,
        date_format: str = "YYYY-MM-DD",
        columns: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        counters = {"rows_read": 0, "created": 0, "updated": 0, "failed": 0, "errors": []}
        return await self.jobs.start(
            {
                "bytes": size,
                **counters,
                "duplicates": [],
                "by": by,
                "path": str(path),
                "date_format": date_format,
                "columns": columns or {},
                "bytes_read": 0,
            }
        )

    async def get(self, job_id: str) -> dict[str, Any] | None:
        return await self.jobs.get(job_id)

    async def _work(self, job: Job) -> str:
        path = Path(job.doc["path"])
        if not _present(path):
            raise ValueError(
                "the uploaded file is gone (it was on another replica's disk, or that "
                "machine was replaced): upload it again; rows already imported are kept"
            )
        try:
            await self._import(job, path, job.doc["by"], job.doc.get("date_format", "YYYY-MM-DD"))
        except asyncio.CancelledError:
            raise  # stopped with the process: the file stays for the run that resumes it
        except BaseException:
            _discard(path)
            raise
        _discard(path)
        return "done"

    async def _import(self, job: Job, path: Path, by: str, date_format: str) -> None:
        done = job.checkpoint or 0  # data rows a run before this one imported
        seen: dict[str, int] = {}  # each email's first line in the file (since the resume)
        with path.open("r", encoding="utf-8-sig", newline="") as handle:
            consumed = [0]  # bytes of the file read so far: the progress bar's measure

            def lines() -> Iterator[str]:
                for line in handle:
                    consumed[0] += len(line.encode("utf-8"))
                    yield line

            reader = csv.reader(lines())
            header = next(reader, None)
            if header is None:
                raise ValueError("the file is empty")
            names = column_names(header, job.doc.get("columns"))
            batch: list[ContactDraft] = []
            errors: list[dict[str, Any]] = []
            duplicates: list[dict[str, Any]] = []
            rows_read = 0
            for values in reader:
                rows_read += 1
                if rows_read <= done:
                    continue
                if not any(v.strip() for v in values):
                    continue
                draft, problems = parse_row(names, values, date_format)
                if draft is None:
                    # Line numbers as a spreadsheet shows them: the header is line 1.
                    errors += [{"line": reader.line_num, **p} for p in problems]
                else:
                    batch.append(draft)
                    duplicates += _repeats(draft, reader.line_num, seen)
                if len(batch) >= BATCH_ROWS:
                    await self._flush(
                        job, batch, errors, (rows_read, consumed[0]), by, done, duplicates
                    )
                    batch, errors, duplicates, done = [], [], [], rows_read
            await self._flush(job, batch, errors, (rows_read, consumed[0]), by, done, duplicates)

    async def _flush(
        self,
        job: Job,
        batch: list[ContactDraft],
        errors: list[dict[str, Any]],
        read: tuple[int, int],
        by: str,
        before: int,
        duplicates: list[dict[str, Any]],
    ) -> None:
        """A batch written, then the progress that says so (a crash in between imports the
        batch again on resume: its rows then update the contacts they created). `read`: the
        rows and bytes of the file read so far."""
        rows_read, bytes_read = read
        created, updated = await self._write(batch, by) if batch else (0, 0)
        counts = {
            "rows_read": rows_read - before,
            "created": created,
            "updated": updated,
            "failed": len({e["line"] for e in errors}),
        }
        pushed = {
            "errors": (errors, MAX_REPORTED_ERRORS),
            "duplicates": (duplicates, MAX_REPORTED_ERRORS),
        }
        await job.advance(rows_read, inc=counts, push=pushed, fields={"bytes_read": bytes_read})

    async def _write(self, drafts: list[ContactDraft], by: str) -> tuple[int, int]:
        """Create or update one batch of imported rows atomically: (created, updated).

        A row whose email belongs to a contact updates it; otherwise it creates one. Rows are
        validated before they get here, so the transaction holds only whole rows.
        """

        async def work(uow: UnitOfWork) -> tuple[int, int]:
            session = uow.session
            now = utcnow()
            emails = {e for d in drafts for e in [d.email, *(d.emails or [])] if e}
            held = await self.contacts.stores.identities.owners(
                [f"email:{e}" for e in emails], session
            )
            owners = {k.split(":", 1)[1]: c for k, c in held.items()}
            created: dict[str, dict[str, Any]] = {}
            updates: dict[str, dict[str, Any]] = {}
            for draft in drafts:
                mine = [e for e in [draft.email, *(draft.emails or [])] if e]
                owner = next((owners[e] for e in mine if e in owners), None)
                if owner is None:
                    doc = new_contact(draft, now, by)
                    doc["source"] = doc.get("source") or "import"
                    created[doc["_id"]] = doc
                    owners.update(dict.fromkeys(mine, doc["_id"]))
                    continue
                fields = update_fields(draft)
                if owner in created:
                    created[owner].update(fields)
                    created[owner]["emails"] = sorted({*created[owner]["emails"], *mine})
                else:
                    updates.setdefault(owner, {}).update(fields)
                    updates[owner].setdefault("$emails", set()).update(mine)
                owners.update({e: owner for e in mine if e not in owners})
            events: list[tuple[str, Envelope]] = []
            if created:
                docs = list(created.values())
                await self.contacts.stores.records.insert(docs, session)
                await self.contacts.stores.timeline.add(
                    [change(d["_id"], now, "contact.created", {"via": "import"}) for d in docs],
                    session,
                )
                events += [
                    (CONTACTS, event(ContactCreated(contact=snapshot(d)), d["_id"])) for d in docs
                ]
            await self.contacts.stores.identities.add(
                {
                    f"email:{e}": cid
                    for e, cid in owners.items()
                    if e in emails and (cid in created or cid in updates)
                },
                session,
            )
            changes = []
            for cid, fields in updates.items():
                new_emails = sorted(fields.pop("$emails"))
                words = terms_of({**fields, "emails": new_emails})
                added = {"emails": {"$each": new_emails}, "terms": {"$each": words}}
                changes.append((cid, {"$set": {**fields, "updated_at": now}, "$addToSet": added}))
                if fields:
                    changed = ContactUpdated(changes=fields, changed_by=by)
                    events.append((CONTACTS, event(changed, cid)))
            await self.contacts.stores.records.update_each(changes, session)
            emit(uow, events)
            await self.contacts.refresh([*created, *updates], uow)
            return len(created), len(updates)

        return await self.contacts.transactions.run(work)


def _repeats(draft: ContactDraft, line: int, seen: dict[str, int]) -> list[dict[str, Any]]:
    """A row whose email an earlier row of the file had: its values are applied over that
    row's (the same person), and the import says so rather than overwriting in silence."""
    found = []
    for email in {e for e in [draft.email, *(draft.emails or [])] if e}:
        first = seen.setdefault(email, line)
        if first != line:
            found.append({"line": line, "email": email, "first_line": first})
    return found[:1]


# A local temp file: checking or unlinking it takes microseconds, not worth a thread hop.
def _present(path: Path) -> bool:
    return path.exists()


def _discard(path: Path) -> None:
    path.unlink(missing_ok=True)


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

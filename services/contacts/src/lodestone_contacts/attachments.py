"""Use cases on a contact's attachments: upload a document or a revision of one, delete one.

The bytes stream into GridFS outside any transaction (a file may be far larger than one should
hold); the files document GridFS writes last is what makes a revision exist, so a failed upload
leaves nothing listed. The timeline says who added or deleted which document.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

from pymongo.errors import DuplicateKeyError

from lodestone_common.envelope import utcnow
from lodestone_common.processing import Transactions, UnitOfWork

from .domain.attachments import Document, documents
from .service import NotFound
from .stores import Stores
from .stores.timeline import change


class RevisedMeanwhile(Exception):
    """Another revision of the same document was uploaded at the same moment."""


class ContactAttachments:
    def __init__(self, stores: Stores, transactions: Transactions, max_bytes: int) -> None:
        self.stores = stores
        self.transactions = transactions
        self.max_bytes = max_bytes

    async def _remove(self, file_ids: list[Any], entry: dict[str, Any] | None = None) -> None:
        """Files (with their chunks) gone, and the timeline told, in one transaction."""

        async def work(uow: UnitOfWork) -> None:
            await self.stores.attachments.delete(file_ids, uow.session)
            if entry is not None:
                await self.stores.timeline.add([entry], uow.session)

        await self.transactions.run(work)

    async def list(self, contact_id: str) -> list[Document]:
        return documents(await self.stores.attachments.of_contact(contact_id))

    async def document(self, contact_id: str, document_id: str) -> Document | None:
        files = await self.stores.attachments.of_document(contact_id, document_id)
        return documents(files)[0] if files else None

    async def add(
        self,
        contact_id: str,
        filename: str,
        content_type: str,
        by: str,
        pieces: AsyncIterator[bytes],
        document_id: str | None = None,
    ) -> Document:
        """A new document, or with `document_id` the next revision of that one."""
        revision = 1
        if document_id is not None:
            current = await self.document(contact_id, document_id)
            if current is None:
                raise NotFound(document_id)
            revision = current.current.revision + 1
        document_id = document_id or f"doc_{uuid4().hex}"
        metadata = {
            "contact_id": contact_id,
            "document_id": document_id,
            "revision": revision,
            "content_type": content_type,
            "uploaded_by": by,
        }
        try:
            file_id = await self.stores.attachments.upload(
                filename, metadata, pieces, self.max_bytes
            )
        except DuplicateKeyError as exc:
            raise RevisedMeanwhile(document_id) from exc
        # An erase that ran while the bytes streamed in must not leave this file behind.
        record = await self.stores.records.get(contact_id)
        if record is None or record.get("erased"):
            await self._remove([file_id])
            raise NotFound(contact_id)
        if record["_id"] != contact_id:  # merged meanwhile: the survivor keeps it
            await self.stores.attachments.hand_over(file_id, record["_id"])
            contact_id = record["_id"]
        detail = {"document_id": document_id, "filename": filename, "revision": revision}
        await self.stores.timeline.add(
            [change(contact_id, utcnow(), "attachment.added", detail, by)]
        )
        found = await self.document(contact_id, document_id)
        assert found is not None
        return found

    async def delete(self, contact_id: str, document_id: str, by: str) -> None:
        """Every revision of the document goes; the timeline keeps its name and who deleted it."""
        files = await self.stores.attachments.of_document(contact_id, document_id)
        if not files:
            raise NotFound(document_id)
        detail: dict[str, Any] = {
            "document_id": document_id,
            "filename": documents(files)[0].current.filename,
            "revisions": len(files),
        }
        entry = change(contact_id, utcnow(), "attachment.deleted", detail, by)
        await self._remove([f["_id"] for f in files], entry)

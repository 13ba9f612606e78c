"""Attachment files in GridFS (`attachments.files` / `attachments.chunks` in contacts' database).

Each stored file is one revision of a document; its GridFS metadata names the contact, the
document and the revision number, who uploaded it and the type its bytes were found to be.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from gridfs import AsyncGridFSBucket, NoFile
from gridfs.asynchronous.grid_file import AsyncGridIn, AsyncGridOut
from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

Session = AsyncClientSession | None
BUCKET = "attachments"
MAX_FILES_PER_CONTACT = 2000  # revisions included; a list reads at most this many


class TooLarge(Exception):
    pass


class Attachments:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.bucket = AsyncGridFSBucket(db, bucket_name=BUCKET)
        self.files = db[f"{BUCKET}.files"]
        self.chunks = db[f"{BUCKET}.chunks"]

    async def ensure_indexes(self) -> None:
        # GridFS's own (the driver makes them on a first upload, but not inside erase's
        # transaction) and ours: a document's revision numbers are unique.
        await self.files.create_index([("filename", ASCENDING), ("uploadDate", ASCENDING)])
        await self.chunks.create_index([("files_id", ASCENDING), ("n", ASCENDING)], unique=True)
        await self.files.create_index(
            [("metadata.contact_id", ASCENDING), ("metadata.document_id", ASCENDING)],
            name="contact_document",
        )
        await self.files.create_index(
            [("metadata.document_id", ASCENDING), ("metadata.revision", ASCENDING)],
            name="document_revision",
            unique=True,
        )

    async def of_contact(self, contact_id: str) -> list[dict[str, Any]]:
        cursor = self.files.find({"metadata.contact_id": contact_id}).limit(MAX_FILES_PER_CONTACT)
        return await cursor.to_list()

    async def of_document(self, contact_id: str, document_id: str) -> list[dict[str, Any]]:
        query = {"metadata.contact_id": contact_id, "metadata.document_id": document_id}
        return await self.files.find(query).sort("metadata.revision", ASCENDING).to_list()

    async def upload(
        self,
        filename: str,
        metadata: dict[str, Any],
        pieces: AsyncIterator[bytes],
        max_bytes: int,
    ) -> ObjectId:
        """Stream the file in; over `max_bytes` what was written is removed and `TooLarge`."""
        stream: AsyncGridIn = self.bucket.open_upload_stream(filename, metadata=metadata)
        size = 0
        try:
            async for piece in pieces:
                size += len(piece)
                if size > max_bytes:
                    raise TooLarge
                await stream.write(piece)
            await stream.close()
        except BaseException:
            await stream.abort()
            raise
        return stream._id

    async def open(self, file_id: str) -> AsyncGridOut | None:
        try:
            return await self.bucket.open_download_stream(ObjectId(file_id))
        except (InvalidId, NoFile):
            return None

    async def delete(self, file_ids: list[ObjectId], session: Session) -> None:
        """Files and their chunks, in the caller's transaction (a deleteMany outside one can
        wedge the local database against another transaction on the collection,
        bench/README.md)."""
        await self.chunks.delete_many({"files_id": {"$in": file_ids}}, session=session)
        await self.files.delete_many({"_id": {"$in": file_ids}}, session=session)

    async def forget(self, contact_ids: list[str], session: Session = None) -> None:
        """Erase: every file of these contacts goes."""
        query = {"metadata.contact_id": {"$in": contact_ids}}
        ids = [
            f["_id"] for f in await self.files.find(query, {"_id": 1}, session=session).to_list()
        ]
        if ids:
            await self.delete(ids, session)

    async def hand_over(self, file_id: ObjectId, to_id: str) -> None:
        """One file to another contact (one document: no updateMany outside a transaction)."""
        await self.files.update_one({"_id": file_id}, {"$set": {"metadata.contact_id": to_id}})

    async def move(self, from_id: str, to_id: str, session: Session = None) -> None:
        """Merge: the merged contact's documents become the survivor's."""
        await self.files.update_many(
            {"metadata.contact_id": from_id},
            {"$set": {"metadata.contact_id": to_id}},
            session=session,
        )

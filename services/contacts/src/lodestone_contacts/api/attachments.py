"""`/v1/contacts/{id}/attachments`: a contact's documents, every revision kept, in GridFS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, HTTPException, Query, UploadFile, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from lodestone_common.auth import ApiKey, Scope
from lodestone_common.people import check_change

from ..attachments import RevisedMeanwhile
from ..domain.attachments import Document, Refused, content_type, disposition, safe_filename
from ..service import NotFound
from ..stores.attachments import TooLarge
from .contacts import existing, not_found
from .deps import AttachmentsDep, ContactsDep

router = APIRouter(prefix="/v1", tags=["attachments"])
SNIFF_BYTES = 8192  # enough for the sniffer to tell a .docx from any other zip
PIECE_BYTES = 255 * 1024  # GridFS's chunk size


class RevisionOut(BaseModel):
    revision: int
    filename: str
    content_type: str
    size_bytes: int
    uploaded_by: str = Field(description="the person or key that uploaded it")
    uploaded_at: datetime


class AttachmentOut(BaseModel):
    id: str = Field(description="the document's id; its revisions share it")
    contact_id: str
    filename: str = Field(description="the current revision's name")
    content_type: str
    size_bytes: int
    revision: int = Field(description="the current (newest) revision's number")
    uploaded_by: str
    uploaded_at: datetime
    revisions: list[RevisionOut] = Field(description="oldest first")

    @classmethod
    def of(cls, doc: Document) -> AttachmentOut:
        cur = doc.current
        revisions = [
            RevisionOut(**{k: v for k, v in vars(r).items() if k != "file_id"})
            for r in doc.revisions
        ]
        return cls(
            id=doc.id,
            contact_id=doc.contact_id,
            filename=cur.filename,
            content_type=cur.content_type,
            size_bytes=cur.size_bytes,
            revision=cur.revision,
            uploaded_by=cur.uploaded_by,
            uploaded_at=cur.uploaded_at,
            revisions=revisions,
        )


async def _changeable(contacts: ContactsDep, contact_id: str, key: ApiKey) -> dict[str, Any]:
    doc = await existing(contacts, contact_id)
    check_change(key, "contacts", doc.get("owner_id"), f"contact {contact_id!r}")
    return doc


def _no_document(contact_id: str, document_id: str) -> HTTPException:
    return HTTPException(
        status.HTTP_404_NOT_FOUND, f"no attachment {document_id!r} on contact {contact_id!r}"
    )


async def _store(
    attachments: AttachmentsDep,
    contact_id: str,
    file: UploadFile,
    key: ApiKey,
    document_id: str | None = None,
) -> AttachmentOut:
    filename = safe_filename(file.filename or "")
    head = await file.read(SNIFF_BYTES)
    if not head:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "file: it is empty")
    try:
        kind = content_type(head, filename)
    except Refused as exc:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, str(exc)) from exc

    async def pieces() -> AsyncIterator[bytes]:
        yield head
        while piece := await file.read(PIECE_BYTES):
            yield piece

    try:
        doc = await attachments.add(contact_id, filename, kind, key.name, pieces(), document_id)
    except TooLarge as exc:
        raise HTTPException(
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            f"file: larger than {attachments.max_bytes} bytes",
        ) from exc
    except RevisedMeanwhile as exc:
        raise HTTPException(
            status.HTTP_409_CONFLICT, "another revision was uploaded at the same time; upload again"
        ) from exc
    except NotFound as exc:
        raise (
            _no_document(contact_id, document_id) if document_id else not_found(contact_id)
        ) from exc
    return AttachmentOut.of(doc)


@router.get(
    "/contacts/{contact_id}/attachments",
    response_model=list[AttachmentOut],
    summary="A contact's documents, the most recently revised first",
)
async def list_attachments(
    contact_id: str,
    contacts: ContactsDep,
    attachments: AttachmentsDep,
    key: ApiKey = Scope("contacts:read"),
) -> list[AttachmentOut]:
    doc = await existing(contacts, contact_id)
    return [AttachmentOut.of(d) for d in await attachments.list(doc["_id"])]


@router.post(
    "/contacts/{contact_id}/attachments",
    status_code=status.HTTP_201_CREATED,
    response_model=AttachmentOut,
    summary="Upload a document (multipart `file`)",
    description="Accepted by what the bytes are, not the declared type: PDF, Word, Excel, "
    "PowerPoint, OpenDocument, RTF, zip, PNG, JPEG, GIF, WebP, HEIC, plain text or CSV "
    "(415 otherwise), up to the service's `attachment_max_bytes` (413).",
)
async def upload_attachment(
    contact_id: str,
    contacts: ContactsDep,
    attachments: AttachmentsDep,
    file: Annotated[UploadFile, File(description="the file")],
    key: ApiKey = Scope("contacts:write"),
) -> AttachmentOut:
    doc = await _changeable(contacts, contact_id, key)
    return await _store(attachments, doc["_id"], file, key)


@router.get(
    "/contacts/{contact_id}/attachments/{document_id}",
    response_model=AttachmentOut,
    summary="One document with every revision",
)
async def get_attachment(
    contact_id: str,
    document_id: str,
    contacts: ContactsDep,
    attachments: AttachmentsDep,
    key: ApiKey = Scope("contacts:read"),
) -> AttachmentOut:
    doc = await existing(contacts, contact_id)
    found = await attachments.document(doc["_id"], document_id)
    if found is None:
        raise _no_document(contact_id, document_id)
    return AttachmentOut.of(found)


@router.post(
    "/contacts/{contact_id}/attachments/{document_id}/revisions",
    status_code=status.HTTP_201_CREATED,
    response_model=AttachmentOut,
    summary="Upload a new revision of a document (the earlier ones are kept)",
)
async def revise_attachment(
    contact_id: str,
    document_id: str,
    contacts: ContactsDep,
    attachments: AttachmentsDep,
    file: Annotated[UploadFile, File(description="the new revision")],
    key: ApiKey = Scope("contacts:write"),
) -> AttachmentOut:
    doc = await _changeable(contacts, contact_id, key)
    return await _store(attachments, doc["_id"], file, key, document_id)


@router.get(
    "/contacts/{contact_id}/attachments/{document_id}/content",
    summary="Download a document (the current revision, or `?revision=`)",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
async def download_attachment(
    contact_id: str,
    document_id: str,
    contacts: ContactsDep,
    attachments: AttachmentsDep,
    revision: int | None = Query(
        None, ge=1, description="a revision's number; the newest if absent"
    ),
    key: ApiKey = Scope("contacts:read"),
) -> StreamingResponse:
    doc = await existing(contacts, contact_id)
    found = await attachments.document(doc["_id"], document_id)
    if found is None:
        raise _no_document(contact_id, document_id)
    chosen = found.current
    if revision is not None:
        matching = [r for r in found.revisions if r.revision == revision]
        if not matching:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND,
                f"attachment {document_id!r} has revisions 1 to {found.current.revision}",
            )
        chosen = matching[0]
    stream = await attachments.stores.attachments.open(chosen.file_id)
    if stream is None:  # deleted between the two reads
        raise _no_document(contact_id, document_id)

    async def content() -> AsyncIterator[bytes]:
        while piece := await stream.readchunk():
            yield piece

    return StreamingResponse(
        content(),
        media_type=chosen.content_type,
        headers={
            "content-disposition": disposition(chosen.filename),
            "content-length": str(chosen.size_bytes),
        },
        background=BackgroundTask(stream.close),
    )


@router.delete(
    "/contacts/{contact_id}/attachments/{document_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a document and all its revisions (the timeline says who and when)",
)
async def delete_attachment(
    contact_id: str,
    document_id: str,
    contacts: ContactsDep,
    attachments: AttachmentsDep,
    key: ApiKey = Scope("contacts:write"),
) -> None:
    doc = await _changeable(contacts, contact_id, key)
    try:
        await attachments.delete(doc["_id"], document_id, key.name)
    except NotFound as exc:
        raise _no_document(contact_id, document_id) from exc

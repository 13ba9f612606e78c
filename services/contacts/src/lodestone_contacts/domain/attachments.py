"""What a contact's attachments may be, and how stored revisions read as documents.

A document (a proposal, a contract) keeps every revision uploaded for it; the newest is the
document's current file. Files are accepted by what their bytes are, not by the type or name
the client declares, so a renamed program or an HTML page cannot ride in as a "PDF".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import filetype

# Types a sales team keeps beside a contact. No HTML, SVG or scripts: a download is served
# from the API's own origin, and those could run there.
SNIFFED = {
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/heic",  # a phone's photo of a signed page
    "application/rtf",
    "application/zip",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
}
TEXT = {"text/plain", "text/csv"}
# Office Open XML and OpenDocument files are zips: one the sniffer calls a plain zip keeps the
# Office type its name gives, so the download opens in Word.
OFFICE = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".odp": "application/vnd.oasis.opendocument.presentation",
}
ALLOWED_HELP = (
    "PDF, RTF, zip, Word, Excel, PowerPoint, OpenDocument, PNG, JPEG, GIF, WebP, plain text or CSV"
)


class Refused(ValueError):
    """The file is not one a contact's attachments may hold."""


def content_type(head: bytes, filename: str) -> str:
    """The type the file's first bytes show it to be, or `Refused` naming what is accepted."""
    kind = filetype.guess(head)
    if kind is not None:
        mime = kind.mime
        if mime == "application/zip":
            suffix = filename[filename.rfind(".") :].lower() if "." in filename else ""
            return OFFICE.get(suffix, mime)
        if mime in SNIFFED or mime in OFFICE.values():
            return mime
        raise Refused(f"{filename!r} is {mime}; accepted: {ALLOWED_HELP}")
    if _is_text(head):
        return "text/csv" if filename.lower().endswith(".csv") else "text/plain"
    raise Refused(f"{filename!r} is not a type accepted here; accepted: {ALLOWED_HELP}")


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    # The head may end inside a multi-byte character: ignore an incomplete tail.
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:
            return False
        text = head[: exc.start].decode("utf-8")
    markup = text.lstrip()[:100].lower()
    return not markup.startswith(("<!doctype html", "<html", "<svg", "<?xml", "<script"))


def safe_filename(name: str) -> str:
    """The name as a download may carry it: no path, no control characters, not empty."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable() and c not in '"')
    return name.strip()[:200] or "file"


def disposition(filename: str) -> str:
    """A download's Content-Disposition: an ASCII name for old clients, the real one (RFC 6266)."""
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


@dataclass(frozen=True)
class Revision:
    file_id: str
    revision: int
    filename: str
    content_type: str
    size_bytes: int
    uploaded_by: str
    uploaded_at: datetime


@dataclass(frozen=True)
class Document:
    id: str
    contact_id: str
    revisions: list[Revision]  # oldest first

    @property
    def current(self) -> Revision:
        return self.revisions[-1]


def revision_of(file: dict[str, Any]) -> Revision:
    meta = file.get("metadata") or {}
    return Revision(
        file_id=str(file["_id"]),
        revision=int(meta.get("revision", 1)),
        filename=str(file.get("filename") or "file"),
        content_type=str(meta.get("content_type") or "application/octet-stream"),
        size_bytes=int(file.get("length", 0)),
        uploaded_by=str(meta.get("uploaded_by") or ""),
        uploaded_at=file["uploadDate"],
    )


def documents(files: list[dict[str, Any]]) -> list[Document]:
    """Stored files grouped into documents, the most recently revised first."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for file in files:
        grouped.setdefault(file["metadata"]["document_id"], []).append(file)
    docs = [
        Document(
            id=doc_id,
            contact_id=str(group[0]["metadata"]["contact_id"]),
            revisions=sorted((revision_of(f) for f in group), key=lambda r: r.revision),
        )
        for doc_id, group in grouped.items()
    ]
    return sorted(docs, key=lambda d: d.current.uploaded_at, reverse=True)

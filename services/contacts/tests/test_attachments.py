"""Attachments for real: files in GridFS with revisions, type and size limits, merge and erase."""

from __future__ import annotations

import io
import zipfile
from typing import Any
from uuid import uuid4

import pytest

from lodestone_common.people import DEV_SIGNING_KEY, PersonTokens, person
from lodestone_contacts.stores.attachments import Attachments, TooLarge

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def docx() -> bytes:
    """A minimal Word document: a zip whose parts say what it is."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def upload(name: str, data: bytes, kind: str = "application/octet-stream") -> dict[str, Any]:
    return {"files": {"file": (name, data, kind)}}


async def _files(mongo, contact_id: str) -> int:  # type: ignore[no-untyped-def]
    files = mongo["lodestone_contacts"]["attachments.files"]
    return await files.count_documents({"metadata.contact_id": contact_id})


async def test_documents_keep_revisions_refuse_what_they_are_not_and_go_with_the_person(  # type: ignore[no-untyped-def]
    services, mongo
) -> None:
    """Issue 33: attachments were metadata only and PATCH replaced the whole list."""
    tag = uuid4().hex[:6]
    tokens = PersonTokens.signing(DEV_SIGNING_KEY)
    ana = tokens.sign(person("u_ana", f"ana.{tag}@example.com", "rep", rep_id=f"ana-{tag}"))
    async with (
        services.client("contacts") as http,
        services.client("contacts", key=ana) as as_ana,
    ):
        lead = (
            await http.post("/v1/contacts", json={"email": f"att.{tag}@x.io", "owner_id": "ben"})
        ).json()
        base = f"/v1/contacts/{lead['id']}/attachments"

        # Declared as anything: the bytes decide the type.
        first = await http.post(base, **upload("Proposal v1.pdf", PDF, "text/html"))
        assert first.status_code == 201, first.text
        doc = first.json()
        assert (doc["revision"], doc["content_type"], doc["size_bytes"]) == (
            1,
            "application/pdf",
            len(PDF),
        )
        assert doc["uploaded_by"] and doc["filename"] == "Proposal v1.pdf"

        word = docx()
        second = await http.post(f"{base}/{doc['id']}/revisions", **upload("Proposal.docx", word))
        assert second.status_code == 201, second.text
        assert second.json()["revision"] == 2
        assert second.json()["content_type"].endswith("wordprocessingml.document")
        listed = (await http.get(base)).json()
        assert [d["id"] for d in listed] == [doc["id"]]
        assert [r["filename"] for r in listed[0]["revisions"]] == [
            "Proposal v1.pdf",
            "Proposal.docx",
        ]

        current = await http.get(f"{base}/{doc['id']}/content")
        assert current.status_code == 200 and current.content == word
        older = await http.get(f"{base}/{doc['id']}/content", params={"revision": 1})
        assert older.content == PDF and older.headers["content-type"] == "application/pdf"
        assert older.headers["content-disposition"].startswith("attachment;")
        assert older.headers["x-content-type-options"] == "nosniff"
        missing = await http.get(f"{base}/{doc['id']}/content", params={"revision": 3})
        assert missing.status_code == 404 and "revisions 1 to 2" in missing.text

        # What a contact's files may not be, each with a clear answer and nothing stored.
        for name, data in (
            ("invoice.pdf", b"<!DOCTYPE html><script>alert(1)</script>"),
            ("setup.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 64),
            ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>'),
        ):
            refused = await http.post(base, **upload(name, data, "application/pdf"))
            assert refused.status_code == 415, (name, refused.text)
            assert "accepted: PDF" in refused.json()["message"]
        empty = await http.post(base, **upload("empty.txt", b""))
        assert empty.status_code == 422
        assert await _files(mongo, lead["id"]) == 2

        # A rep reads anyone's documents but changes only their own leads'.
        assert (await as_ana.get(base)).status_code == 200
        theirs = await as_ana.post(base, **upload("mine.txt", b"notes"))
        assert theirs.status_code == 403 and "'ben'" in theirs.json()["message"]
        assert (await as_ana.delete(f"{base}/{doc['id']}")).status_code == 403

        # The record no longer takes a list that would replace every file.
        patched = await http.patch(f"/v1/contacts/{lead['id']}", json={"attachments": []})
        assert patched.status_code == 422 and "/attachments" in patched.text

        # A merged contact's documents follow it to the survivor.
        other = (await http.post("/v1/contacts", json={"email": f"att2.{tag}@x.io"})).json()
        notes = await http.post(
            f"/v1/contacts/{other['id']}/attachments",
            **upload("call notes.csv", b"name,outcome\nAnna,interested\n"),
        )
        assert notes.json()["content_type"] == "text/csv"
        merged = await http.post(
            f"/v1/contacts/{lead['id']}/merge", json={"merge_ids": [other["id"]]}
        )
        assert merged.status_code == 200, merged.text
        names = {d["filename"] for d in (await http.get(base)).json()}
        assert names == {"Proposal.docx", "call notes.csv"}
        via_old_id = await http.get(f"/v1/contacts/{other['id']}/attachments")
        assert {d["filename"] for d in via_old_id.json()} == names

        deleted = await http.delete(f"{base}/{notes.json()['id']}")
        assert deleted.status_code == 204
        assert [d["filename"] for d in (await http.get(base)).json()] == ["Proposal.docx"]
        timeline = (await http.get(f"/v1/contacts/{lead['id']}/timeline")).json()["entries"]
        said = [(e["type"], e["detail"].get("filename")) for e in timeline if "attach" in e["type"]]
        assert ("attachment.deleted", "call notes.csv") in said
        assert said.count(("attachment.added", "Proposal.docx")) == 1
        assert all(e["by"] for e in timeline if "attach" in e["type"])

        assert (await http.delete(f"/v1/contacts/{lead['id']}")).status_code == 202
        assert (await http.get(base)).status_code == 404
    assert await _files(mongo, lead["id"]) == 0
    assert await _files(mongo, other["id"]) == 0
    chunks = mongo["lodestone_contacts"]["attachments.chunks"]
    files = mongo["lodestone_contacts"]["attachments.files"]
    orphans = await chunks.count_documents({"files_id": {"$nin": await files.distinct("_id")}})
    assert orphans == 0


async def test_an_upload_over_the_limit_leaves_nothing_behind(mongo) -> None:  # type: ignore[no-untyped-def]
    db = mongo[f"attachments_{uuid4().hex[:8]}"]
    store = Attachments(db)
    await store.ensure_indexes()

    async def pieces():  # type: ignore[no-untyped-def]
        for _ in range(4):
            yield b"x" * 300_000

    meta = {"contact_id": "ct_1", "document_id": "doc_1", "revision": 1}
    with pytest.raises(TooLarge):
        await store.upload("big.txt", meta, pieces(), max_bytes=1_000_000)
    assert await db["attachments.files"].count_documents({}) == 0
    assert await db["attachments.chunks"].count_documents({}) == 0
    kept = await store.upload("fits.txt", meta, pieces(), max_bytes=1_200_000)
    assert (await store.of_document("ct_1", "doc_1"))[0]["_id"] == kept
    await mongo.drop_database(db.name)

"""What a contact's files may be, told by their bytes; how a download names them."""

from __future__ import annotations

import pytest

from lodestone_contacts.domain.attachments import (
    Refused,
    content_type,
    disposition,
    safe_filename,
)


@pytest.mark.parametrize(
    ("head", "name", "kind"),
    [
        (b"%PDF-1.7\n", "a.pdf", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "shot.png", "image/png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "photo.JPG", "image/jpeg"),
        (
            b"PK\x03\x04" + b"\x00" * 40,
            "sheet.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (b"PK\x03\x04" + b"\x00" * 40, "bundle.zip", "application/zip"),
        ("Grüße,Köln\n".encode(), "list.csv", "text/csv"),
        ("naïve text, cut in the middle of é".encode()[:-1], "a.txt", "text/plain"),
    ],
)
def test_accepted_by_their_bytes(head: bytes, name: str, kind: str) -> None:
    assert content_type(head, name) == kind


@pytest.mark.parametrize(
    "head",
    [
        b"MZ\x90\x00" + b"\x00" * 60,  # a Windows program
        b"<!doctype html><p>hi",
        b"  <svg onload=alert(1)>",
        b"<?xml version='1.0'?><svg/>",
        b"text\x00with NUL",
        b"\xff\xfe\xfa not utf-8 at all",
    ],
)
def test_refused_whatever_they_are_called(head: bytes) -> None:
    with pytest.raises(Refused, match="accepted: PDF"):
        content_type(head, "contract.pdf")


def test_download_names_are_plain_and_keep_their_letters() -> None:
    assert safe_filename("C:\\Users\\ana\\Angebot.pdf") == "Angebot.pdf"
    assert safe_filename('../../etc/"passwd"\n') == "passwd"
    assert safe_filename("   ") == "file"
    header = disposition("Angebot Müller.pdf")
    assert header.startswith('attachment; filename="Angebot M_ller.pdf"')
    assert header.endswith("filename*=UTF-8''Angebot%20M%C3%BCller.pdf")
    header.encode("latin-1")  # a header must be

"""CSV import through the real service: progress, per-row errors, nothing half-imported."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from uuid import uuid4

import pytest


def make_csv(path: Path, rows: int, tag: str, bad_every: int = 0) -> set[int]:
    """A CSV with `rows` data rows; every `bad_every`-th has a broken age. Bad line numbers."""
    bad: set[int] = set()
    with path.open("w", encoding="utf-8") as out:
        out.write("Email,First Name,Last Name,Company,Age,Tags,Plan\n")
        for i in range(rows):
            age = "41"
            if bad_every and i % bad_every == 0:
                age = "minus one"
                bad.add(i + 2)  # the header is line 1
            out.write(
                f"p{i}.{tag}@example.com,Pat{i},Doe,Acme {i % 50},{age},{tag};imported,"
                f"{'pro' if i % 2 else 'free'}\n"
            )
    return bad


async def run_import(http, path: Path, timeout: float = 600):  # type: ignore[no-untyped-def]
    response = await http.post(
        "/v1/contacts/imports",
        content=await asyncio.to_thread(path.read_bytes),
        headers={"content-type": "text/csv"},
    )
    assert response.status_code == 202, response.text
    job = response.json()
    seen_progress = set()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while job["status"] == "running":
        assert loop.time() < deadline, "import did not finish"
        await asyncio.sleep(0.2)
        job = (await http.get(f"/v1/contacts/imports/{job['id']}")).json()
        seen_progress.add(job["rows_read"])
    return job, seen_progress


async def test_import_reports_bad_rows_and_reimport_updates(services, mongo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    tag = f"imp{uuid4().hex[:6]}"
    rows = 3000
    bad = make_csv(tmp_path / "people.csv", rows, tag, bad_every=97)
    async with services.client("contacts") as http:
        job, progress = await run_import(http, tmp_path / "people.csv")
        assert job["status"] == "done", job
        assert (job["rows_read"], job["created"], job["failed"]) == (
            rows,
            rows - len(bad),
            len(bad),
        )
        assert {e["line"] for e in job["errors"]} == bad
        assert all(e["field"] == "age" for e in job["errors"])
        assert len(progress) > 1, "progress should be visible while the import runs"

        # A rejected row left nothing behind.
        first_bad = min(bad) - 2
        missing = await http.get(f"/v1/contacts?email=p{first_bad}.{tag}@example.com")
        assert missing.json()["items"] == []
        pro = await http.get(f"/v1/contacts?tag={tag}&custom.plan=pro&limit=500")
        assert len(pro.json()["items"]) == 500

        again, _ = await run_import(http, tmp_path / "people.csv")
        assert (again["created"], again["updated"]) == (0, rows - len(bad))
    db = mongo["lodestone_contacts"]
    assert await db["contacts"].count_documents({"tags": tag}) == rows - len(bad)


async def test_import_refuses_what_is_not_a_utf8_csv(services) -> None:  # type: ignore[no-untyped-def]
    async with services.client("contacts") as http:
        wrong_type = await http.post("/v1/contacts/imports", content=b"email\na@b.co\n")
        assert wrong_type.status_code == 415
        latin1 = await http.post(
            "/v1/contacts/imports",
            content="email\nj\xe9@b.co\n".encode("latin-1"),
            headers={"content-type": "text/csv"},
        )
        assert latin1.status_code == 422 and "UTF-8" in latin1.json()["message"]
        # Text for its first 64 KiB and more, then not: refused where it stops being text.
        rows = b"email\n" + b"x@example.com\n" * 20_000
        tail = await http.post(
            "/v1/contacts/imports",
            content=rows + b"\x00\xff binary" + rows,
            headers={"content-type": "text/csv"},
        )
        assert tail.status_code == 422, tail.text
        empty = await http.post(
            "/v1/contacts/imports", content=b"", headers={"content-type": "text/csv"}
        )
        assert empty.status_code == 422


def test_cli_shows_progress_and_row_errors(services, tmp_path) -> None:  # type: ignore[no-untyped-def]
    tag = f"cli{uuid4().hex[:6]}"
    make_csv(tmp_path / "small.csv", 300, tag, bad_every=100)
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "lodestone-contacts-import"),
            str(tmp_path / "small.csv"),
            "--url",
            services.url("contacts"),
            "--key",
            services.headers["Authorization"][7:],
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )
    assert result.returncode == 0, result.stderr
    assert "100.0%" in result.stdout and "created 297" in result.stdout
    assert "line 2: age:" in result.stdout


@pytest.mark.slow
async def test_a_100k_row_import(services, tmp_path) -> None:  # type: ignore[no-untyped-def]
    tag = f"big{uuid4().hex[:6]}"
    make_csv(tmp_path / "big.csv", 100_000, tag)
    async with services.client("contacts") as http:
        job, progress = await run_import(http, tmp_path / "big.csv", timeout=1800)
    assert job["status"] == "done" and job["created"] == 100_000 and job["failed"] == 0
    assert len(progress) > 10


async def test_an_import_stopped_with_its_process_resumes_in_the_next(
    in_process, mongo, tmp_path, eventually, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from lodestone_contacts import imports as imports_module
    from lodestone_contacts.bootstrap import create_app
    from lodestone_contacts.imports import ImportJobs
    from lodestone_contacts.settings import ContactsSettings

    # Small: the in-process service publishes to the shared topics the other tests read.
    rows, tag = 1_000, f"resume{uuid4().hex[:6]}"
    monkeypatch.setattr(imports_module, "BATCH_ROWS", 100)
    make_csv(tmp_path / "resume.csv", rows, tag)
    name = f"test_import_resume_{uuid4().hex[:8]}"
    db = mongo[name]
    options = {"api_key": "import-key", "mongo_db": name}
    headers = {"Authorization": "Bearer import-key"}
    write = ImportJobs._write
    batches = 0

    async def held(self, drafts, by):  # type: ignore[no-untyped-def]
        nonlocal batches
        batches += 1
        if batches == 3:  # the third batch never ends: the process stops meanwhile
            await asyncio.Event().wait()
        return await write(self, drafts, by)

    monkeypatch.setattr(ImportJobs, "_write", held)
    try:
        async with in_process(create_app, ContactsSettings, keep=True, **options) as first:
            async with first.client(headers=headers) as http:
                response = await http.post(
                    "/v1/contacts/imports",
                    content=await asyncio.to_thread((tmp_path / "resume.csv").read_bytes),
                    headers={"content-type": "text/csv"},
                )
                assert response.status_code == 202, response.text
                job_id = response.json()["id"]

                async def two_batches() -> bool:
                    job = (await http.get(f"/v1/contacts/imports/{job_id}")).json()
                    return job["rows_read"] == 200

                await eventually(two_batches, timeout=120)
        # The process stopped (its drain ran): the job says so and where it got to.
        stopped = await db["imports"].find_one({"_id": job_id})
        assert (stopped["status"], stopped["checkpoint"]) == ("interrupted", 200)
        monkeypatch.setattr(ImportJobs, "_write", write)
        async with in_process(create_app, ContactsSettings, **options) as second:
            async with second.client(headers=headers) as http:

                async def finished() -> dict | None:  # type: ignore[type-arg]
                    job = (await http.get(f"/v1/contacts/imports/{job_id}")).json()
                    return job if job["status"] == "done" else None

                job = await eventually(finished, timeout=300)
            assert job["rows_read"] == rows and job["failed"] == 0
            assert (job["created"], job["updated"]) == (rows, 0)  # each row once
            assert await db["contacts"].count_documents({"tags": tag}) == rows
    finally:
        await mongo.drop_database(name)


async def test_dates_in_the_files_format_and_repeated_rows_are_reported(services, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`31/12/2027` was refused with no way to say how the file writes dates, and a second row
    with the same email overwrote the first in silence (numbers round two)."""
    tag = uuid4().hex[:6]
    path = tmp_path / "dates.csv"
    path.write_text(
        "Email,Company,Contract end date\n"
        f"a.{tag}@example.com,First,31/12/2027\n"
        f"b.{tag}@example.com,Other,2027-12-31\n"  # not DD/MM/YYYY: refused, named
        f"a.{tag}@example.com,Second,01/06/2028\n"
    )
    async with services.client("contacts") as http:
        response = await http.post(
            "/v1/contacts/imports",
            params={"date_format": "DD/MM/YYYY"},
            content=path.read_bytes(),
            headers={"content-type": "text/csv"},
        )
        assert response.status_code == 202, response.text
        job = response.json()
        while job["status"] == "running":
            await asyncio.sleep(0.2)
            job = (await http.get(f"/v1/contacts/imports/{job['id']}")).json()
        assert job["status"] == "done" and job["date_format"] == "DD/MM/YYYY"
        assert job["errors"] == [
            {
                "line": 3,
                "field": "contract_end_date",
                "message": "'2027-12-31' is not a date written DD/MM/YYYY",
            }
        ]
        assert job["duplicates"] == [{"line": 4, "email": f"a.{tag}@example.com", "first_line": 2}]
        (person,) = (
            await http.get("/v1/contacts", params={"email": f"a.{tag}@example.com"})
        ).json()["items"]
        assert (person["company"], person["contract_end_date"]) == ("Second", "2028-06-01")
        found = await http.get("/v1/contacts", params={"external_id": "nobody-" + tag})
        assert found.status_code == 200 and found.json()["items"] == []  # was a 422
        bad = await http.post(
            "/v1/contacts/imports",
            params={"date_format": "someday"},
            content=path.read_bytes(),
            headers={"content-type": "text/csv"},
        )
        assert bad.status_code == 422


async def test_columns_go_where_the_mapping_says_and_progress_is_in_bytes(
    services, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    tag = f"map{uuid4().hex[:6]}"
    path = tmp_path / "export.csv"
    header = ["E-Mail Address", "Firma", "Notes", "Lead Score"]
    path.write_text(
        ",".join(header)
        + "\n"
        + "".join(f"m{i}.{tag}@example.com,Globex {tag},call back,{i}\n" for i in range(2500))
    )
    async with services.client("contacts") as http:
        # What the service would do with each column unless told otherwise.
        guessed = await http.get("/v1/contacts/imports/columns", params={"header": header})
        assert guessed.status_code == 200, guessed.text
        assert [c["field"] for c in guessed.json()["columns"]] == [
            "email",
            "custom.firma",
            "custom.notes",
            "custom.lead_score",
        ]
        assert "company" in guessed.json()["fields"]
        # Firma is the company; the notes stay behind.
        mapping = {"Firma": "company", "Notes": "skip"}
        started = await http.post(
            "/v1/contacts/imports",
            params={"columns": json.dumps(mapping)},
            content=path.read_bytes(),
            headers={"content-type": "text/csv"},
        )
        assert started.status_code == 202, started.text
        job = started.json()
        positions = []
        while job["status"] == "running":
            await asyncio.sleep(0.1)
            job = (await http.get(f"/v1/contacts/imports/{job['id']}")).json()
            positions.append(job["bytes_read"])
        assert job["status"] == "done" and job["created"] == 2500, job
        assert job["columns"] == mapping
        # The bar moves with the bytes read, and ends at the file's size.
        assert positions == sorted(positions) and job["bytes_read"] == job["bytes"]
        found = (await http.get("/v1/contacts", params={"email": f"m7.{tag}@example.com"})).json()
        person = found["items"][0]
        assert person["company"] == f"Globex {tag}"
        assert person.get("custom", {}) == {"lead_score": "7"}

        # A mapping that names no column of the file, or no field, is refused before anything.
        for bad, why in (
            ({"Fax": "phone"}, "'Fax', which is no column of the file"),
            ({"Firma": "compny"}, "'compny' is no field"),
            ({"Firma": "company", "E-Mail Address": "company"}, "appears twice"),
        ):
            refused = await http.post(
                "/v1/contacts/imports",
                params={"columns": json.dumps(bad)},
                content=path.read_bytes(),
                headers={"content-type": "text/csv"},
            )
            assert refused.status_code == 422, refused.text
            assert why in refused.json()["message"], refused.json()
        not_json = await http.post(
            "/v1/contacts/imports",
            params={"columns": "{firma: company"},
            content=path.read_bytes(),
            headers={"content-type": "text/csv"},
        )
        assert not_json.status_code == 422

"""Free-text search (`q`) against the running service: every way a contact is written keeps
what it is found by — the API, ingestion, CSV import, a rename, a merge, an erase — and
records from before search existed get their terms."""

from __future__ import annotations

from typing import Any
from uuid import uuid4


async def _found(http: Any, q: str, **params: Any) -> set[str]:
    response = await http.get("/v1/contacts", params={"q": q, **params})
    assert response.status_code == 200, response.text
    assert all("terms" not in c for c in response.json()["items"])  # internal, never shown
    return {c["id"] for c in response.json()["items"]}


async def test_text_search_follows_every_write(services, mongo, eventually, tmp_path) -> None:  # type: ignore[no-untyped-def]
    tag = uuid4().hex[:8]
    async with services.client("contacts") as http:
        made = await http.post(
            "/v1/contacts",
            json={
                "email": f"zoe.{tag}@acme.example",
                "first_name": "Zoë",
                "last_name": tag,
                "company": "Ácme Corp",
            },
        )
        assert made.status_code == 201, made.text
        zoe = made.json()["id"]
        # Word prefixes, any case, no accents, combined with the other filters.
        assert await _found(http, f"zoe {tag}") == {zoe}
        assert await _found(http, f"ZO {tag[:4]} acm") == {zoe}
        assert await _found(http, f"zoe.{tag}@acme") == {zoe}
        assert await _found(http, f"zoe {tag}", stage="customer") == set()
        assert await _found(http, f"zoe {tag} globex") == set()

        # A rename replaces the words it changed.
        renamed = await http.patch(f"/v1/contacts/{zoe}", json={"company": "Globex"})
        assert renamed.status_code == 200, renamed.text
        assert await _found(http, f"{tag} globex") == {zoe}
        assert await _found(http, f"{tag} corp") == set()

        # Ingestion: a visitor identified with traits is found by them once resolved.
        identify = {
            "event_id": str(uuid4()),
            "type": "identify",
            "contact": {"email": f"yann.{tag}@initech.example"},
            "traits": {"first_name": "Yann", "company": "Initech"},
        }
        ingested = await http.post("/v1/events", json={"events": [identify]})
        assert ingested.status_code == 202, ingested.text
        yann = await eventually(lambda: _found(http, f"yann initech {tag}"))
        assert len(yann) == 1

        # CSV import: new rows, and a row that updates Zoë with a second address.
        csv = tmp_path / "people.csv"
        csv.write_text(
            "email,first_name,last_name,company\n"
            f"xia.{tag}@umbrella.example,Xia,{tag},Umbrella\n"
            f"zoe.{tag}@acme.example,Zoë,{tag},Globex\n"
        )
        started = await http.post(
            "/v1/contacts/imports",
            content=csv.read_bytes(),
            headers={"content-type": "text/csv"},
        )
        assert started.status_code == 202, started.text

        async def finished() -> dict[str, Any] | None:
            job = (await http.get(f"/v1/contacts/imports/{started.json()['id']}")).json()
            return job if job["status"] != "running" else None

        job = await eventually(finished, timeout=120)
        assert (job["status"], job["created"], job["updated"]) == ("done", 1, 1), job
        assert len(await _found(http, f"xia umbrella {tag}")) == 1

        # A merge: the survivor is found by the merged record's words too; the merged is not.
        (xia,) = await _found(http, f"xia {tag}")
        merged = await http.post(f"/v1/contacts/{zoe}/merge", json={"merge_ids": [xia]})
        assert merged.status_code == 200, merged.text
        assert await _found(http, f"xia.{tag}@umbrella") == {zoe}
        assert await _found(http, f"zoe {tag} globex") == {zoe}

        # Erased people are found by nothing.
        erased = await http.delete(f"/v1/contacts/{zoe}")
        assert erased.status_code in (200, 202, 204), erased.text
        assert await _found(http, f"{tag}") == yann

        # A clear error for a query without words, never a 500.
        bad = await http.get("/v1/contacts", params={"q": "!!!"})
        assert bad.status_code == 422, bad.text
        assert bad.json()["details"][0]["field"] == "query.q", bad.text

    # Records stored before search existed get their terms on start-up.
    from lodestone_contacts.stores import Stores

    db = mongo["lodestone_contacts"]
    (old,) = yann
    await db["contacts"].update_one({"_id": old}, {"$unset": {"terms": ""}})
    async with services.client("contacts") as http:
        assert await _found(http, f"yann {tag}") == set()
        await Stores(db).records.backfill_terms(batch=2)
        assert await _found(http, f"yann {tag}") == {old}

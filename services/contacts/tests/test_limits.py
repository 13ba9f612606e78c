"""Input that would make an event too large for Kafka is refused at the door, naming the
field, and leaves nothing behind (the running service, real Kafka and database)."""

from __future__ import annotations

from uuid import uuid4

from lodestone_common.limits import MAX_MAP_BYTES, MAX_VALUE_BYTES


async def test_an_oversized_custom_field_is_refused_and_nothing_is_stored(services) -> None:  # type: ignore[no-untyped-def]
    email = f"big.{uuid4().hex[:8]}@example.com"
    async with services.client("contacts") as http:
        response = await http.post(
            "/v1/contacts", json={"email": email, "custom": {"proposal": "x" * 2_000_000}}
        )
        assert response.status_code == 422, response.text
        body = response.json()
        assert body["details"][0]["field"] == "body.custom"
        assert "'proposal'" in body["message"] and str(MAX_VALUE_BYTES) in body["message"]
        found = (await http.get("/v1/contacts", params={"email": email})).json()
        assert found["items"] == []


async def test_custom_fields_may_not_grow_past_the_record_limit_patch_by_patch(services) -> None:  # type: ignore[no-untyped-def]
    email = f"grow.{uuid4().hex[:8]}@example.com"
    chunk = "y" * (MAX_VALUE_BYTES - 100)
    async with services.client("contacts") as http:
        created = await http.post("/v1/contacts", json={"email": email, "custom": {"a": chunk}})
        assert created.status_code == 201, created.text
        contact_id = created.json()["id"]
        assert (
            await http.patch(f"/v1/contacts/{contact_id}", json={"custom": {"b": chunk}})
        ).status_code == 200
        # Each patch is small; together they would pass the record's limit.
        refused = await http.patch(f"/v1/contacts/{contact_id}", json={"custom": {"c": chunk}})
        assert refused.status_code == 422, refused.text
        assert refused.json()["message"].startswith("custom:")
        assert str(MAX_MAP_BYTES) in refused.json()["message"]
        kept = (await http.get(f"/v1/contacts/{contact_id}")).json()
        assert sorted(kept["custom"]) == ["a", "b"]


async def test_an_oversized_event_names_itself_and_the_batch_is_refused(services) -> None:  # type: ignore[no-untyped-def]
    email = f"ev.{uuid4().hex[:8]}@example.com"
    events = [
        {"event_id": f"{email}-ok", "type": "page", "contact": {"email": email}},
        {
            "event_id": f"{email}-big",
            "type": "track",
            "name": "Proposal Sent",
            "contact": {"email": email},
            "properties": {f"k{i}": "z" * 10_000 for i in range(5)},
        },
    ]
    async with services.client("contacts") as http:
        response = await http.post("/v1/events", json={"events": events})
        assert response.status_code == 422, response.text
        detail = response.json()["details"][0]
        assert detail["field"].endswith("properties"), detail
        assert str(MAX_MAP_BYTES) in detail["message"]

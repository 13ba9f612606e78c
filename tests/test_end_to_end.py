"""The first path through the whole suite: real processes, real Kafka, real MongoDB-wire."""

from __future__ import annotations

from uuid import uuid4

import pytest

# The services that read all their topics in one consumer group (issue 31, step by step).
ONE_GROUP = {"scoring", "automation", "reporting"}


async def test_every_service_is_ready_and_documents_itself(services) -> None:  # type: ignore[no-untyped-def]
    for service in ("contacts", "scoring", "automation", "reporting"):
        async with services.client(service, key=None) as http:
            ready = await http.get("/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"] == {"mongodb": "ok", "kafka": "ok", "progress": "ok"}
            health = (await http.get("/healthz")).json()
            assert health["status"] == "ok" and health["stalled"] == []
            # The service's consumer groups and loops (automation's runner, contacts' segment
            # reviews) are watched.
            watched = set(health["progress"])
            groups = watched - {"automation-runner", "contacts-segment-reviews"}
            assert groups and all(
                g == f"lodestone-{service}" or g.startswith(f"lodestone-{service}.") for g in groups
            ), watched
            if service in ONE_GROUP:  # every topic it reads in one group
                assert groups == {f"lodestone-{service}"}, watched
            if service == "automation":
                assert "automation-runner" in watched
            if service == "contacts":
                assert "contacts-segment-reviews" in watched
            metrics = await http.get("/metrics")
            assert "lodestone_stalled" in metrics.text
            metrics = await http.get("/metrics")
            assert "lodestone_http_requests_total" in metrics.text
            openapi = (await http.get("/openapi.json")).json()
            assert any(path.startswith("/v1/") for path in openapi["paths"])
            asyncapi = (await http.get("/asyncapi.json")).json()
            assert asyncapi["asyncapi"].startswith("3.")
            assert asyncapi["channels"], f"{service} documents no channel"


async def test_a_created_contact_reaches_every_service(services, mongo, eventually) -> None:  # type: ignore[no-untyped-def]
    source = f"e2e-{uuid4().hex[:6]}"
    email = f"ada.{uuid4().hex[:6]}@example.com"
    async with services.client("contacts") as contacts:
        created = await contacts.post(
            "/v1/contacts",
            json={"email": email.upper(), "first_name": "Ada", "source": source},
        )
        assert created.status_code == 201, created.text
        contact = created.json()
        assert contact["email"] == email
        again = await contacts.post("/v1/contacts", json={"email": email})
        assert again.status_code == 409
        assert "already exists" in again.json()["message"]
        fetched = await contacts.get(f"/v1/contacts/{contact['id']}")
        assert fetched.json()["first_name"] == "Ada"

    async def counted() -> bool:
        async with services.client("reporting") as reporting:
            report = (await reporting.get("/v1/reports/contacts")).json()
        return report["by_source"].get(source) == 1

    async def scored() -> bool:
        async with services.client("scoring") as scoring:
            response = await scoring.get(f"/v1/scores/{contact['id']}")
        return response.status_code == 200 and response.json()["score"] == 0

    async def projected() -> bool:
        doc = await mongo["lodestone_automation"]["audience"].find_one({"_id": contact["id"]})
        return bool(doc) and doc["email"] == email

    await eventually(counted)
    await eventually(scored)
    await eventually(projected)


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email"},
        {"email": "a@b.co", "unknown_field": 1},
        {"lifecycle_stage": "wizard"},
        {"tags": "not-a-list"},
    ],
)
async def test_bad_input_gets_a_clear_422(services, body) -> None:  # type: ignore[no-untyped-def]
    async with services.client("contacts") as contacts:
        response = await contacts.post("/v1/contacts", json=body)
    assert response.status_code == 422
    error = response.json()
    assert error["error"] == "validation_error" and error["message"] and error["details"]


async def test_malformed_json_and_oversized_bodies_are_refused(services) -> None:  # type: ignore[no-untyped-def]
    async with services.client("contacts") as contacts:
        broken = await contacts.post(
            "/v1/contacts", content=b"{nope", headers={"content-type": "application/json"}
        )
        assert broken.status_code == 422
        huge = await contacts.post(
            "/v1/contacts",
            content=b"x" * (6 * 1024 * 1024),
            headers={"content-type": "application/json"},
        )
        assert huge.status_code == 413
        assert huge.json()["error"] == "payload_too_large"


async def test_keys_are_required_except_for_ops_endpoints(services) -> None:  # type: ignore[no-untyped-def]
    paths = {
        "contacts": "/v1/contacts/c_x",
        "scoring": "/v1/scores/c_x",
        "automation": "/v1/workflows",
        "reporting": "/v1/reports/contacts",
    }
    for service, path in paths.items():
        async with services.client(service, key=None) as anonymous:
            assert (await anonymous.get(path)).status_code == 401
        async with services.client(service, key="wrong-key") as wrong:
            response = await wrong.get(path)
            assert response.status_code == 401
            assert response.json()["error"] == "unauthorized"


async def test_reps_reach_reporting_so_goals_are_only_for_reps(services, eventually) -> None:  # type: ignore[no-untyped-def]
    """Automation announces every rep change; reporting takes goals only for reps and leaves
    removed ones off the leaderboard (a goal for any id made a phantom rep there)."""
    rep = f"rep-e2e-{uuid4().hex[:6]}"
    async with services.client("automation") as automation, services.client("reporting") as http:
        assert (await automation.put(f"/v1/reps/{rep}", json={"name": "Eve"})).status_code == 200

        async def goal(expected: int) -> bool:
            answer = await http.put(f"/v1/goals/{rep}/2026-12", json={"calls": 10})
            return answer.status_code == expected

        await eventually(lambda: goal(200), timeout=60)
        board = (await http.get("/v1/reports/leaderboard")).json()
        rows = [r for r in board["reps"] if r["owner"] == rep]
        assert rows and rows[0]["name"] == "Eve"
        assert (await automation.delete(f"/v1/reps/{rep}")).status_code == 204
        await eventually(lambda: goal(404), timeout=60)
        board = (await http.get("/v1/reports/leaderboard")).json()
        assert rep not in {r["owner"] for r in board["reps"]}

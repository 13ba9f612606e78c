"""Scoring end to end: real processes, real Kafka, real MongoDB-wire server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import orjson
from aiokafka import AIOKafkaConsumer

from lodestone_common.events import InteractionRecorded
from lodestone_common.kafka import make_broker, outgoing, publish_all
from lodestone_common.settings import ServiceSettings
from lodestone_common.topics import INTERACTIONS, SCORES
from lodestone_scoring.stores.history import History


def track(email: str, name: str, minutes: int = 0, **props: Any) -> dict[str, Any]:
    at = datetime.now(UTC) - timedelta(minutes=60 - minutes)
    return {
        "event_id": str(uuid4()),
        "type": "track",
        "name": name,
        "occurred_at": at.isoformat(),
        "contact": {"email": email},
        "properties": props,
    }


def page(email: str, url: str, minutes: int = 0) -> dict[str, Any]:
    event = track(email, "Page Viewed", minutes, url=url)
    return {**event, "type": "page", "name": None} | {"name": url}


async def scores_topic(bootstrap: str, contact_id: str) -> list[dict[str, Any]]:
    consumer = AIOKafkaConsumer(
        SCORES,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        group_id=f"t-{uuid4().hex[:8]}",
        enable_auto_commit=False,
    )
    await consumer.start()
    found = []
    try:
        while batch := await consumer.getmany(timeout_ms=1500):
            for records in batch.values():
                found += [
                    e for r in records if (e := orjson.loads(r.value))["contact_id"] == contact_id
                ]
    finally:
        await consumer.stop()
    return found


async def new_contact(http, **fields: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    email = f"s.{uuid4().hex[:10]}@example.com"
    response = await http.post("/v1/contacts", json={"email": email, **fields})
    assert response.status_code == 201, response.text
    return response.json()


async def test_interactions_earn_explained_points_and_qualify_once(services, eventually) -> None:  # type: ignore[no-untyped-def]
    async with services.client("contacts") as contacts, services.client("scoring") as scoring:
        person = await new_contact(contacts, title="VP Marketing", company="Acme", company_size=300)
        email = person["email"]
        events = [page(email, "/pricing", i) for i in range(4)]  # 4x(1+10) but pricing caps at 30
        events += [track(email, "Form Submitted", 10, form_id="demo")]
        events += [track(email, "Meeting Held", 11)]
        response = await contacts.post("/v1/events", json={"events": events})
        assert response.status_code == 202

        async def scored() -> dict[str, Any] | None:
            got = await scoring.get(f"/v1/scores/{person['id']}")
            body = got.json() if got.status_code == 200 else {}
            default = next((m for m in body.get("models", []) if m["model_id"] == "default"), None)
            return body if default and len(default["entries"]) == 10 else None

        body = await eventually(scored, timeout=30)
        default = body["models"][0]
        rules = sorted((e["rule_id"], e["points"], e["capped"]) for e in default["entries"])
        assert rules == sorted(
            [("visit", 1, False)] * 4
            + [("pricing", 10, False)] * 3
            + [("pricing", 0, True), ("form", 20, False), ("meeting", 30, False)]
        )
        # 84 points an hour old under a 30-day half-life.
        assert 83 < body["score"] < 84

        # VP (+30), 300 employees (+20), company known (+10) = 60 fit points = grade A. The
        # profile comes from the contacts topic, which may trail the interactions topic.
        async def graded() -> dict[str, Any] | None:
            body = (await scoring.get(f"/v1/scores/{person['id']}")).json()
            default = body["models"][0]
            return default if default["grade"] == "A" else None

        default = await eventually(graded)
        assert default["fit_rules"] == ["vp", "mid-size", "has-company"]
        assert default["qualified"] is False

        more = [track(email, "Email Clicked", 20 + i, campaign_id="c") for i in range(4)]
        await contacts.post("/v1/events", json={"events": more})

        async def qualified() -> list[dict[str, Any]] | None:
            found = await scores_topic(services.stack.kafka_bootstrap, person["id"])
            return found if any(e["event_type"] == "lead.qualified" for e in found) else None

        await eventually(qualified, timeout=30)
        # Further points do not qualify the lead again.
        await contacts.post(
            "/v1/events",
            json={
                "events": [track(email, "Call Logged", 30, direction="made", duration_seconds=60)]
            },
        )
        await eventually(lambda: _entries(scoring, person["id"], 15), timeout=30)
        # Falling below the threshold disqualifies, once.
        await contacts.post(
            "/v1/events",
            json={
                "events": [
                    track(email, "Email Unsubscribed", 40),
                    track(email, "Email Bounced", 41),
                ]
            },
        )

        async def disqualified() -> list[dict[str, Any]] | None:
            found = await scores_topic(services.stack.kafka_bootstrap, person["id"])
            return found if any(e["event_type"] == "lead.disqualified" for e in found) else None

        found = await eventually(disqualified, timeout=30)
        kinds = [e["event_type"] for e in found]
        assert kinds.count("lead.qualified") == 1 and kinds.count("lead.disqualified") == 1

        # Contacts keeps the verdict for search.
        async def banded() -> bool:
            doc = (await contacts.get(f"/v1/contacts/{person['id']}")).json()
            return doc.get("score_band") in ("warm", "cold") and doc.get("grade") is not None

        await eventually(banded)


async def _entries(scoring, contact_id: str, n: int) -> bool:  # type: ignore[no-untyped-def]
    response = await scoring.get(f"/v1/scores/{contact_id}")
    if response.status_code != 200:
        return False  # contacts' created event has not reached scoring yet
    default = [m for m in response.json()["models"] if m["model_id"] == "default"]
    return bool(default) and len(default[0]["entries"]) == n


async def test_redelivered_interactions_never_count_twice(services, mongo, eventually) -> None:  # type: ignore[no-untyped-def]
    async with services.client("contacts") as contacts:
        person = await new_contact(contacts)
    envelope = InteractionRecorded(interaction_type="meeting_held", name="Meeting Held").envelope(
        contact_id=person["id"], producer="contacts"
    )
    producer = make_broker(
        ServiceSettings(kafka_bootstrap=services.stack.kafka_bootstrap, api_key="k")
    )
    await producer.connect()
    try:
        await publish_all(producer, [outgoing(INTERACTIONS, envelope)] * 3)
        async with services.client("scoring") as scoring:
            await eventually(lambda: _entries(scoring, person["id"], 1))
            await publish_all(producer, [outgoing(INTERACTIONS, envelope)])
            other = InteractionRecorded(interaction_type="purchase", name="Purchase").envelope(
                contact_id=person["id"], producer="contacts"
            )
            await publish_all(producer, [outgoing(INTERACTIONS, other)])
            await eventually(lambda: _entries(scoring, person["id"], 2))
            body = (await scoring.get(f"/v1/scores/{person['id']}")).json()
    finally:
        await producer.stop()
    assert sorted(e["rule_id"] for e in body["models"][0]["entries"]) == ["meeting", "purchase"]
    assert 79.9 < body["score"] <= 80
    ledger = mongo["lodestone_scoring"]["ledger"]
    assert await ledger.count_documents({"contact_id": person["id"]}) == 2
    # The predictive model's activity counts come from the history (each interaction once);
    # the profile keeps none of its own.
    db = mongo["lodestone_scoring"]
    counted = await History(db).activity([person["id"]], None)
    assert counted == {person["id"]: {"meeting_held": 1, "purchase": 1}}
    assert "activity" not in (await db["profiles"].find_one({"_id": person["id"]}) or {})


async def test_a_model_change_rescores_history(services, eventually) -> None:  # type: ignore[no-untyped-def]
    model_id = f"m{uuid4().hex[:8]}"
    definition = {
        "name": "Product A",
        "rules": [
            {
                "id": "docs",
                "name": "Docs visit",
                "interaction_type": "page_visit",
                "conditions": [{"field": "url", "op": "starts_with", "value": "/docs"}],
                "points": 5,
            }
        ],
        "decay": {"type": "none"},
    }
    async with services.client("contacts") as contacts, services.client("scoring") as scoring:
        person = await new_contact(contacts)
        await contacts.post(
            "/v1/events",
            json={
                "events": [
                    page(person["email"], "/docs/a", 1),
                    page(person["email"], "/docs/b", 2),
                    page(person["email"], "/blog", 3),
                ]
            },
        )
        await eventually(lambda: _entries(scoring, person["id"], 3))  # default: 3 visits

        created = await scoring.post("/v1/scoring-models", json={"id": model_id, **definition})
        assert created.status_code == 201, created.text
        assert created.json()["recompute"]["status"] == "running"

        async def model_score(points: float) -> bool:
            body = (await scoring.get(f"/v1/scores/{person['id']}")).json()
            mine = [m for m in body["models"] if m["model_id"] == model_id]
            return bool(mine) and mine[0]["score"] == points

        await eventually(lambda: model_score(10), timeout=30)  # history scored on creation
        definition["rules"][0]["points"] = 7
        changed = await scoring.put(f"/v1/scoring-models/{model_id}", json=definition)
        assert changed.status_code == 200 and changed.json()["version"] == 2
        job_id = changed.json()["recompute"]["id"]

        async def job_done() -> bool:
            job = (await scoring.get(f"/v1/scoring-models/recompute/{job_id}")).json()
            return job["status"] == "done" and job["done"] >= 1

        await eventually(job_done, timeout=60)
        await eventually(lambda: model_score(14), timeout=30)
        body = (await scoring.get(f"/v1/scores/{person['id']}")).json()
        mine = next(m for m in body["models"] if m["model_id"] == model_id)
        assert {e["model_version"] for e in mine["entries"]} == {2}
        versions = (await scoring.get(f"/v1/scoring-models/{model_id}/versions")).json()
        assert [v["version"] for v in versions] == [2, 1]

        bad = await scoring.post(
            "/v1/scoring-models",
            json={"id": "bad", "name": "x", "rules": [{"id": "r", "name": "r", "points": 3}]},
        )
        assert bad.status_code == 422 and "interaction_type or event_name" in bad.text
        dupe = await scoring.post("/v1/scoring-models", json={"id": model_id, **definition})
        assert dupe.status_code == 409


async def test_merge_combines_ledgers(services, eventually) -> None:  # type: ignore[no-untyped-def]
    async with services.client("contacts") as contacts, services.client("scoring") as scoring:
        a = await new_contact(contacts)
        b = await new_contact(contacts)
        await contacts.post(
            "/v1/events",
            json={
                "events": [
                    track(a["email"], "Form Submitted", 1),
                    track(b["email"], "Meeting Held", 2),
                ]
            },
        )
        await eventually(lambda: _entries(scoring, a["id"], 1))
        await eventually(lambda: _entries(scoring, b["id"], 1))
        merged = await contacts.post(f"/v1/contacts/{a['id']}/merge", json={"merge_ids": [b["id"]]})
        assert merged.status_code == 200

        async def combined() -> bool:
            body = (await scoring.get(f"/v1/scores/{a['id']}")).json()
            rules = sorted(e["rule_id"] for e in body["models"][0]["entries"])
            return rules == ["form", "meeting"] and 49.9 < body["score"] <= 50

        await eventually(combined, timeout=30)
        # The merged contact's old id reads as the survivor, as contacts resolves it.
        old = await scoring.get(f"/v1/scores/{b['id']}")
        assert old.status_code == 200 and old.json()["contact_id"] == a["id"]
        assert old.json()["score"] == (await scoring.get(f"/v1/scores/{a['id']}")).json()["score"]


async def test_predictive_score_learns_from_outcomes(services, eventually) -> None:  # type: ignore[no-untyped-def]
    won = {"industry": "Software", "title": "VP Engineering", "company_size": 800}
    lost = {"industry": "Retail", "title": "Analyst", "company_size": 5}
    async with services.client("contacts") as contacts, services.client("scoring") as scoring:
        people = []
        for i in range(14):
            profile, stage = (won, "customer") if i % 2 == 0 else (lost, "lost")
            person = await new_contact(contacts, **profile)
            people.append(person["id"])
            moved = await contacts.patch(
                f"/v1/contacts/{person['id']}", json={"stage": {"to": stage}}
            )
            assert moved.status_code == 200
        fresh_won = await new_contact(contacts, **won)
        fresh_lost = await new_contact(contacts, **lost)

        async def predicted(contact_id: str) -> dict[str, Any] | None:
            response = await scoring.get(f"/v1/scores/{contact_id}")
            if response.status_code != 200:
                return None
            body = response.json()
            trained = (body.get("predictive") or {}).get("trained_on", {})
            return body if min(trained.values(), default=0) >= 7 else None

        likely = (await eventually(lambda: predicted(fresh_won["id"]), timeout=30))["predictive"]
        unlikely = (await eventually(lambda: predicted(fresh_lost["id"])))["predictive"]
        assert likely["probability"] > 0.8 > 0.2 > unlikely["probability"]
        assert {f["feature"] for f in likely["factors"]} & {"industry", "seniority", "company_size"}
        assert all(f["weight"] > 0 for f in likely["factors"] if f["feature"] == "industry")
        # The rule score is reported as before, next to the prediction.
        body = (await scoring.get(f"/v1/scores/{fresh_won['id']}")).json()
        assert body["score"] == 0 and body["models"]


async def test_a_draft_model_is_tried_on_one_contact_without_saving(services, eventually) -> None:  # type: ignore[no-untyped-def]
    draft: dict[str, Any] = {
        "name": "Draft",
        "rules": [
            {
                "id": "docs",
                "name": "Docs visit",
                "interaction_type": "page_visit",
                "conditions": [{"field": "url", "op": "starts_with", "value": "/docs"}],
                "points": 5,
            }
        ],
        "decay": {"type": "none"},
        "bands": {"cold": 0, "warm": 8, "hot": 20},
    }
    async with services.client("contacts") as contacts, services.client("scoring") as scoring:
        person = await new_contact(contacts)
        await contacts.post(
            "/v1/events",
            json={
                "events": [
                    page(person["email"], "/docs/a", 1),
                    page(person["email"], "/docs/b", 2),
                    page(person["email"], "/blog", 3),
                ]
            },
        )
        await eventually(lambda: _entries(scoring, person["id"], 3))
        before = (await scoring.get(f"/v1/scores/{person['id']}")).json()

        async def tried(points: int) -> dict[str, Any]:
            draft["rules"][0]["points"] = points
            answer = await scoring.post(
                "/v1/scoring-models/try", json={"definition": draft, "contact_id": person["id"]}
            )
            assert answer.status_code == 200, answer.text
            return dict(answer.json())

        five = await tried(5)
        assert (five["score"], five["band"], five["interactions"]) == (10, "warm", 3)
        assert [(e["rule_id"], e["points"]) for e in five["ledger"]] == [("docs", 5), ("docs", 5)]
        # Change a rule: the explanation changes with it.
        twelve = await tried(12)
        assert (twelve["score"], twelve["band"]) == (24, "hot")
        assert [e["points"] for e in twelve["ledger"]] == [12, 12]
        # Nothing was saved: the contact's scores and the models are as they were.
        after = (await scoring.get(f"/v1/scores/{person['id']}")).json()
        assert after == before
        models = (await scoring.get("/v1/scoring-models")).json()
        assert "Draft" not in {m["definition"]["name"] for m in models}
        # A broken draft says which rule; an unknown contact is a 404.
        draft["rules"][0]["points"] = "many"
        broken = await scoring.post(
            "/v1/scoring-models/try", json={"definition": draft, "contact_id": person["id"]}
        )
        assert broken.status_code == 422
        assert broken.json()["details"][0]["field"] == "body.definition.rules.0.points"
        draft["rules"][0]["points"] = 5
        nobody = await scoring.post(
            "/v1/scoring-models/try", json={"definition": draft, "contact_id": "c_nobody"}
        )
        assert nobody.status_code == 404

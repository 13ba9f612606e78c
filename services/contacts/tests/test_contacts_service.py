"""The contacts service end to end: real processes, real Kafka, real MongoDB-wire server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import orjson
from aiokafka import AIOKafkaConsumer

from lodestone_common.topics import CONTACTS, INTERACTIONS

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


def event(
    kind: str = "track",
    name: str | None = "Page Viewed",
    minutes: int = 0,
    props: dict[str, Any] | None = None,
    traits: dict[str, Any] | None = None,
    **contact: str,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event_id": str(uuid4()),
        "type": kind,
        "contact": contact,
        "occurred_at": (T0 + timedelta(minutes=minutes)).isoformat(),
        "properties": props or {},
        "traits": traits or {},
    }
    if name:
        body["name"] = name
    return body


async def read_topic(bootstrap: str, topic: str, contact_ids: set[str]) -> list[dict[str, Any]]:
    """Every envelope for these contacts on a topic so far, in partition order."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"test-{uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: list[dict[str, Any]] = []
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=1500)
            if not batch:
                return found
            for records in batch.values():
                for r in records:
                    env = orjson.loads(r.value)
                    if env["contact_id"] in contact_ids:
                        found.append(env)
    finally:
        await consumer.stop()


async def ingest(http, events: list[dict[str, Any]]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = await http.post("/v1/events", json={"events": events})
    assert response.status_code == 202, response.text
    return response.json()


async def find_by_email(mongo, email: str) -> dict[str, Any] | None:  # type: ignore[no-untyped-def]
    ident = await mongo["lodestone_contacts"]["identities"].find_one({"_id": f"email:{email}"})
    if not ident:
        return None
    return await mongo["lodestone_contacts"]["contacts"].find_one({"_id": ident["contact_id"]})


async def test_mixed_batch_creates_contacts_and_orders_interactions(
    services,
    mongo,
    eventually,  # type: ignore[no-untyped-def]
) -> None:
    tag = uuid4().hex[:8]
    known_email = f"known.{tag}@example.com"
    async with services.client("contacts") as http:
        known = (await http.post("/v1/contacts", json={"email": known_email})).json()
        events = [
            event(minutes=i, email=known_email, props={"url": f"/p{i}"}) for i in range(5)
        ] + [
            event(
                name="Email Opened",
                minutes=6,
                email=f"new.{tag}@example.com",
                props={"campaign_id": "spring"},
            ),
            event(
                kind="page",
                name=None,
                minutes=7,
                anonymous_id=f"anon-{tag}",
                props={"url": "/pricing"},
            ),
            event(
                name="Call Logged",
                minutes=8,
                email=known_email,
                props={"direction": "made", "duration_seconds": 320, "outcome": "connected"},
            ),
        ]
        assert await ingest(http, events) == {"accepted": 8, "duplicates": 0}

        async def resolved() -> dict[str, Any] | None:
            new = await find_by_email(mongo, f"new.{tag}@example.com")
            anon = await mongo["lodestone_contacts"]["identities"].find_one(
                {"_id": f"anon:anon-{tag}"}
            )
            doc = await mongo["lodestone_contacts"]["contacts"].find_one({"_id": known["id"]})
            if new and anon and doc and doc.get("activity", {}).get("call_logged") == 1:
                return {"new": new, "anon": anon["contact_id"], "known": doc}
            return None

        found = await eventually(resolved)
        assert found["known"]["activity"] == {"page_visit": 5, "call_logged": 1}
        assert found["new"]["anonymous"] is False
        anon = await mongo["lodestone_contacts"]["contacts"].find_one({"_id": found["anon"]})
        assert anon["anonymous"] is True and anon["lifecycle_stage"] is None

        timeline = (await http.get(f"/v1/contacts/{known['id']}/timeline?limit=4")).json()
        kinds = [e["type"] for e in timeline["entries"]]
        # The record was created now; the interactions happened an hour ago.
        assert kinds == ["contact.created", "call_logged", "page_visit", "page_visit"]
        older = (
            await http.get(
                f"/v1/contacts/{known['id']}/timeline?limit=10&before={timeline['next_cursor']}"
            )
        ).json()
        assert [e["properties"]["url"] for e in older["entries"]] == ["/p2", "/p1", "/p0"]
        assert older["next_cursor"] is None

    ids = {known["id"], found["new"]["_id"], found["anon"]}
    interactions = await eventually(
        lambda: _at_least(services.stack.kafka_bootstrap, INTERACTIONS, ids, 8)
    )
    mine = [e for e in interactions if e["contact_id"] == known["id"]]
    # One contact's interactions arrive in the order they happened.
    assert [e["occurred_at"] for e in mine] == sorted(e["occurred_at"] for e in mine)
    assert [e["payload"]["interaction_type"] for e in mine][-1] == "call_logged"
    assert {str(e["event_id"]) for e in interactions} >= {ev["event_id"] for ev in events}


async def _at_least(bootstrap: str, topic: str, ids: set[str], n: int) -> list[dict] | None:  # type: ignore[type-arg]
    found = await read_topic(bootstrap, topic, ids)
    return found if len(found) >= n else None


async def test_resend_changes_nothing(services, mongo, eventually) -> None:  # type: ignore[no-untyped-def]
    email = f"resend.{uuid4().hex[:8]}@example.com"
    events = [event(minutes=i, email=email) for i in range(3)]
    async with services.client("contacts") as http:
        assert await ingest(http, events) == {"accepted": 3, "duplicates": 0}
        assert await ingest(http, events + events[:1]) == {"accepted": 0, "duplicates": 4}

        async def counted() -> dict[str, Any] | None:
            doc = await find_by_email(mongo, email)
            return doc if doc and doc.get("activity", {}).get("page_visit") == 3 else None

        doc = await eventually(counted)
        timeline = (await http.get(f"/v1/contacts/{doc['_id']}/timeline")).json()
        assert len([e for e in timeline["entries"] if e["kind"] == "interaction"]) == 3


async def test_identify_stitches_anonymous_history(services, mongo, eventually) -> None:  # type: ignore[no-untyped-def]
    tag = uuid4().hex[:8]
    email = f"stitch.{tag}@example.com"
    async with services.client("contacts") as http:
        known = (await http.post("/v1/contacts", json={"email": email, "source": "ads"})).json()
        await ingest(
            http,
            [
                event(
                    kind="page",
                    name=None,
                    minutes=i,
                    anonymous_id=f"v-{tag}",
                    props={"url": f"/a{i}"},
                )
                for i in range(3)
            ],
        )
        anon = await eventually(
            lambda: mongo["lodestone_contacts"]["identities"].find_one({"_id": f"anon:v-{tag}"})
        )
        await ingest(
            http,
            [
                event(
                    kind="identify",
                    name=None,
                    minutes=5,
                    anonymous_id=f"v-{tag}",
                    email=email,
                    traits={"first_name": "Grace"},
                )
            ],
        )

        async def stitched() -> dict[str, Any] | None:
            doc = (await http.get(f"/v1/contacts/{known['id']}")).json()
            return doc if doc.get("activity", {}).get("page_visit") == 3 else None

        doc = await eventually(stitched)
        assert doc["first_name"] == "Grace"
        # The anonymous id now resolves to the known person; its history moved with it.
        moved = (await http.get(f"/v1/contacts/{anon['contact_id']}")).json()
        assert moved["id"] == known["id"]
        timeline = (await http.get(f"/v1/contacts/{known['id']}/timeline")).json()
        assert sum(e["type"] == "page_visit" for e in timeline["entries"]) == 3
    merged = await eventually(
        lambda: _at_least(services.stack.kafka_bootstrap, CONTACTS, {known["id"]}, 3)
    )
    assert any(
        e["event_type"] == "contact.merged" and e["payload"]["merged_ids"] == [anon["contact_id"]]
        for e in merged
    )


async def test_bad_batches_get_clear_errors_and_nothing_partial(services, mongo) -> None:  # type: ignore[no-untyped-def]
    email = f"partial.{uuid4().hex[:8]}@example.com"
    good = event(email=email)
    async with services.client("contacts") as http:
        response = await http.post(
            "/v1/events",
            json={
                "events": [
                    good,
                    event(name="Call Logged", email=email, props={"direction": "up"}),
                    {"event_id": "x", "type": "track", "contact": {}},
                    event(email="not-an-email"),
                ]
            },
        )
        assert response.status_code == 422
        details = response.json()["details"]
        assert {(d["index"], d["field"]) for d in details} == {
            (1, "properties.direction"),
            (1, "properties.duration_seconds"),
            (2, "contact"),
            (3, "contact.email"),
        }
        assert "nothing was accepted" in response.json()["message"]
        too_many = await http.post("/v1/events", json={"events": [good] * 1001})
        assert too_many.status_code == 413 and "1000" in too_many.json()["message"]
        empty = await http.post("/v1/events", json={"events": []})
        assert empty.status_code == 422
        unknown = await http.post("/v1/events", json={"events": [event(contact_id="c_nobody")]})
        assert unknown.status_code == 422 and "c_nobody" in unknown.text
        ingest_only = {"Authorization": "Bearer wrong"}
        assert (
            await http.post("/v1/events", json={"events": [good]}, headers=ingest_only)
        ).status_code == 401
    # Nothing of the refused batch was accepted: the good event is still new.
    async with services.client("contacts") as http:
        assert await ingest(http, [good]) == {"accepted": 1, "duplicates": 0}


async def test_stage_moves_merge_and_erase_publish_their_events(
    services,
    mongo,
    eventually,  # type: ignore[no-untyped-def]
    settled,
) -> None:
    tag = uuid4().hex[:8]
    async with services.client("contacts") as http:
        a = (
            await http.post(
                "/v1/contacts",
                json={"email": f"a.{tag}@example.com", "first_name": "Alan", "tags": ["VIP"]},
            )
        ).json()
        b = (
            await http.post(
                "/v1/contacts",
                json={
                    "email": f"b.{tag}@example.com",
                    "company": "Acme",
                    "phone": "+44 20 7946 0000",
                },
            )
        ).json()
        up = await http.patch(
            f"/v1/contacts/{a['id']}",
            json={"stage": {"to": "customer"}, "owner_id": "rep-1", "age": 41},
        )
        assert up.status_code == 200 and up.json()["lifecycle_stage"] == "customer"
        back = await http.patch(f"/v1/contacts/{a['id']}", json={"stage": {"to": "lead"}})
        assert back.status_code == 409 and "allow_backward" in back.json()["message"]
        ok_back = await http.patch(
            f"/v1/contacts/{a['id']}",
            json={"stage": {"to": "lead", "allow_backward": True, "reason": "refund"}},
        )
        assert ok_back.json()["lifecycle_stage"] == "lead"
        history = [(h["from"], h["to"]) for h in ok_back.json()["stage_history"]]
        assert history == [(None, "subscriber"), ("subscriber", "customer"), ("customer", "lead")]

        merged = await http.post(f"/v1/contacts/{a['id']}/merge", json={"merge_ids": [b["id"]]})
        assert merged.status_code == 200, merged.text
        body = merged.json()
        assert body["company"] == "Acme" and body["first_name"] == "Alan"
        assert body["emails"] == sorted([f"a.{tag}@example.com", f"b.{tag}@example.com"])
        assert (await http.get(f"/v1/contacts/{b['id']}")).json()["id"] == a["id"]
        tomb = await mongo["lodestone_contacts"]["contacts"].find_one({"_id": b["id"]})
        assert "email" not in tomb and tomb["merged_into"] == a["id"]

        erased = await http.delete(f"/v1/contacts/{a['id']}")
        assert erased.status_code == 202
        assert (await http.get(f"/v1/contacts/{a['id']}")).status_code == 404
        assert (await http.get(f"/v1/contacts/{b['id']}")).status_code == 404

    events = await eventually(
        lambda: _types_seen(
            services,
            {a["id"]},
            {
                "contact.created",
                "contact.stage_changed",
                "contact.owner_assigned",
                "contact.updated",
                "contact.merged",
                "contact.erased",
            },
        )
    )
    assert events[-1] == "contact.erased"
    db = mongo["lodestone_contacts"]
    assert await db["identities"].count_documents({"contact_id": {"$in": [a["id"], b["id"]]}}) == 0
    assert await db["timeline"].count_documents({"contact_id": {"$in": [a["id"], b["id"]]}}) == 0
    leftover = await db["contacts"].find_one({"_id": a["id"]})
    assert set(leftover) == {"_id", "erased", "erased_at"}
    # Every other service forgets the person too.
    await eventually(lambda: _gone(mongo, a["id"]))
    # Events about the person still in flight on other topics must not bring them back.
    await _publish_late_events(services.stack.kafka_bootstrap, a["id"])
    await settled()
    assert await _gone(mongo, a["id"])


async def _publish_late_events(bootstrap: str, contact_id: str) -> None:
    from lodestone_common.events import InteractionRecorded, ScoreChanged
    from lodestone_common.kafka import make_broker, outgoing, publish_all
    from lodestone_common.settings import ServiceSettings
    from lodestone_common.topics import SCORES

    visit = InteractionRecorded(interaction_type="page_visit", name="/pricing", channel="web")
    score = ScoreChanged(model_id="default", score=42.0, previous_score=0.0, grade="B", band="warm")
    producer = make_broker(ServiceSettings(kafka_bootstrap=bootstrap, api_key="k"))
    await producer.connect()
    try:
        await publish_all(
            producer,
            [
                outgoing(INTERACTIONS, visit.envelope(contact_id=contact_id, producer="contacts")),
                outgoing(SCORES, score.envelope(contact_id=contact_id, producer="scoring")),
            ],
        )
    finally:
        await producer.stop()


async def _types_seen(services, ids: set[str], wanted: set[str]) -> list[str] | None:  # type: ignore[no-untyped-def]
    found = await read_topic(services.stack.kafka_bootstrap, CONTACTS, ids)
    types = [e["event_type"] for e in found]
    return types if wanted <= set(types) else None


async def _gone(mongo, contact_id: str) -> bool:  # type: ignore[no-untyped-def]
    scoring = mongo["lodestone_scoring"]
    left = [
        await scoring["states"].count_documents({"contact_id": contact_id}),
        await scoring["ledger"].count_documents({"contact_id": contact_id}),
        await scoring["interactions"].count_documents({"contact_id": contact_id}),
        await scoring["profiles"].count_documents({"_id": contact_id}),
    ]
    audience = await mongo["lodestone_automation"]["audience"].find_one({"_id": contact_id})
    return left == [0, 0, 0, 0] and audience is None


async def test_search_filters_pages_and_follows_scores(services, eventually) -> None:  # type: ignore[no-untyped-def]
    from lodestone_common.events import ScoreChanged
    from lodestone_common.kafka import make_broker, outgoing, publish_all
    from lodestone_common.settings import ServiceSettings
    from lodestone_common.topics import SCORES

    tag = f"t{uuid4().hex[:8]}"
    async with services.client("contacts") as http:
        people = []
        for i, (first, last) in enumerate([("Ann", "Lee"), ("Anne", "Lee"), ("Bo", "Kim")]):
            body = {
                "email": f"{first}.{tag}@example.com",
                "first_name": first,
                "last_name": last,
                "company": f"Co {tag}",
                "tags": [tag, f"n{i}"],
                "custom": {"plan": "pro" if i else "free"},
            }
            people.append((await http.post("/v1/contacts", json=body)).json())
        await http.patch(f"/v1/contacts/{people[2]['id']}", json={"stage": {"to": "lead"}})

        pages, cursor = [], None
        while True:
            url = f"/v1/contacts?tag={tag}&limit=1" + (f"&cursor={cursor}" if cursor else "")
            page = (await http.get(url)).json()
            pages.extend(c["id"] for c in page["items"])
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert sorted(pages) == sorted(p["id"] for p in people)
        pro = (await http.get(f"/v1/contacts?tag={tag}&custom.plan=pro")).json()["items"]
        assert {c["first_name"] for c in pro} == {"Anne", "Bo"}
        leads = (await http.get(f"/v1/contacts?tag={tag}&stage=lead")).json()["items"]
        assert [c["first_name"] for c in leads] == ["Bo"]
        bad = await http.get("/v1/contacts?stage=wizard")
        assert bad.status_code == 422 and "stage" in bad.json()["message"]
        assert (await http.get("/v1/contacts?cursor=%25%25")).status_code == 422

        dupes = (await http.get(f"/v1/contacts/{people[0]['id']}/duplicates")).json()
        assert [d["contact"]["first_name"] for d in dupes] == ["Anne"]
        assert dupes[0]["reasons"][0].startswith("similar name at the same company")

        producer = make_broker(
            ServiceSettings(kafka_bootstrap=services.stack.kafka_bootstrap, api_key="k")
        )
        await producer.connect()
        try:
            verdict = ScoreChanged(
                model_id="default", score=130, previous_score=40, grade="A", band="hot"
            )
            await publish_all(
                producer,
                [
                    outgoing(
                        SCORES,
                        verdict.envelope(
                            contact_id=people[1]["id"],
                            producer="scoring",
                            # Later than any verdict the running scoring service gives these
                            # new contacts meanwhile: the latest one wins, and it must be ours.
                            occurred_at=datetime.now(UTC) + timedelta(hours=1),
                        ),
                    )
                ],
            )
        finally:
            await producer.stop()

        async def hot() -> list[dict[str, Any]]:
            return (await http.get(f"/v1/contacts?tag={tag}&score_band=hot")).json()["items"]

        found = await eventually(hot)
        assert [c["id"] for c in found] == [people[1]["id"]]
        assert found[0]["grade"] == "A" and found[0]["score"] == 130


async def test_notes_and_unsubscribes(services, eventually) -> None:  # type: ignore[no-untyped-def]
    email = f"notes.{uuid4().hex[:8]}@example.com"
    async with services.client("contacts") as http:
        contact = (
            await http.post("/v1/contacts", json={"email": email, "consent": {"email": "granted"}})
        ).json()
        note = await http.post(
            f"/v1/contacts/{contact['id']}/notes", json={"text": "Asked for a demo next week"}
        )
        assert note.status_code == 201 and note.json()["detail"]["author"] == "admin"
        assert (
            await http.post(f"/v1/contacts/{contact['id']}/notes", json={"text": ""})
        ).status_code == 422
        notes = (await http.get(f"/v1/contacts/{contact['id']}/timeline?kind=note")).json()
        assert [e["detail"]["text"] for e in notes["entries"]] == ["Asked for a demo next week"]
        # Notes can be corrected and deleted; what they said before stays in their history.
        path = f"/v1/contacts/{contact['id']}/notes/{note.json()['id']}"
        edited = await http.patch(path, json={"text": "Asked for a demo on Tuesday"})
        assert edited.status_code == 200, edited.text
        detail = edited.json()["detail"]
        assert (detail["text"], detail["edited_by"]) == ("Asked for a demo on Tuesday", "admin")
        assert [h["text"] for h in detail["history"]] == ["Asked for a demo next week"]
        from lodestone_common.people import DEV_SIGNING_KEY, PersonTokens, person

        rep = PersonTokens.signing(DEV_SIGNING_KEY).sign(person("u", "r@x.io", "rep", rep_id="r"))
        async with services.client("contacts", key=rep) as as_rep:
            assert (await as_rep.delete(path)).status_code == 403  # not its author
        assert (await http.delete(path)).status_code == 204
        assert (await http.delete(path)).status_code == 404
        gone = (await http.get(f"/v1/contacts/{contact['id']}/timeline?kind=note")).json()
        (entry,) = gone["entries"]
        assert entry["detail"]["text"] is None and entry["detail"]["deleted_by"] == "admin"
        assert [h["text"] for h in entry["detail"]["history"]][-1] == "Asked for a demo on Tuesday"
        await ingest(
            http, [event(name="Email Unsubscribed", email=email, props={"campaign_id": "spring"})]
        )

        async def unsubscribed() -> dict[str, Any] | None:
            doc = (await http.get(f"/v1/contacts/{contact['id']}")).json()
            return doc if doc.get("unsubscribed") else None

        doc = await eventually(unsubscribed)
        assert doc["consent"]["email"] == "denied"


async def test_segments_backfill_and_follow_every_change(services, eventually) -> None:  # type: ignore[no-untyped-def]
    tag = f"s{uuid4().hex[:8]}"
    async with services.client("contacts") as http:
        early = (
            await http.post(
                "/v1/contacts", json={"email": f"early.{tag}@example.com", "tags": [tag]}
            )
        ).json()
        await http.patch(f"/v1/contacts/{early['id']}", json={"stage": {"to": "lead"}})
        await ingest(http, [event(minutes=i, email=f"early.{tag}@example.com") for i in range(3)])
        await eventually(lambda: _activity(http, early["id"], 3))

        created = await http.post(
            "/v1/segments",
            json={
                "name": "engaged leads",
                "filter": {"tags": [tag], "stage": ["lead"], "min_activity": {"page_visit": 2}},
            },
        )
        assert created.status_code == 201, created.text
        segment = created.json()

        async def built() -> dict[str, Any] | None:
            seg = (await http.get(f"/v1/segments/{segment['id']}")).json()
            return seg if seg["build"]["status"] == "ready" else None

        seg = await eventually(built)
        assert seg["members"] == 1 and seg["build"]["scanned"] >= 1

        # A newcomer joins as soon as its events make it match: no job involved.
        late = (
            await http.post(
                "/v1/contacts", json={"email": f"late.{tag}@example.com", "tags": [tag]}
            )
        ).json()
        await http.patch(f"/v1/contacts/{late['id']}", json={"stage": {"to": "lead"}})
        await ingest(http, [event(minutes=i, email=f"late.{tag}@example.com") for i in range(2)])

        async def both() -> list[str] | None:
            page = (await http.get(f"/v1/segments/{segment['id']}/members")).json()
            ids = sorted(c["id"] for c in page["items"])
            return ids if len(ids) == 2 else None

        assert await eventually(both) == sorted([early["id"], late["id"]])
        # Leaving is just as immediate.
        moved = await http.patch(f"/v1/contacts/{early['id']}", json={"stage": {"to": "lost"}})
        assert moved.json()["segments"] == []
        searched = (await http.get(f"/v1/contacts?segment={segment['id']}")).json()["items"]
        assert [c["id"] for c in searched] == [late["id"]]
        bad = await http.post("/v1/segments", json={"name": "x", "filter": {"stage": ["nope"]}})
        assert bad.status_code == 422
        assert (await http.delete(f"/v1/segments/{segment['id']}")).status_code == 204
        assert (await http.get(f"/v1/contacts/{late['id']}")).json()["segments"] == []

    changes = await eventually(
        lambda: _types_seen(services, {early["id"]}, {"contact.segments_changed"})
    )
    assert changes.count("contact.segments_changed") == 2  # joined, then left


async def test_a_segment_with_or_and_not_groups_follows_every_change(services, eventually) -> None:  # type: ignore[no-untyped-def]
    tag = f"g{uuid4().hex[:8]}"
    async with services.client("contacts") as http:

        async def make(name: str, **fields: Any) -> str:
            made = await http.post(
                "/v1/contacts", json={"email": f"{name}.{tag}@example.com", "tags": [tag], **fields}
            )
            assert made.status_code == 201, made.text
            return str(made.json()["id"])

        acme = await make("acme", company=f"Acme {tag}")
        vip = await make("vip", tags=[tag, "vip"])
        plain = await make("plain")
        # Ours, AND (at Acme OR a vip), AND NOT customers.
        created = await http.post(
            "/v1/segments",
            json={
                "name": "acme or vips, not customers",
                "filter": {
                    "tags": [tag],
                    "any_of": [{"company": f"Acme {tag}"}, {"tags": ["vip"]}],
                    "none_of": [{"stage": ["customer"]}],
                },
            },
        )
        assert created.status_code == 201, created.text
        segment = created.json()["id"]

        async def members(expected: set[str]) -> set[str] | None:
            page = (await http.get(f"/v1/segments/{segment}/members")).json()
            found = {c["id"] for c in page["items"]}
            return found if found == expected else None

        assert await eventually(lambda: members({acme, vip}))
        # The vip becomes a customer and leaves; the plain one moves to Acme and joins.
        await http.patch(f"/v1/contacts/{vip}", json={"stage": {"to": "customer"}})
        await http.patch(f"/v1/contacts/{plain}", json={"company": f"Acme {tag}"})
        assert await eventually(lambda: members({acme, plain}))
        # What a builder shows while editing: the count and a few of them, nothing saved.
        draft = {
            "tags": [tag],
            "any_of": [{"company": f"Acme {tag}"}, {"stage": ["customer"]}],
        }
        preview = await http.post("/v1/segments/preview", json={"filter": draft})
        assert preview.status_code == 200, preview.text
        assert preview.json()["members"] == 3 and preview.json()["exact"] is True
        assert {c["id"] for c in preview.json()["sample"]} == {acme, vip, plain}
        # The builder's first, quick answer stops counting where it is told: "2 or more".
        quick = await http.post("/v1/segments/preview", json={"filter": draft, "at_most": 2})
        assert (quick.json()["members"], quick.json()["exact"]) == (2, False)
        roomy = await http.post("/v1/segments/preview", json={"filter": draft, "at_most": 10})
        assert (roomy.json()["members"], roomy.json()["exact"]) == (3, True)
        wrong = await http.post(
            "/v1/segments/preview", json={"filter": {"any_of": [{"stage": ["nope"]}]}}
        )
        assert wrong.status_code == 422
        assert wrong.json()["details"][0]["field"].startswith("body.filter.any_of.0.stage")
        # The count the segment list shows is the members the search finds.
        listed = {s["id"]: s for s in (await http.get("/v1/segments")).json()}
        assert listed[segment]["members"] == 2
        too_deep: dict[str, Any] = {"tags": [tag]}
        for _ in range(4):
            too_deep = {"any_of": [too_deep]}
        refused = await http.post("/v1/segments", json={"name": "deep", "filter": too_deep})
        assert refused.status_code == 422 and "at most 3 deep" in refused.text


async def _activity(http, contact_id: str, n: int) -> bool:  # type: ignore[no-untyped-def]
    doc = (await http.get(f"/v1/contacts/{contact_id}")).json()
    return doc.get("activity", {}).get("page_visit") == n


async def test_the_timeline_says_who_changed_what_from_what_and_who_logged_a_call(  # type: ignore[no-untyped-def]
    services, eventually
) -> None:
    """Field edits listed names only (no old or new values, no actor); logged calls had no
    actor (numbers round two)."""
    from lodestone_common.people import DEV_SIGNING_KEY, PersonTokens, person

    tag = uuid4().hex[:6]
    rep = PersonTokens.signing(DEV_SIGNING_KEY).sign(
        person("u_rep", f"rep.{tag}@example.com", "rep", rep_id=f"rep-{tag}")
    )
    async with services.client("contacts") as http, services.client("contacts", key=rep) as as_rep:
        made = await http.post(
            "/v1/contacts", json={"email": f"actor.{tag}@example.com", "company": "Old Co"}
        )
        cid = made.json()["id"]
        edited = await as_rep.patch(f"/v1/contacts/{cid}", json={"company": "New Co"})
        assert edited.status_code == 200, edited.text
        call = {
            "event_id": f"call-{tag}",
            "type": "track",
            "name": "Call Logged",
            "contact": {"contact_id": cid},
            "properties": {"direction": "made", "duration_seconds": 60},
            "recorded_by": "someone-else",  # the sender's word does not count
        }
        assert (await as_rep.post("/v1/events", json={"events": [call]})).status_code == 202

        async def entries() -> list[dict] | None:  # type: ignore[type-arg]
            page = (await http.get(f"/v1/contacts/{cid}/timeline")).json()["entries"]
            kinds = {e["type"] for e in page}
            return page if {"contact.updated", "call_logged"} <= kinds else None

        page = await eventually(entries, timeout=60)
    update = next(e for e in page if e["type"] == "contact.updated")
    assert update["by"] == f"rep.{tag}@example.com"
    assert update["detail"]["changes"] == [{"field": "company", "from": "Old Co", "to": "New Co"}]
    logged = next(e for e in page if e["type"] == "call_logged")
    assert logged["by"] == f"rep.{tag}@example.com"


async def test_contacts_can_be_listed_in_an_order_page_by_page(services) -> None:  # type: ignore[no-untyped-def]
    """The contact list had no sort (numbers round two)."""
    tag = uuid4().hex[:6]
    async with services.client("contacts") as http:
        for name in ("Zed", "Abe", "Moe"):
            made = await http.post(
                "/v1/contacts",
                json={
                    "email": f"{name.lower()}.{tag}@example.com",
                    "last_name": name,
                    "tags": [tag],
                },
            )
            assert made.status_code == 201
        await http.post("/v1/contacts", json={"email": f"anon.{tag}@example.com", "tags": [tag]})

        async def names(sort: str) -> list[str | None]:
            out: list[str | None] = []
            params: dict[str, Any] = {"tag": tag, "sort": sort, "limit": 2}
            while True:
                page = (await http.get("/v1/contacts", params=params)).json()
                out += [c["last_name"] for c in page["items"]]
                if not page["next_cursor"]:
                    return out
                params["cursor"] = page["next_cursor"]

        assert await names("last_name") == [None, "Abe", "Moe", "Zed"]  # no name first
        assert await names("-last_name") == ["Zed", "Moe", "Abe", None]
        refused = await http.get("/v1/contacts", params={"sort": "password"})
        assert refused.status_code == 422 and "sort" in refused.text

"""Findings of an attacker's tour of the running suite, each a regression case: every one
answers a clear 4xx (or is neutralised) and changes nothing it should not.

| finding                                           | test                                   |
|---------------------------------------------------|----------------------------------------|
| webhook signing secrets returned on read, stored  | test_webhook_secrets_are_write_only    |
|   in plain text                                   |                                        |
| webhooks to loopback, private, metadata addresses | test_webhooks_may_not_call_the_inside  |
|   (also CGNAT, 6to4, and through `/validate`)     |                                        |
| CSV formula injection in report exports           | test_csv_exports_never_hold_formulas   |
| a lone surrogate in a trait gave a 500            | test_text_that_is_not_text_is_a_422    |
| very deep nesting                                 | test_text_that_is_not_text_is_a_422    |
| a 30-digit integer: 202, then dead-lettered       | test_text_that_is_not_text_is_a_422    |
| a non-ASCII link token gave a 500                 | test_forged_link_tokens_are_refused    |
| a comma in an email made a second recipient       | test_an_address_list_is_not_an_email   |
| custom field names such as `$where` were stored   | test_custom_field_names_are_identifiers|
| a segment with 250,000 tags stalled contacts      | test_filters_are_bounded               |
| no security headers                               | test_every_answer_carries_security_... |
| no rate limit on failed keys                      | test_guessing_keys_is_slowed_down      |
| markup after a valid link token was echoed       | test_markup_after_a_valid_token_is_... |
| a browser's write key unsubscribed anyone         | test_a_write_key_cannot_unsubscribe... |
| an identify with `company: [..]`, `title: 123`    | test_a_poisoned_record_stays_readable  |
|   made a contact every read answered 500 for      |                                        |
| `http://[::1` gave a 500, `http://a:99999/` saved | test_a_webhook_url_is_a_url            |
| CR/LF in a subject; any sender in `from`          | test_an_email_step_cannot_forge_headers|
| sign-in limit per address only (105 wrong        | test_passwords_cannot_be_guessed_...   |
|   passwords, X-Forwarded-For trusted from         |                                        |
|   loopback); `aaaaaaaaaa` a valid password        |                                        |
| `/docs` loaded its scripts from a CDN             | test_the_api_docs_load_nothing_from_...|
| automation called contacts with the admin key     | test_automation_reaches_contacts_with..|
| the console proxy climbed to `/metrics` with `..`;| test_the_console_serves_only_its_own_..|
|   `/assets/%00` gave a 500                        |                                        |
| rep ana took rep ben's lead, edited his task and  | test_reps_change_only_their_own_and_...|
|   merged contacts (a merge deletes a record)      |                                        |
"""

from __future__ import annotations

import base64
import csv
import io
from typing import Any
from uuid import uuid4

import pytest

from lodestone_automation.settings import DEV_SECRETS_KEY
from lodestone_common.people import DEV_SIGNING_KEY, PersonTokens, person
from lodestone_common.sealing import Sealer

MASK = "********"


def webhook_workflow(url: str, secret: str, step: str = "sync") -> dict[str, Any]:
    return {
        "name": f"crm sync {uuid4().hex[:6]}",
        "trigger": {"type": "manual"},
        "steps": [{"id": step, "type": "webhook", "url": url, "secret": secret}],
    }


async def test_webhook_secrets_are_write_only(services, mongo) -> None:  # type: ignore[no-untyped-def]
    secret = f"signing-{uuid4().hex}"
    async with services.client("automation") as http:
        created = await http.post(
            "/v1/workflows", json=webhook_workflow("https://crm.example.com/h", secret)
        )
        assert created.status_code == 201, created.text
        workflow_id = created.json()["id"]
        reads = [
            created.json(),
            (await http.get(f"/v1/workflows/{workflow_id}")).json(),
            next(w for w in (await http.get("/v1/workflows")).json() if w["id"] == workflow_id),
        ]
        for read in reads:
            assert read["definition"]["steps"][0]["secret"] == MASK
        versions = (await http.get(f"/v1/workflows/{workflow_id}/versions")).json()
        assert secret not in str(versions) and secret not in str(reads)
        # Sent back masked, as a console would, the stored secret is kept...
        definition = {**reads[1]["definition"], "name": "crm sync, renamed"}
        kept = await http.put(f"/v1/workflows/{workflow_id}", json=definition)
        assert kept.status_code == 200, kept.text
        db = mongo["lodestone_automation"]
        stored = await db["workflows"].find_one({"_id": workflow_id})
        sealed = stored["definition"]["steps"][0]["secret"]
        # At rest the secret is sealed, in the workflow and in every version of it.
        assert sealed.startswith("sealed:") and secret not in str(stored)
        old = await db["workflow_versions"].find({"workflow_id": workflow_id}).to_list(None)
        assert len(old) == 2 and secret not in str(old)
        assert Sealer(DEV_SECRETS_KEY).open(sealed) == secret  # the kept one, not a new one
        # ...but a new step cannot borrow one.
        renamed = {**definition, "steps": [{**definition["steps"][0], "id": "other"}]}
        refused = await http.put(f"/v1/workflows/{workflow_id}", json=renamed)
        assert refused.status_code == 422 and "steps.0.secret" in refused.json()["message"]
        # Nor can a sealed value be planted from outside.
        planted = {**definition, "steps": [{**definition["steps"][0], "secret": sealed}]}
        # (this step's own stored value is kept as it is; any other sealed value is refused)
        assert (await http.put(f"/v1/workflows/{workflow_id}", json=planted)).status_code == 200
        other = {**renamed, "steps": [{**renamed["steps"][0], "secret": "sealed:gAAAAforged"}]}
        forged = await http.put(f"/v1/workflows/{workflow_id}", json=other)
        assert forged.status_code == 422 and "steps.0.secret" in forged.json()["message"]


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5:8080/admin",
        "http://[::1]:9200/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",  # carrier-grade NAT
        "http://[2002:a9fe:a9fe::]/",  # 6to4 around the metadata address
    ],
)
async def test_webhooks_may_not_call_the_inside(services, url: str) -> None:  # type: ignore[no-untyped-def]
    # (The test stack allows only 127.0.0.0/8, where its own receivers listen.)
    async with services.client("automation") as http:
        for path in ("/v1/workflows", "/v1/workflows/validate"):
            refused = await http.post(path, json=webhook_workflow(url, "s3cret-key"))
            assert refused.status_code == 422, (path, refused.text)
            assert "refused by policy" in refused.json()["message"]
            assert "steps.0.url" in refused.json()["message"]


async def test_csv_exports_never_hold_formulas(services, eventually) -> None:  # type: ignore[no-untyped-def]
    formula = f'=HYPERLINK("http://evil.test/{uuid4().hex[:6]}","click")'
    async with services.client("contacts") as contacts:
        created = await contacts.post(
            "/v1/contacts", json={"email": f"csv.{uuid4().hex[:8]}@example.com", "source": formula}
        )
        assert created.status_code == 201, created.text
    async with services.client("reporting") as reporting:

        async def exported() -> list[dict[str, str]] | None:
            text = (await reporting.get("/v1/reports/sources", params={"format": "csv"})).text
            rows = list(csv.DictReader(io.StringIO(text)))
            ours = [r for r in rows if formula in "".join(r.values())]
            return ours or None

        rows = await eventually(exported, timeout=30)
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "@", "\t", "\r")), row
            if value.startswith("-"):
                float(value)  # only numbers may start with a minus
    assert any(v == "'" + formula for row in rows for v in row.values())


@pytest.mark.parametrize(
    "body",
    [
        # A lone surrogate: valid JSON, not text.
        b'{"events": [{"event_id": "s1", "type": "identify", "contact": {"email": "s@x.io"},'
        b' "traits": {"nick": "\\ud800"}}]}',
        b'{"events": [{"event_id": "s2", "type": "page", "contact": {"email": "s@x.io"},'
        b' "properties": {"\\udfff": 1}}]}',
        # Nesting deeper than a map may hold (32 levels).
        b'{"events": [{"event_id": "s3", "type": "page", "contact": {"email": "s@x.io"},'
        b' "properties": {"a": ' + b"[" * 40 + b"]" * 40 + b"}}]}",
        # An integer past 64 bits: accepted, then every write of its event failed.
        b'{"events": [{"event_id": "s4", "type": "page", "contact": {"email": "s@x.io"},'
        b' "properties": {"n": 123456789012345678901234567890}}]}',
        b'{"events": [{"event_id": "s5", "type": "identify", "contact": {"email": "s@x.io"},'
        b' "traits": {"deep": [{"n": -99999999999999999999}]}}]}',
    ],
)
async def test_text_that_is_not_text_is_a_422(services, body: bytes) -> None:  # type: ignore[no-untyped-def]
    async with services.client("contacts") as http:
        response = await http.post(
            "/v1/events", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 422, response.text
        # Nesting no JSON parser here goes through is a 400, never a 500.
        deep = b'{"events": [{"properties": {"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}]}"
        refused = await http.post(
            "/v1/events", content=deep, headers={"Content-Type": "application/json"}
        )
        assert refused.status_code in (400, 422), refused.text


@pytest.mark.parametrize("path", ["/unsubscribe/", "/t/open/", "/t/click/"])
@pytest.mark.parametrize("token", ["w6nDqcOn", "%C3%A9%C3%A9", "x" * 5000])
async def test_forged_link_tokens_are_refused(services, path: str, token: str) -> None:  # type: ignore[no-untyped-def]
    # "w6nDqcOn" decodes to non-ASCII text with no "|": once a 500 in compare_digest.
    async with services.client("automation", key=None) as http:
        response = await http.get(path + token, params={"url": "https://example.com"})
    assert 400 <= response.status_code < 500, response.text


async def test_markup_after_a_valid_token_is_not_a_valid_token(services) -> None:  # type: ignore[no-untyped-def]
    """Round two, medium: the decoder skipped what is not base64, so markup appended to a
    valid token verified and the unsubscribe page echoed it: a meta refresh to anywhere."""
    from lodestone_automation.links import LinkSigner
    from lodestone_automation.settings import DEV_LINK_SECRET

    token = LinkSigner(DEV_LINK_SECRET).sign("c_nobody", "wf_x", "wf_x:enr_x:step")
    evil = '==<meta http-equiv=refresh content="0;url=https://evil.example">'
    async with services.client("automation", key=None) as http:
        assert (await http.get(f"/unsubscribe/{token}")).status_code == 200  # the token is good
        response = await http.get(f"/unsubscribe/{token}{evil}")
    assert response.status_code == 404, response.text
    assert "evil.example" not in response.text


@pytest.mark.parametrize(
    "email", ["ada@example.com,eve@evil.test", "ada@example.com;eve@evil.test", "<a@b.co>"]
)
async def test_an_address_list_is_not_an_email(services, email: str) -> None:  # type: ignore[no-untyped-def]
    async with services.client("contacts") as http:
        created = await http.post("/v1/contacts", json={"email": email})
        assert created.status_code == 422, created.text
        ingested = await http.post(
            "/v1/events",
            json={
                "events": [
                    {"event_id": f"comma-{uuid4()}", "type": "page", "contact": {"email": email}}
                ]
            },
        )
        assert ingested.status_code == 422, ingested.text


@pytest.mark.parametrize("name", ["$where", "a.b", "1st", "has space", "x" * 101])
async def test_custom_field_names_are_identifiers(services, name: str) -> None:  # type: ignore[no-untyped-def]
    async with services.client("contacts") as http:
        response = await http.post(
            "/v1/contacts",
            json={"email": f"names.{uuid4().hex[:8]}@example.com", "custom": {name: 1}},
        )
    assert response.status_code == 422, response.text
    assert "custom field name" in response.text


async def test_every_answer_carries_security_headers(services) -> None:  # type: ignore[no-untyped-def]
    for service in ("contacts", "scoring", "automation", "reporting"):
        async with services.client(service, key=None) as http:
            for path in ("/healthz", "/v1/contacts", "/"):
                response = await http.get(path)
                assert response.headers["x-content-type-options"] == "nosniff"
                assert response.headers["x-frame-options"] == "DENY"
                assert response.headers["referrer-policy"] == "no-referrer"
                assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_the_api_docs_load_nothing_from_elsewhere(services) -> None:  # type: ignore[no-untyped-def]
    import re

    for service in ("contacts", "scoring", "automation", "reporting", "console"):
        async with services.client(service, key=None) as http:
            for page in ("/docs", "/redoc"):
                answer = await http.get(page)
                assert answer.status_code == 200, (service, page)
                policy = answer.headers["content-security-policy"]
                assert "http" not in policy and "default-src 'self'" in policy
                sources = re.findall(r'(?:src|href)="([^"]+)"', answer.text)
                assert sources and all(s.startswith("/") for s in sources), (page, sources)
                for source in sources:
                    assert (await http.get(source)).status_code == 200, source


async def test_guessing_keys_is_slowed_down(in_process) -> None:  # type: ignore[no-untyped-def]
    from lodestone_scoring.bootstrap import create_app
    from lodestone_scoring.settings import ScoringSettings

    real = {"Authorization": "Bearer the-real-key"}
    options = {"api_key": "the-real-key", "failed_auth_limit": "5/minute"}
    async with in_process(create_app, ScoringSettings, **options) as served:
        async with served.client("203.0.113.7") as http:
            codes = [
                await http.get("/v1/scoring-models", headers={"Authorization": f"Bearer g{i}"})
                for i in range(6)
            ]
            assert [c.status_code for c in codes] == [401] * 5 + [429]
            assert 1 <= int(codes[-1].headers["Retry-After"]) <= 60
            # Even the right key waits now, from that address; another address does not.
            assert (await http.get("/v1/scoring-models", headers=real)).status_code == 429
        async with served.client("198.51.100.9") as http:
            ok = await http.get("/v1/scoring-models", headers=real)
            assert ok.status_code == 200, ok.text


async def test_filters_are_bounded(services) -> None:  # type: ignore[no-untyped-def]
    async with services.client("contacts") as http:
        huge = {"name": "all the tags", "filter": {"tags": [f"t{i}" for i in range(250_000)]}}
        refused = await http.post("/v1/segments", json=huge)
        assert refused.status_code in (413, 422), refused.text
        many = {"name": "many tags", "filter": {"tags": [f"t{i}" for i in range(51)]}}
        refused = await http.post("/v1/segments", json=many)
        assert refused.status_code == 422 and "filter.tags" in refused.text, refused.text
        long = await http.get("/v1/contacts", params={"company": "x" * 301})
        assert long.status_code == 422


async def test_a_poisoned_record_stays_readable(services, mongo, eventually) -> None:  # type: ignore[no-untyped-def]
    """Round two, high: an identify whose traits do not fit the contact's fields (a number as
    the title, a list as the company; Segment's spec itself sends the company as an object)
    made a record every read answered 500 for, and the same identify was dead-lettered after
    its 200. Traits are coerced at the door now, and reads repair what is stored."""
    email = f"poison.{uuid4().hex[:8]}@example.com"
    user = f"u-{uuid4().hex[:8]}"
    write_key = services.key_for("events:write")
    basic = {"Authorization": "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()}
    async with services.client("contacts", key=None) as door, services.client("contacts") as http:
        traits = {"email": email, "title": 123, "company": ["x"]}
        sent = await door.post(
            "/v1/identify", json={"userId": user, "traits": traits}, headers=basic
        )
        assert sent.status_code == 200 and sent.json()["accepted"] == 1, sent.text

        async def made() -> dict[str, Any] | None:
            found = await http.get("/v1/contacts", params={"email": email})
            assert found.status_code == 200, found.text
            return (found.json()["items"] or [None])[0]

        contact = await eventually(made)
        assert contact["title"] == "123" and contact["custom"]["company"] == ["x"]
        one = await http.get(f"/v1/contacts/{contact['id']}")
        assert one.status_code == 200 and one.json()["title"] == "123"
        # Segment's own shape: the company as an object.
        company = {"name": "Acme", "employee_count": 50, "industry": "Retail"}
        sent = await door.post(
            "/v1/identify", json={"userId": user, "traits": {"company": company}}, headers=basic
        )
        assert sent.status_code == 200

        async def acme() -> dict[str, Any] | None:
            found = (await http.get(f"/v1/contacts/{contact['id']}")).json()
            return found if found.get("company") == "Acme" else None

        found = await eventually(acme)
        assert (found["company_size"], found["industry"]) == (50, "Retail")
        # A record written before the door checked (or by hand) reads too, alone and in pages.
        await mongo["lodestone_contacts"]["contacts"].update_one(
            {"_id": contact["id"]},
            {"$set": {"first_name": {"x": 1}, "tags": "a", "lifecycle_stage": "nonsense"}},
        )
        one = await http.get(f"/v1/contacts/{contact['id']}")
        assert one.status_code == 200, one.text
        assert one.json()["custom"]["first_name"] == {"x": 1} and one.json()["tags"] == []
        page = await http.get("/v1/contacts", params={"email": email})
        assert page.status_code == 200 and page.json()["items"][0]["id"] == contact["id"]


async def test_a_write_key_cannot_unsubscribe_anyone_nor_date_events_in_year_9999(
    services, eventually
) -> None:  # type: ignore[no-untyped-def]
    """Round two, medium: the write key sits in web pages; with it `Unsubscribed` for any
    address unsubscribed that person. Consent changes need a server key now, and events from
    more than a day ahead are refused."""
    victim = f"victim.{uuid4().hex[:8]}@example.com"
    write_key = services.key_for("events:write")
    basic = {"Authorization": "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()}
    async with services.client("contacts", key=None) as door, services.client("contacts") as http:
        made = await http.post("/v1/contacts", json={"email": victim})
        assert made.status_code == 201, made.text
        for name in ("Unsubscribed", "Email Bounced"):
            forged = {
                "type": "track",
                "event": name,
                "userId": f"u-{uuid4().hex[:6]}",
                "properties": {"email": victim},
                "context": {"traits": {"email": victim}},
            }
            answer = await door.post("/v1/track", json=forged, headers=basic)
            assert answer.status_code == 200 and answer.json()["rejected"] == 1, answer.text
            assert "server key" in answer.json()["errors"][0]["reason"]
        event = {
            "event_id": str(uuid4()),
            "type": "track",
            "name": "Email Unsubscribed",
            "contact": {"email": victim},
        }
        refused = await door.post(
            "/v1/events", json={"events": [event]}, headers={"Authorization": f"Bearer {write_key}"}
        )
        assert refused.status_code == 422 and "server key" in refused.text
        future = {**event, "name": "Page Viewed", "occurred_at": "9999-01-01T00:00:00Z"}
        refused = await http.post("/v1/events", json={"events": [future]})
        assert refused.status_code == 422 and "future" in refused.text
        contact = (await http.get(f"/v1/contacts/{made.json()['id']}")).json()
        assert not contact.get("unsubscribed") and not contact.get("email_bounced")


@pytest.mark.parametrize("url", ["http://[::1", "http://a:99999/", "http:///nohost"])
async def test_a_webhook_url_is_a_url(services, url: str) -> None:  # type: ignore[no-untyped-def]
    async with services.client("automation") as http:
        refused = await http.post("/v1/workflows", json=webhook_workflow(url, "s3cret-key"))
    assert refused.status_code == 422, refused.text
    assert "steps.0.webhook.url" in refused.json()["message"]


def mail_workflow(**step: str) -> dict[str, Any]:
    return {
        "name": f"mail {uuid4().hex[:6]}",
        "trigger": {"type": "manual"},
        "steps": [{"id": "mail", "type": "send_email", "subject": "Hi", "body": "Hello", **step}],
    }


async def test_an_email_step_cannot_forge_headers(services) -> None:  # type: ignore[no-untyped-def]
    async with services.client("automation") as http:
        injected = await http.post(
            "/v1/workflows", json=mail_workflow(subject="Hi\r\nBcc: everyone@example.com")
        )
        assert injected.status_code == 422 and "subject" in injected.text
        for sender in ("ceo@bank.example", "a@lodestone.local, b@evil.example", "not an address"):
            spoofed = await http.post("/v1/workflows", json=mail_workflow(**{"from": sender}))
            assert spoofed.status_code == 422, (sender, spoofed.text)
            assert "from" in spoofed.json()["message"]
        # The installation's own domain (of LODESTONE_MAIL_FROM) is a sender's.
        own = await http.post(
            "/v1/workflows", json=mail_workflow(**{"from": "Ada <ada@lodestone.local>"})
        )
        assert own.status_code == 201, own.text


async def test_the_console_serves_only_its_own_files_and_the_services_v1(services) -> None:  # type: ignore[no-untyped-def]
    tag = uuid4().hex[:6]
    email, password = f"viewer.{tag}@example.com", f"viewer-{tag}-password"
    async with services.client("console") as admin:
        made = await admin.post(
            "/v1/users",
            json={"email": email, "name": f"Vic {tag}", "role": "viewer", "password": password},
        )
        assert made.status_code == 201, made.text
    async with services.client("console", key=None) as browser:
        signed = await browser.post("/auth/sign-in", json={"email": email, "password": password})
        assert signed.status_code == 200, signed.text
        for climb in ("v1/%2e%2e/%2e%2e/metrics", "v1/%2E%2E/healthz", "v1/./../docs"):
            answer = await browser.get(f"/api/contacts/{climb}")
            assert answer.status_code == 404, (climb, answer.status_code)
        assert (await browser.get("/api/contacts/v1/contacts")).status_code == 200
        for name in ("%00", "%2e%2e", "a%00.js"):
            assert (await browser.get(f"/assets/{name}")).status_code == 404, name


async def test_passwords_cannot_be_guessed_per_account_nor_be_trivial(in_process) -> None:  # type: ignore[no-untyped-def]
    from lodestone_common.cli import options
    from lodestone_console.main import create_app
    from lodestone_console.settings import ConsoleSettings

    tag = uuid4().hex[:6]
    settings = {"api_key": "the-admin-key", "sign_in_account_limit": "5/minute"}
    async with in_process(create_app, ConsoleSettings, **settings) as served:
        admin = {"Authorization": "Bearer the-admin-key"}
        async with served.client(headers=admin) as http:
            for weak in ("aaaaaaaaaa", "1212121212", "abcabcabca"):
                body = {"email": f"w.{tag}@example.com", "name": "W", "role": "viewer"}
                refused = await http.post("/v1/users", json={**body, "password": weak})
                assert refused.status_code == 422, (weak, refused.text)
            for who in ("ann", "bob"):
                body = {"email": f"{who}.{tag}@example.com", "name": who, "role": "viewer"}
                made = await http.post("/v1/users", json={**body, "password": f"{who}-pass-{tag}"})
                assert made.status_code == 201, made.text
        ann = {"email": f"ann.{tag}@example.com"}
        # Five wrong passwords for ann, each from another address: her account now waits,
        # the right password too, from anywhere; bob's does not.
        for i in range(5):
            async with served.client(f"203.0.113.{i + 1}") as http:
                wrong = await http.post("/auth/sign-in", json={**ann, "password": f"guess-{i}"})
                assert wrong.status_code == 401
        async with served.client("198.51.100.9") as http:
            right = await http.post("/auth/sign-in", json={**ann, "password": f"ann-pass-{tag}"})
            assert right.status_code == 429 and int(right.headers["Retry-After"]) >= 1
            bob = {"email": f"bob.{tag}@example.com", "password": f"bob-pass-{tag}"}
            assert (await http.post("/auth/sign-in", json=bob)).status_code == 200
    # A client may not pick the address it is limited by: X-Forwarded-For is believed only
    # from proxies the operator names.
    assert options(ConsoleSettings())["proxy_headers"] is False
    trusted = options(ConsoleSettings(trusted_proxies="10.0.0.5"))
    assert trusted["proxy_headers"] is True and trusted["forwarded_allow_ips"] == "10.0.0.5"


async def test_automation_reaches_contacts_with_a_key_of_its_own(services) -> None:  # type: ignore[no-untyped-def]
    key = services.stack.automation_key
    assert key != services.stack.api_key
    async with services.client("contacts", key=key) as http:
        # What its steps and email links do...
        event = {
            "event_id": uuid4().hex,
            "type": "track",
            "name": "Email Opened",
            "contact": {"email": f"k.{uuid4().hex[:6]}@example.com"},
        }
        assert (await http.post("/v1/events", json={"events": [event]})).status_code == 202
        # ...reading segments and their members (a campaign's audience)...
        assert (await http.get("/v1/segments")).status_code == 200
        # ...and nothing else: no searching people, no erasing them, no changing segments.
        assert (await http.get("/v1/contacts")).status_code == 403
        assert (await http.delete("/v1/contacts/ct_x")).status_code == 403
        made = await http.post("/v1/segments", json={"name": "x", "filter": {}})
        assert made.status_code == 403


async def test_reps_change_only_their_own_and_unassigned_records(services, eventually) -> None:  # type: ignore[no-untyped-def]
    """Round two, medium: rep ana reassigned rep ben's lead to herself, edited his task and
    merged two contacts. Now a rep changes only their own and unassigned contacts and tasks
    (logging calls and notes on anyone stays open), a manager the team's, a marketer contacts
    but not tasks, and a merge takes the erase permission."""
    tokens = PersonTokens.signing(DEV_SIGNING_KEY)  # the test stack runs with the dev pair
    tag = uuid4().hex[:6]
    ana = tokens.sign(person("u_ana", f"ana.{tag}@example.com", "rep", rep_id=f"ana-{tag}"))
    ben_id = f"ben-{tag}"
    manager = tokens.sign(person("u_mgr", f"mgr.{tag}@example.com", "manager"))
    marketer = tokens.sign(person("u_mkt", f"mkt.{tag}@example.com", "marketer"))
    async with (
        services.client("contacts") as admin,
        services.client("contacts", key=ana) as as_ana,
        services.client("automation", key=ana) as ana_tasks,
    ):
        bens = await admin.post(
            "/v1/contacts", json={"email": f"bens.{tag}@x.io", "owner_id": ben_id}
        )
        free = await admin.post("/v1/contacts", json={"email": f"free.{tag}@x.io"})
        ben_lead, free_lead = bens.json()["id"], free.json()["id"]

        for change in ({"owner_id": f"ana-{tag}"}, {"company": "Mine now"}, {"tags": ["mine"]}):
            refused = await as_ana.patch(f"/v1/contacts/{ben_lead}", json=change)
            assert refused.status_code == 403, refused.text
            assert repr(ben_id) in refused.json()["message"]
        merged = await as_ana.post(
            f"/v1/contacts/{free_lead}/merge", json={"merge_ids": [ben_lead]}
        )
        assert merged.status_code == 403 and "contacts:erase" in merged.text
        note = await as_ana.post(f"/v1/contacts/{ben_lead}/notes", json={"text": "Called back"})
        assert note.status_code == 201, note.text
        csv_import = await as_ana.post(
            "/v1/contacts/imports",
            content=f"email,company\nbens.{tag}@x.io,Taken\n",
            headers={"content-type": "text/csv"},
        )
        assert csv_import.status_code == 403, csv_import.text
        claimed = await as_ana.patch(f"/v1/contacts/{free_lead}", json={"owner_id": f"ana-{tag}"})
        assert claimed.status_code == 200 and claimed.json()["owner_id"] == f"ana-{tag}"
        unchanged = (await admin.get(f"/v1/contacts/{ben_lead}")).json()
        assert (unchanged["owner_id"], unchanged["company"]) == (ben_id, None)

        async with services.client("automation") as automation:

            async def ben_task() -> dict[str, Any] | None:
                made = await automation.post(
                    "/v1/tasks",
                    json={
                        "contact_id": ben_lead,
                        "title": "Call back",
                        "due_at": "2030-01-02T09:00:00Z",
                        "owner_id": ben_id,
                    },
                )
                return made.json() if made.status_code == 201 else None  # 404 until it knows

            task = await eventually(ben_task, timeout=60)
        for change in ({"status": "done"}, {"owner_id": f"ana-{tag}"}, {"note": "mine"}):
            refused = await ana_tasks.patch(f"/v1/tasks/{task['id']}", json=change)
            assert refused.status_code == 403, refused.text

        async with (
            services.client("contacts", key=marketer) as as_marketer,
            services.client("automation", key=marketer) as marketer_tasks,
            services.client("automation", key=manager) as manager_tasks,
        ):
            edited = await as_marketer.patch(f"/v1/contacts/{ben_lead}", json={"company": "Acme"})
            assert edited.status_code == 200, edited.text
            refused = await marketer_tasks.patch(f"/v1/tasks/{task['id']}", json={"note": "x"})
            assert refused.status_code == 403, refused.text
            done = await manager_tasks.patch(f"/v1/tasks/{task['id']}", json={"status": "done"})
            assert done.status_code == 200 and done.json()["status"] == "done", done.text

import hashlib

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lodestone_common.auth import KeyRing, Scope
from lodestone_common.people import (
    DEV_PUBLIC_KEY,
    DEV_SIGNING_KEY,
    new_signing_key,
    public_key_of,
)
from lodestone_common.settings import DEV_API_KEY, ServiceSettings


def ring() -> KeyRing:
    keys = [
        {"name": "ingest", "key": "ingest-secret", "scopes": ["events:write"]},
        {
            "name": "crm",
            "sha256": hashlib.sha256(b"crm-secret").hexdigest(),
            "scopes": ["contacts:*"],
        },
    ]
    return KeyRing.from_settings("admin-secret", orjson.dumps(keys).decode())


def test_keys_are_found_by_digest_and_scopes_apply() -> None:
    keys = ring()
    assert keys.identify("nope") is None
    ingest = keys.identify("ingest-secret")
    assert ingest and ingest.allows("events:write") and not ingest.allows("contacts:read")
    crm = keys.identify("crm-secret")
    assert crm and crm.allows("contacts:read") and crm.allows("contacts:write")
    assert not crm.allows("scores:read")
    admin = keys.identify("admin-secret")
    assert admin and admin.allows("anything:at-all")
    # Only digests are kept in memory.
    assert all(b"secret" not in k.digest for k in keys._keys)


def test_http_answers_401_and_403_with_clear_messages() -> None:
    app = FastAPI()
    app.state.keyring = ring()

    @app.get("/v1/contacts")
    def contacts(key=Scope("contacts:read")) -> dict[str, str]:  # type: ignore[no-untyped-def]
        return {"key": key.name}

    client = TestClient(app)
    assert client.get("/v1/contacts").status_code == 401
    bad = client.get("/v1/contacts", headers={"Authorization": "Bearer wrong"})
    assert bad.status_code == 401 and "invalid" in bad.json()["detail"]
    denied = client.get("/v1/contacts", headers={"Authorization": "Bearer ingest-secret"})
    assert denied.status_code == 403 and "contacts:read" in denied.json()["detail"]
    ok = client.get("/v1/contacts", headers={"Authorization": "Bearer crm-secret"})
    assert ok.json() == {"key": "crm"}


def test_production_refuses_to_start_without_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LODESTONE_API_KEY", raising=False)
    monkeypatch.delenv("LODESTONE_API_KEYS", raising=False)
    with pytest.raises(ValueError, match="production"):
        ServiceSettings(environment="production")
    assert ServiceSettings(environment="development").api_key == DEV_API_KEY
    key = "k" * 32
    production = ServiceSettings(
        environment="production",
        api_key=key,
        kafka_allow_unauthenticated=True,
        mongo_allow_unauthenticated=True,
    )
    assert production.api_key == key


@pytest.mark.parametrize(
    ("settings", "refused"),
    [
        ({"api_key": DEV_API_KEY}, "LODESTONE_API_KEY is the public development value"),
        ({"api_key": "x"}, "LODESTONE_API_KEY needs at least 32"),
        (
            {"api_key": "k" * 32, "person_token_key": DEV_PUBLIC_KEY},
            "LODESTONE_PERSON_TOKEN_KEY is the public development key",
        ),
        ({"api_key": "k" * 32, "person_token_key": "s" * 31}, "not an Ed25519 key"),
    ],
)
def test_production_refuses_public_or_short_secrets(
    monkeypatch: pytest.MonkeyPatch, settings: dict[str, str], refused: str
) -> None:
    """Round two, medium: production started with the development key (a warning only), the
    repository's person-token secret (anyone could mint admin tokens) and 1-character keys."""
    monkeypatch.delenv("LODESTONE_API_KEY", raising=False)
    with pytest.raises(ValueError, match=refused):
        ServiceSettings(environment="production", **settings)


def test_production_refuses_the_development_link_secret_and_admin_password() -> None:
    from lodestone_automation.settings import DEV_LINK_SECRET, DEV_SECRETS_KEY, AutomationSettings
    from lodestone_console.settings import DEV_ADMIN_PASSWORD, ConsoleSettings

    signing = new_signing_key()
    secrets = {
        "environment": "production",
        "api_key": "k" * 32,
        "person_token_key": public_key_of(signing),
        "kafka_allow_unauthenticated": True,
        "mongo_allow_unauthenticated": True,
    }
    sealing = {**secrets, "secrets_key": "z" * 32, "contacts_api_key": "c" * 32}
    for link, refused in ((DEV_LINK_SECRET, "public development"), ("short", "at least 32")):
        with pytest.raises(ValueError, match=refused):
            AutomationSettings(**sealing, link_secret=link)
    with pytest.raises(ValueError, match="at least 32"):
        AutomationSettings(**sealing, link_secret="l" * 32, link_previous_secrets="old")
    # The key that seals webhook secrets in the database: required, not public, not short.
    for key, refused in (
        (None, "need LODESTONE_SECRETS_KEY"),
        (DEV_SECRETS_KEY, "public development"),
        ("short", "at least 32"),
    ):
        with pytest.raises(ValueError, match=refused):
            AutomationSettings(**{**sealing, "secrets_key": key}, link_secret="l" * 32)
    assert AutomationSettings(**sealing, link_secret="l" * 32).sealer()
    # Its key at contacts: its own, never the admin key.
    for key, refused in ((None, "CONTACTS_API_KEY"), ("k" * 32, "not be the admin key")):
        with pytest.raises(ValueError, match=refused):
            AutomationSettings(**{**sealing, "contacts_api_key": key}, link_secret="l" * 32)
    console = {**secrets, "person_signing_key": signing}
    for password, refused in ((DEV_ADMIN_PASSWORD, "public development"), ("aaaa", "12")):
        with pytest.raises(ValueError, match=refused):
            ConsoleSettings(**console, bootstrap_admin_password=password)
    assert ConsoleSettings(**console).bootstrap_admin_password is None  # none made by default
    # The console's private key: required, not the repository's, the services' key's pair.
    for key, refused in (
        (None, "need LODESTONE_PERSON_SIGNING_KEY"),
        (DEV_SIGNING_KEY, "public development key"),
        (new_signing_key(), "not the signing key's public half"),
    ):
        with pytest.raises(ValueError, match=refused):
            ConsoleSettings(**{**console, "person_signing_key": key})

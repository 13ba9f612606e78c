from __future__ import annotations

from pathlib import Path
from typing import Literal

from cryptography.hazmat.primitives.serialization import load_pem_private_key
from pydantic import Field, SecretStr, model_validator

from lodestone_common.sealing import Sealer
from lodestone_common.settings import (
    ServiceSettings,
    comma_list,
    production_secret,
    required_secret,
)

from .domain.workflows import sender_domain

DEV_LINK_SECRET = "lodestone-dev-link-secret"
DEV_SECRETS_KEY = "lodestone-dev-secrets-key-not-for-production"


class AutomationSettings(ServiceSettings):
    service_name: str = "automation"
    http_port: int = 8003
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "Lodestone <hello@lodestone.local>"
    # Domains a workflow's email may name as its sender (comma-separated); the domain of
    # mail_from always. A sender elsewhere would fail SPF/DKIM and spoof someone else.
    mail_sender_domains: str = ""
    # Where recipients' unsubscribe, open and click links point (this service's public URL).
    public_url: str = "http://127.0.0.1:8003"
    # Rewrite an email's links to signed click redirects and add an open pixel; off, links
    # go straight to their targets and only the unsubscribe link is this service's.
    email_tracking: bool = True
    # Who marketing email may go to: "opt-out" everyone who has not said no, "opt-in" only
    # those whose email consent is "granted" (as GDPR-style lists need).
    email_consent: Literal["opt-out", "opt-in"] = "opt-out"
    # Advance enrollments (timers, claims, actions) in this process. A process without
    # consumers advances every contact's, so an API-only replica running beside workers
    # (the Kubernetes `-api` Deployment) sets this false: one writer per contact.
    runner_enabled: bool = True
    # SMTP connections one campaign sends over at once (each kept open for many emails).
    campaign_connections: int = 4
    # Signs unsubscribe and tracking links. Production refuses to start without one; rotate
    # by moving the old one to link_previous_secrets (comma-separated), which still verify.
    link_secret: str | None = None
    link_previous_secrets: str = ""
    link_lifetime_days: int = 365
    # An open task this long past its due time is told to its rep's manager (none: never).
    escalate_after_hours: float | None = Field(default=24, gt=0, le=24 * 90)
    # Contacts stays the only writer of contacts: steps change them through its API, with a
    # key of their own (scopes contacts:write, events:write and segments:read at contacts).
    # Production refuses to start without one; elsewhere the admin key stands in.
    contacts_url: str = "http://127.0.0.1:8001"
    contacts_api_key: str | None = None
    # Networks webhooks may reach although private or local (comma-separated CIDRs, e.g.
    # "10.1.0.0/16"); loopback, private, link-local and metadata addresses are refused
    # otherwise (see domain/destinations.py).
    webhook_allowed_networks: str = ""
    # Encrypts webhook signing secrets in the database (sealing.py). Production refuses to
    # start without one; rotate by moving the old one to secrets_previous_keys.
    secrets_key: str | None = None
    secrets_previous_keys: str = ""
    # DKIM: every email signed with this RSA private key (PEM, or a path to one) under
    # `<selector>._domainkey.<dkim_domain>`; the domain is mail_from's unless given. Receivers
    # (Gmail, Yahoo) want it, aligned with the From domain, of bulk senders.
    dkim_selector: str | None = None
    dkim_private_key: SecretStr | None = None
    dkim_domain: str | None = None

    def sender_domains(self) -> set[str]:
        own = sender_domain(self.mail_from)
        extra = {d.lower() for d in comma_list(self.mail_sender_domains)}
        return extra | ({own} if own else set())

    def dkim_key(self) -> bytes | None:
        """The DKIM private key's PEM (read from the file when the setting is a path)."""
        if self.dkim_private_key is None:
            return None
        value = self.dkim_private_key.get_secret_value().strip()
        if not value.startswith("-----BEGIN"):
            value = Path(value).read_text().strip()
        return value.encode()

    @model_validator(mode="after")
    def _dkim(self) -> AutomationSettings:
        if bool(self.dkim_selector) != bool(self.dkim_private_key):
            raise ValueError("LODESTONE_DKIM_SELECTOR and LODESTONE_DKIM_PRIVATE_KEY go together")
        if self.dkim_private_key is not None:
            key = self.dkim_key()
            assert key is not None
            try:
                load_pem_private_key(key, password=None)
            except ValueError as exc:
                raise ValueError("LODESTONE_DKIM_PRIVATE_KEY is not a PEM private key") from exc
            if self.dkim_domain is None:
                self.dkim_domain = sender_domain(self.mail_from)
        return self

    @model_validator(mode="after")
    def _contacts_key(self) -> AutomationSettings:
        if self.environment == "production":
            if not self.contacts_api_key:
                raise ValueError(
                    "production settings need LODESTONE_CONTACTS_API_KEY (a contacts key with "
                    "the scopes contacts:write, events:write and segments:read, not the admin "
                    "key)"
                )
            if self.contacts_api_key == self.api_key:
                raise ValueError("LODESTONE_CONTACTS_API_KEY may not be the admin key")
            production_secret("LODESTONE_CONTACTS_API_KEY", self.contacts_api_key, "")
        return self

    @model_validator(mode="after")
    def _secrets(self) -> AutomationSettings:
        env = self.environment
        self.secrets_key = required_secret(
            "LODESTONE_SECRETS_KEY", self.secrets_key, DEV_SECRETS_KEY, env
        )
        self.link_secret = required_secret(
            "LODESTONE_LINK_SECRET", self.link_secret, DEV_LINK_SECRET, env
        )
        if env == "production":
            for previous in comma_list(self.link_previous_secrets):
                production_secret("LODESTONE_LINK_PREVIOUS_SECRETS", previous, DEV_LINK_SECRET)
        return self

    def sealer(self) -> Sealer:
        assert self.secrets_key
        return Sealer(self.secrets_key, comma_list(self.secrets_previous_keys))

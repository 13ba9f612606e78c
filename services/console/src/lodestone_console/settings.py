from __future__ import annotations

from pydantic import model_validator

from lodestone_common.people import DEV_PUBLIC_KEY, DEV_SIGNING_KEY, public_key_of
from lodestone_common.settings import ServiceSettings

DEV_ADMIN_EMAIL = "admin@lodestone.local"
DEV_ADMIN_PASSWORD = "lodestone-admin"
MIN_ADMIN_PASSWORD = 12


class ConsoleSettings(ServiceSettings):
    service_name: str = "console"
    http_port: int = 8000
    # The services the console calls on a signed-in person's behalf.
    contacts_url: str = "http://127.0.0.1:8001"
    scoring_url: str = "http://127.0.0.1:8002"
    automation_url: str = "http://127.0.0.1:8003"
    reporting_url: str = "http://127.0.0.1:8004"
    session_hours: float = 12.0
    # Wrong passwords for one account, from anywhere, before it is told to wait.
    sign_in_account_limit: str = "10/15 minutes"
    # Cookies only over HTTPS; on by default in production (behind TLS).
    secure_cookies: bool | None = None
    # Outside production an admin is created on first start when there is no user at all.
    bootstrap_admin_email: str = DEV_ADMIN_EMAIL
    bootstrap_admin_password: str | None = None
    # The private key the console signs person tokens with; the services hold its public
    # half (LODESTONE_PERSON_TOKEN_KEY, derived here when not given).
    person_signing_key: str | None = None

    @model_validator(mode="after")
    def _console(self) -> ConsoleSettings:
        production = self.environment == "production"
        if self.person_signing_key is None:
            if production:
                raise ValueError(
                    "production settings need LODESTONE_PERSON_SIGNING_KEY "
                    "(make a pair with lodestone-person-keys)"
                )
            self.person_signing_key = DEV_SIGNING_KEY
        if production and self.person_signing_key == DEV_SIGNING_KEY:
            raise ValueError("LODESTONE_PERSON_SIGNING_KEY is the public development key")
        public = public_key_of(self.person_signing_key)
        # None or the development default (outside production) give way to the signing key's.
        if self.person_token_key not in (None, public, DEV_PUBLIC_KEY):
            raise ValueError("LODESTONE_PERSON_TOKEN_KEY is not the signing key's public half")
        self.person_token_key = public
        if self.secure_cookies is None:
            self.secure_cookies = production
        if self.bootstrap_admin_password is None and not production:
            self.bootstrap_admin_password = DEV_ADMIN_PASSWORD
        if production and self.bootstrap_admin_password is not None:
            if self.bootstrap_admin_password == DEV_ADMIN_PASSWORD:
                raise ValueError(
                    "LODESTONE_BOOTSTRAP_ADMIN_PASSWORD is the public development password"
                )
            if len(self.bootstrap_admin_password) < MIN_ADMIN_PASSWORD:
                raise ValueError(
                    f"LODESTONE_BOOTSTRAP_ADMIN_PASSWORD needs {MIN_ADMIN_PASSWORD} characters"
                )
        return self

    def service_url(self, service: str) -> str | None:
        return {
            "contacts": self.contacts_url,
            "scoring": self.scoring_url,
            "automation": self.automation_url,
            "reporting": self.reporting_url,
        }.get(service)

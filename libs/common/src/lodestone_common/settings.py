"""Settings every service reads from the environment (prefix `LODESTONE_`)."""

from __future__ import annotations

import os
import socket
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from .dbusers import has_login
from .kafka_auth import KafkaSettings
from .people import DEV_PUBLIC_KEY, PersonTokens

# Printed at start-up in development; production refuses to start without real keys.
DEV_API_KEY = "lodestone-dev-key"
# A production secret (key, signing secret) is at least this long: anything shorter can be
# guessed, and HS256 keys want the hash's length (RFC 7518).
MIN_SECRET = 32


def comma_list(text: str) -> list[str]:
    """A comma-separated setting as its items, blanks dropped."""
    return [item for item in (part.strip() for part in text.split(",")) if item]


def required_secret(name: str, value: str | None, development_value: str, environment: str) -> str:
    """A secret setting as used: in production the one given (required, not the public
    development value, not short), elsewhere the development value when none is given."""
    if not value:
        if environment == "production":
            raise ValueError(f"production settings need {name}")
        return development_value
    if environment == "production":
        production_secret(name, value, development_value)
    return value


def production_secret(name: str, value: str | None, development_value: str) -> None:
    """Refuse a production secret that is public (the repository's development value) or
    short enough to guess."""
    if value is None:
        return
    if value == development_value:
        raise ValueError(f"{name} is the public development value; choose a secret of your own")
    if len(value) < MIN_SECRET:
        raise ValueError(f"{name} needs at least {MIN_SECRET} characters in production")


class ServiceSettings(KafkaSettings):
    model_config = SettingsConfigDict(env_prefix="LODESTONE_", extra="ignore")

    service_name: str = "lodestone"
    environment: Literal["development", "test", "production"] = "development"
    # Production refuses a Kafka without authentication unless this says it is on purpose
    # (a private network that no integrator reaches).
    kafka_allow_unauthenticated: bool = False
    mongo_url: str = "mongodb://127.0.0.1:27017/?directConnection=true"
    # Production refuses a database connection without a login (a user of the service's own,
    # see dbusers.py) unless this says it is on purpose.
    mongo_allow_unauthenticated: bool = False
    # Every database call ends within this many seconds (see mongo.OPERATION_SECONDS).
    mongo_timeout_seconds: float = Field(default=60.0, gt=0)
    # Each service owns one database; the default is `lodestone_<service>`.
    mongo_db: str | None = None
    # This machine only by default; a container listens on every interface (its Dockerfile
    # sets LODESTONE_HTTP_HOST=0.0.0.0), behind the network the orchestrator gives it.
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    log_level: str = "INFO"
    # The admin key (every scope). In production it must be set explicitly.
    api_key: str | None = None
    # Further keys as JSON: [{"name": "...", "sha256": "<hex>" | "key": "...", "scopes": [...]}]
    api_keys: str | None = None
    # The console's public key, which verifies its person tokens (people.py; make a pair with
    # `lodestone-person-keys`). Outside production the development pair's is used; production
    # accepts no person tokens unless it is set.
    person_token_key: str | None = None
    # The console, whose list of revoked API keys this service follows (managed_keys.py);
    # without it, keys made in the console are not honoured here.
    console_url: str | None = None
    # Wrong keys tolerated per client address before it gets 429s (as `limits` reads it).
    failed_auth_limit: str = "100/minute"
    # Proxies whose X-Forwarded-For names the client (comma-separated addresses, "*" for
    # any); none by default, so a client cannot pick the address it is limited by.
    trusted_proxies: str = ""
    # Run this process's Kafka consumers; an API-only replica sets this to false.
    consumers_enabled: bool = True
    consumer_max_records: int = Field(default=500, ge=1, le=10_000)
    # A consumer group or timer loop with work waiting and no progress for this long is
    # stalled: /healthz (liveness) fails, so a supervisor restarts the process (liveness.py).
    stall_seconds: float = Field(default=60.0, gt=0)
    # Traces (tracing.py): exported over OTLP/HTTP to this endpoint (e.g.
    # http://collector:4318/v1/traces); none, no tracing. The share of new traces kept (a
    # caller's sampled traceparent is always followed).
    otlp_endpoint: str | None = None
    trace_sample_ratio: float = Field(default=1.0, ge=0, le=1)
    # Unique per process: replicas on one host must not share an outbox lease.
    instance_id: str = Field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}")

    @model_validator(mode="after")
    def _defaults(self) -> ServiceSettings:
        if self.mongo_db is None:
            self.mongo_db = f"lodestone_{self.service_name}"
        if self.api_key is None and not self.api_keys:
            if self.environment == "production":
                raise ValueError("production settings need LODESTONE_API_KEY or LODESTONE_API_KEYS")
            self.api_key = DEV_API_KEY
        if self.person_token_key is None and self.environment != "production":
            self.person_token_key = DEV_PUBLIC_KEY
        if self.person_token_key is not None:
            PersonTokens(self.person_token_key)  # a clear error for a key that is none
        if self.environment == "production":
            production_secret("LODESTONE_API_KEY", self.api_key, DEV_API_KEY)
            if self.person_token_key == DEV_PUBLIC_KEY:
                raise ValueError(
                    "LODESTONE_PERSON_TOKEN_KEY is the public development key (whose private "
                    "half is in the repository); make a pair with lodestone-person-keys"
                )
        if (
            self.environment == "production"
            and not self.kafka_security_protocol.startswith("SASL")
            and not self.kafka_ssl_certfile
            and not self.kafka_allow_unauthenticated
        ):
            raise ValueError(
                "production settings need Kafka authentication (LODESTONE_KAFKA_SECURITY_PROTOCOL"
                "=SASL_SSL or SASL_PLAINTEXT with a username and password, or TLS client "
                "certificates), or LODESTONE_KAFKA_ALLOW_UNAUTHENTICATED=true"
            )
        if (
            self.environment == "production"
            and not has_login(self.mongo_url)
            and not self.mongo_allow_unauthenticated
        ):
            raise ValueError(
                "production settings need a database login in LODESTONE_MONGO_URL (the "
                "service's own user, see lodestone-db-users), or "
                "LODESTONE_MONGO_ALLOW_UNAUTHENTICATED=true"
            )
        return self

    @property
    def consumer_group(self) -> str:
        return f"lodestone-{self.service_name}"

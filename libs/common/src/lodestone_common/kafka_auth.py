"""How Lodestone's Kafka clients authenticate: one set of settings (prefix `LODESTONE_KAFKA_`)
that the services' brokers and every tool read, so no client connects in the clear by mistake.

SASL/SCRAM (or PLAIN) over TLS or plaintext, TLS alone with client certificates, or nothing
(development). What a principal may then do is the broker's ACLs (see `topics.ACCESS`).
"""

from __future__ import annotations

import ssl
from typing import Any, Literal

from aiokafka.helpers import create_ssl_context
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"]

_SASL = {"SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512, "PLAIN": SASLPlaintext}


class KafkaSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LODESTONE_", extra="ignore")

    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_security_protocol: SecurityProtocol = "PLAINTEXT"
    kafka_sasl_mechanism: SaslMechanism = "SCRAM-SHA-512"
    kafka_username: str | None = None
    kafka_password: SecretStr | None = None
    # TLS: the CA that signed the brokers' certificates (else the system's), and a client
    # certificate when the brokers ask for one.
    kafka_ssl_cafile: str | None = None
    kafka_ssl_certfile: str | None = None
    kafka_ssl_keyfile: str | None = None

    @model_validator(mode="after")
    def _kafka_credentials(self) -> KafkaSettings:
        if self.kafka_security_protocol.startswith("SASL") and not (
            self.kafka_username and self.kafka_password and self.kafka_password.get_secret_value()
        ):
            raise ValueError(
                f"LODESTONE_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs "
                "LODESTONE_KAFKA_USERNAME and LODESTONE_KAFKA_PASSWORD"
            )
        if bool(self.kafka_ssl_certfile) != bool(self.kafka_ssl_keyfile):
            raise ValueError("LODESTONE_KAFKA_SSL_CERTFILE and _KEYFILE go together")
        return self

    @property
    def kafka_uses_tls(self) -> bool:
        return self.kafka_security_protocol in ("SSL", "SASL_SSL")

    def kafka_ssl_context(self) -> ssl.SSLContext | None:
        if not self.kafka_uses_tls:
            return None
        return create_ssl_context(
            cafile=self.kafka_ssl_cafile,
            certfile=self.kafka_ssl_certfile,
            keyfile=self.kafka_ssl_keyfile,
        )

    def kafka_security(self) -> dict[str, Any]:
        """Keyword arguments every aiokafka client (producer, consumer, admin) takes."""
        options: dict[str, Any] = {"security_protocol": self.kafka_security_protocol}
        context = self.kafka_ssl_context()
        if context is not None:
            options["ssl_context"] = context
        if self.kafka_security_protocol.startswith("SASL"):
            assert self.kafka_password is not None  # the validator saw to it
            options |= {
                "sasl_mechanism": self.kafka_sasl_mechanism,
                "sasl_plain_username": self.kafka_username,
                "sasl_plain_password": self.kafka_password.get_secret_value(),
            }
        return options

    def broker_security(self) -> BaseSecurity | None:
        """The same, as FastStream's KafkaBroker takes it."""
        context = self.kafka_ssl_context()
        if self.kafka_security_protocol.startswith("SASL"):
            assert self.kafka_username and self.kafka_password
            return _SASL[self.kafka_sasl_mechanism](
                self.kafka_username,
                self.kafka_password.get_secret_value(),
                ssl_context=context,
                use_ssl=self.kafka_uses_tls,
            )
        if context is not None:
            return BaseSecurity(ssl_context=context, use_ssl=True)
        return None

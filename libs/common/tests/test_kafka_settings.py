"""Every Kafka client's login comes from one set of settings; production insists on one."""

from __future__ import annotations

import pytest
from faststream.security import SASLScram512

from lodestone_common.admin import acl_bindings
from lodestone_common.kafka_auth import KafkaSettings
from lodestone_common.settings import ServiceSettings
from lodestone_common.topics import ACCESS, CONTACTS, INGEST_RAW, SCORES


def test_plaintext_by_default_has_no_login() -> None:
    kafka = KafkaSettings()
    assert kafka.kafka_security() == {"security_protocol": "PLAINTEXT"}
    assert kafka.broker_security() is None


def test_scram_settings_reach_aiokafka_and_faststream() -> None:
    kafka = KafkaSettings(
        kafka_security_protocol="SASL_SSL", kafka_username="scoring", kafka_password="s3cret"
    )
    options = kafka.kafka_security()
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("scoring", "s3cret")
    assert options["ssl_context"] is not None
    broker = kafka.broker_security()
    assert isinstance(broker, SASLScram512) and broker.use_ssl
    assert "s3cret" not in repr(kafka)  # a secret, never printed


def test_sasl_without_a_password_is_refused() -> None:
    with pytest.raises(ValueError, match="LODESTONE_KAFKA_PASSWORD"):
        KafkaSettings(kafka_security_protocol="SASL_PLAINTEXT", kafka_username="scoring")


def test_production_refuses_an_open_kafka() -> None:
    with pytest.raises(ValueError, match="Kafka authentication"):
        ServiceSettings(environment="production", api_key="k" * 32)
    ServiceSettings(
        environment="production",
        api_key="k" * 32,
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_username="contacts",
        kafka_password="p",
        mongo_allow_unauthenticated=True,
    )


def test_each_principal_is_granted_only_its_topics() -> None:
    rows = acl_bindings("User:integrator", ACCESS["integrator"])
    assert rows == [(2, INGEST_RAW, 3, "User:integrator", "*", 4, 3)]  # topic, literal, write
    scoring = acl_bindings("User:scoring", ACCESS["scoring"])
    written = {name for kind, name, _, _, _, op, _ in scoring if kind == 2 and op == 4}
    assert SCORES in written and CONTACTS not in written
    assert (3, "lodestone-scoring", 4, "User:scoring", "*", 3, 3) in scoring  # its groups


def test_an_envelope_from_another_producer_than_the_topics_owner_is_poison() -> None:
    """Round two: any client produced `score.changed` 999/A and the contact showed it. Beside
    the ACLs, consumers refuse an envelope whose producer does not own the topic."""
    from lodestone_common.consumer import Skip, WrongProducer, envelope_parser
    from lodestone_common.events import ScoreChanged
    from lodestone_common.topics import OWNERS

    score = ScoreChanged(
        score=999, previous_score=0, grade="A", band="hot", model_id="default"
    ).envelope(contact_id="c-1", producer="contacts")
    parse = envelope_parser({"score.changed"}, OWNERS[SCORES])
    with pytest.raises(WrongProducer, match="only 'scoring' publishes"):
        parse(score.to_bytes())
    honest = score.model_copy(update={"producer": "scoring"})
    assert parse(honest.to_bytes()).envelope.producer == "scoring"
    with pytest.raises(Skip):
        envelope_parser({"contact.created"}, OWNERS[SCORES])(honest.to_bytes())


def test_production_refuses_a_database_without_a_login() -> None:
    from lodestone_common.dbusers import has_login, with_login

    kafka = {"kafka_allow_unauthenticated": True, "api_key": "k" * 32}
    with pytest.raises(ValueError, match="database login"):
        ServiceSettings(environment="production", **kafka)
    url = with_login("mongodb://db1:27017,db2:27017/?replicaSet=rs0", "contacts", "p@ss/word")
    assert url == (
        "mongodb://contacts:p%40ss%2Fword@db1:27017,db2:27017/?replicaSet=rs0&authSource=admin"
    )
    assert has_login(url) and not has_login("mongodb://db1/?replicaSet=rs0")
    assert has_login("mongodb://db1/?authMechanism=MONGODB-X509&tls=true")
    ServiceSettings(environment="production", mongo_url=url, **kafka)

"""Prometheus metrics shared by every service (one registry per process)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

CONSUMED = Counter(
    "lodestone_consumer_messages_total",
    "Messages handled by a consumer, by outcome (applied, ignored, duplicate, dead_lettered)",
    ["group", "topic", "outcome"],
)
BATCH_SECONDS = Histogram(
    "lodestone_consumer_batch_seconds",
    "Time to make one consumed batch durable",
    ["group"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
# Per hop: from a message's publication (its Kafka timestamp) to its effects being durable in
# the consuming group. Summed over the hops, an event's path through the services.
HOP_SECONDS = Histogram(
    "lodestone_consumer_hop_seconds",
    "From a message's publication to its effects being durable in this consumer group",
    ["group", "topic"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
# What an autoscaler and alerts act on. Every replica of a service reports its group's
# lag (the same numbers): aggregate with max, not sum.
CONSUMER_LAG = Gauge(
    "lodestone_consumer_lag",
    "Messages of a partition a consumer group has yet to commit, at the last look",
    ["group", "topic", "partition"],
)
RETRIES = Counter(
    "lodestone_consumer_retries_total",
    "Handler retries, by kind (transient infrastructure error or isolating a failing message)",
    ["group", "kind"],
)
PUBLISHED = Counter(
    "lodestone_published_messages_total", "Messages acknowledged by Kafka", ["topic"]
)
PRODUCER_REBUILDS = Counter(
    "lodestone_kafka_producer_rebuilds_total",
    "Kafka producers closed and built anew after a fatal idempotence error",
)
OUTBOX_PARKED = Counter(
    "lodestone_outbox_parked_total",
    "Outbox rows moved aside because Kafka can never take them (see lodestone-parked)",
    ["service", "reason"],
)
OUTBOX_PENDING = Gauge(
    "lodestone_outbox_pending", "Outbox events seen waiting at the last relay pass", ["service"]
)
OUTBOX_OLDEST_SECONDS = Gauge(
    "lodestone_outbox_oldest_seconds",
    "Age of the oldest outbox row waiting at the relay's last pass (0 when none wait)",
    ["service"],
)
HTTP_REQUESTS = Counter(
    "lodestone_http_requests_total", "HTTP requests", ["method", "route", "status"]
)
HTTP_SECONDS = Histogram(
    "lodestone_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
# Why transactions abort: a write conflict on which collection (the database then retries the
# whole unit of work), or any other abort. A share of aborted over committed above ~1 % means
# two writers of one service meet on the same documents.
DB_CONFLICTS = Counter(
    "lodestone_db_write_conflicts_total",
    "Statements the database refused for a write conflict, by collection",
    ["app", "collection"],
)
DB_TRANSACTIONS = Counter(
    "lodestone_db_transactions_total",
    "Transactions ended, by outcome (committed, aborted)",
    ["app", "outcome"],
)
# Where a service's database time goes: each command's round trip (the server's time, any
# wait for a lock and the network), by collection. A batch's `lodestone_consumer_batch_seconds`
# beside the sum of these tells what is spent waiting for the database and on what.
DB_COMMAND_SECONDS = Histogram(
    "lodestone_db_command_seconds",
    "A database command's round trip, by command and collection (\"-\" for a transaction's commit)",
    ["app", "command", "collection"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5),
)

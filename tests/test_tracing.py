"""One trace across the four services for one ingested event (OpenTelemetry over OTLP to the
tests' collector): the request, the Kafka hops and outbox relays, every consumer group."""

from __future__ import annotations

import json
import logging
import os
from typing import Any
from uuid import uuid4

from opentelemetry import trace

from lodestone_common import tracing
from lodestone_common.logging import JsonFormatter

SERVICES = {
    "lodestone-contacts",
    "lodestone-scoring",
    "lodestone-automation",
    "lodestone-reporting",
}


async def test_one_ingested_event_is_one_trace_across_the_four_services(  # type: ignore[no-untyped-def]
    services, collector, eventually
) -> None:
    trace_id, caller = os.urandom(16).hex(), os.urandom(8).hex()
    email = f"traced.{uuid4().hex[:8]}@example.com"
    async with services.client("contacts") as contacts:
        answer = await contacts.post(
            "/v1/events",
            # The caller asks for this request to be traced (the stack keeps no other).
            headers={"traceparent": f"00-{trace_id}-{caller}-01"},
            json={
                "events": [
                    {
                        "event_id": f"traced-{uuid4().hex}",
                        "type": "page",
                        "contact": {"email": email},
                        "properties": {"url": "/pricing"},
                    }
                ]
            },
        )
    assert answer.status_code == 202, answer.text

    # Every group's hop for this event: the request, contacts resolving the raw event and
    # relaying it (outbox), scoring, automation and reporting handling the interaction,
    # scoring's score relayed on to automation.
    expected = {
        ("lodestone-contacts", "process lodestone.ingest.raw.v1"),
        ("lodestone-contacts", "publish lodestone.interactions.v1"),
        ("lodestone-scoring", "process lodestone.interactions.v1"),
        ("lodestone-scoring", "publish lodestone.scores.v1"),
        ("lodestone-automation", "process lodestone.interactions.v1"),
        ("lodestone-automation", "process lodestone.scores.v1"),
        ("lodestone-reporting", "process lodestone.interactions.v1"),
    }

    async def whole() -> list[dict[str, Any]] | None:
        spans = collector.trace(trace_id)
        ids = {s["span_id"] for s in spans} | {caller}
        # All there, and every span hangs from another of the same trace.
        if expected <= {(s["service"], s["name"]) for s in spans} and all(
            s["parent_span_id"] in ids for s in spans
        ):
            return spans
        return None

    spans = await eventually(whole, timeout=120)
    assert {s["service"] for s in spans} >= SERVICES
    # The request, continuing the caller's trace.
    (request,) = [s for s in spans if s["parent_span_id"] == caller]
    assert request["service"] == "lodestone-contacts" and request["name"] == "POST /v1/events"
    # The database statements of each group's batch are in the trace too.
    batches = {s["service"] for s in spans if s["name"] == "batch"}
    assert batches == SERVICES
    assert len({s["span_id"] for s in spans}) == len(spans)


def test_a_log_line_inside_a_span_carries_its_trace_id() -> None:
    formatter = JsonFormatter("test")
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "hello", (), None)
    assert "trace_id" not in json.loads(formatter.format(record))
    context = trace.SpanContext(
        trace_id=0x0AF7651916CD43DD8448EB211C80319C,
        span_id=0xB7AD6B7169203331,
        is_remote=False,
        trace_flags=trace.TraceFlags(1),
    )
    with trace.use_span(trace.NonRecordingSpan(context)):
        line = json.loads(formatter.format(record))
    assert line["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert line["span_id"] == "b7ad6b7169203331"
    assert tracing.ids() == {}  # outside the span again

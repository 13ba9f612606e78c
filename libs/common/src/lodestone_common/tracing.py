"""One trace per event across the services (OpenTelemetry), off unless an OTLP endpoint is set.

An event's path: HTTP request (FastAPI) → Kafka (the ingest API publishes, or a row of the
outbox is relayed) → a consumer group's batch (one `process <topic>` span per message, its
database statements under a `batch` span) → the outbox → Kafka → … The W3C trace context
rides in Kafka message headers (`traceparent`) and in outbox rows (`trace`), so a relay
continues the trace of the request or message that wrote the row instead of starting one;
its `publish <topic>` span starts when the row was written, so the outbox wait shows.

Settings: `LODESTONE_OTLP_ENDPOINT` (e.g. http://collector:4318/v1/traces, OTLP over HTTP)
turns it on; `LODESTONE_TRACE_SAMPLE_RATIO` (default 1) is the share of new traces kept. A
caller's sampled `traceparent` is always followed, so one request can be traced on a
service that keeps no other trace (the tests do exactly that). Only HTTP requests and
consumed messages start traces: database statements and outgoing HTTP outside one are not
traced on their own. Every JSON log line written inside a span carries its `trace_id`.

aiokafka's own instrumentation is not used: this code owns the consuming (batches) and the
publishing (the outbox) and puts the context where those need it.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

if TYPE_CHECKING:
    from aiokafka.structs import ConsumerRecord
    from fastapi import FastAPI

    from .envelope import Envelope
    from .settings import ServiceSettings

TRACER = trace.get_tracer("lodestone")
_ENABLED = False


def enabled() -> bool:
    return _ENABLED


class _Roots(Sampler):
    """New traces start only at HTTP requests and consumed messages, a `ratio` of them."""

    def __init__(self, ratio: float) -> None:
        self.ratio = TraceIdRatioBased(ratio)

    def should_sample(  # type: ignore[no-untyped-def]
        self,
        parent_context,
        trace_id,
        name,
        kind=None,
        attributes=None,
        links=None,
        trace_state=None,
    ) -> SamplingResult:
        if kind not in (SpanKind.SERVER, SpanKind.CONSUMER):
            return SamplingResult(Decision.DROP)
        return self.ratio.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"LodestoneRoots{{{self.ratio.get_description()}}}"


def configure(settings: ServiceSettings) -> None:
    """Install the tracer provider and the database and HTTP-client instrumentation, once
    per process, when the settings name an endpoint (before any client is made)."""
    global _ENABLED
    if _ENABLED or not settings.otlp_endpoint:
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.pymongo import PymongoInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(
        resource=Resource.create(
            {
                "service.name": f"lodestone-{settings.service_name}",
                "service.instance.id": settings.instance_id,
            }
        ),
        sampler=ParentBased(root=_Roots(settings.trace_sample_ratio)),
    )
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(settings.otlp_endpoint)))
    trace.set_tracer_provider(provider)
    PymongoInstrumentor().instrument()
    HTTPXClientInstrumentor().instrument()
    _ENABLED = True


def instrument(app: FastAPI) -> None:
    if _ENABLED:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics")


def carrier(ctx: otel_context.Context | None = None) -> dict[str, str]:
    """The trace context (the current one, or `ctx`) as headers; empty when off or none."""
    if not _ENABLED:
        return {}
    out: dict[str, str] = {}
    propagate.inject(out, context=ctx)
    return out


def headers_of(record: ConsumerRecord) -> dict[str, str]:
    return {
        k: v.decode("latin-1")
        for k, v in (record.headers or ())
        if k in ("traceparent", "tracestate") and isinstance(v, bytes)
    }


# --- consuming -------------------------------------------------------------------------


@dataclass
class _Batch:
    """The spans of one batch's messages, found by what handlers emit in response."""

    by_key: dict[str, trace.Span] = field(default_factory=dict)
    by_contact: dict[str, trace.Span] = field(default_factory=dict)

    def cause_of(self, envelope: Envelope) -> trace.Span | None:
        """The message an emitted envelope answers: the edge message it was made from (its
        key is the envelope's id), the event it names as its cause, else the latest event
        of the batch about the same contact."""
        for key in (str(envelope.event_id), str(envelope.causation_id)):
            if key in self.by_key:
                return self.by_key[key]
        return self.by_contact.get(envelope.contact_id)


_BATCH: contextvars.ContextVar[_Batch | None] = contextvars.ContextVar("batch", default=None)


@contextlib.contextmanager
def consuming(
    group: str, items: Sequence[tuple[ConsumerRecord, str, str | None]]
) -> Iterator[None]:
    """Spans for a batch being made durable: `items` are (record, key, contact id). Handlers'
    database statements run under a `batch` span in the first sampled message's trace."""
    if not _ENABLED:
        yield
        return
    batch = _Batch()
    spans = []
    for record, key, contact in items:
        span = TRACER.start_span(
            f"process {record.topic}",
            context=propagate.extract(headers_of(record)),
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.operation.type": "process",
                "messaging.destination.name": record.topic,
                "messaging.consumer.group.name": group,
                "messaging.kafka.offset": record.offset,
                "messaging.destination.partition.id": str(record.partition),
            },
        )
        spans.append(span)
        batch.by_key[key] = span
        if contact:
            batch.by_contact[contact] = span
    sampled = [s for s in spans if s.get_span_context().trace_flags.sampled]
    parent = trace.set_span_in_context(sampled[0]) if sampled else None
    token = _BATCH.set(batch)
    try:
        with TRACER.start_as_current_span(
            "batch",
            context=parent,
            attributes={"messaging.batch.message_count": len(spans)},
            links=[Link(s.get_span_context()) for s in sampled[1:]],
        ):
            yield
    except BaseException as exc:
        for span in spans:
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
        raise
    finally:
        _BATCH.reset(token)
        for span in spans:
            span.end()


def carrier_for(envelope: Envelope) -> dict[str, str]:
    """The trace an emitted event continues: its cause in the batch being handled, else the
    current span (an HTTP request's)."""
    if not _ENABLED:
        return {}
    batch = _BATCH.get()
    cause = batch.cause_of(envelope) if batch else None
    return carrier(trace.set_span_in_context(cause) if cause else None)


# --- publishing --------------------------------------------------------------------------


def published(
    topic: str, trace_headers: Mapping[str, str], written_at: datetime | None
) -> dict[str, str]:
    """A `publish` span for an outbox row (from when it was written), continuing its trace;
    the headers for its message."""
    if not _ENABLED or not trace_headers:
        return dict(trace_headers)
    start = int(written_at.timestamp() * 1e9) if written_at else None
    span = TRACER.start_span(
        f"publish {topic}",
        context=propagate.extract(dict(trace_headers)),
        kind=SpanKind.PRODUCER,
        start_time=start,
        attributes={"messaging.system": "kafka", "messaging.destination.name": topic},
    )
    try:
        return carrier(trace.set_span_in_context(span))
    finally:
        span.end()


def ids() -> dict[str, Any]:
    """The current span's trace and span ids, for a log line (empty outside a span)."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return {}
    return {"trace_id": f"{context.trace_id:032x}", "span_id": f"{context.span_id:016x}"}

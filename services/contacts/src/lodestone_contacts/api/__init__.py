"""Contacts' HTTP API: ingestion (`/v1/events`) and prospect records (`/v1/contacts`)."""

from .attachments import router as attachments_router
from .contacts import router as contacts_router
from .email_events import router as email_events_router
from .events import router as events_router
from .imports import router as imports_router
from .segment import router as segment_router
from .segments import router as segments_router
from .timeline import router as timeline_router
from .webhooks import router as webhooks_router

# Imports first: `/v1/contacts/imports/{id}` must win over `/v1/contacts/{id}/...`.
routers = [
    events_router,
    segment_router,
    webhooks_router,
    email_events_router,
    imports_router,
    contacts_router,
    timeline_router,
    attachments_router,
    segments_router,
]

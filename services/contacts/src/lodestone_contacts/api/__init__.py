"""Contacts' HTTP API: ingestion (`/v1/events`) and prospect records (`/v1/contacts`)."""

from .contacts import router as contacts_router
from .events import router as events_router
from .imports import router as imports_router
from .segment import router as segment_router
from .segments import router as segments_router

# Imports first: `/v1/contacts/imports/{id}` must win over `/v1/contacts/{id}/...`.
routers = [events_router, segment_router, imports_router, contacts_router, segments_router]

"""Contacts' HTTP API: ingestion (`/v1/events`) and prospect records (`/v1/contacts`)."""

from .contacts import router as contacts_router
from .events import router as events_router

routers = [events_router, contacts_router]

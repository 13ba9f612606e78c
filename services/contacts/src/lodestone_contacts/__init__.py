"""Contacts: the owner of prospect records and the front door for interaction events."""

"""Reminders before a task is due: when one goes, and what it says to the rep."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

# Unless a task says otherwise (0: at the due time; none: no reminder).
DEFAULT_MINUTES = 15


def remind_at(due_at: datetime, minutes: int | None) -> datetime | None:
    return None if minutes is None else due_at - timedelta(minutes=minutes)


def timing(fields: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """The reminder fields a task change implies: moved (snoozed) or re-timed, its reminder
    is due again at the new time; closed, there is none."""
    if fields.get("status") == "done":
        return {"remind_at": None}
    due = fields.get("due_at", current.get("due_at"))
    minutes = fields.get("remind_before_minutes", current.get("remind_before_minutes"))
    moved = "due_at" in fields or "remind_before_minutes" in fields or fields.get("status")
    if not moved or due is None:
        return {}
    return {"remind_at": remind_at(due, minutes), "reminded_at": None}


def message(task: dict[str, Any], contact: dict[str, Any], link: str | None) -> tuple[str, str]:
    """The reminder's subject and text."""
    who = " ".join(p for p in (contact.get("first_name"), contact.get("last_name")) if p)
    who = who or contact.get("email") or task["contact_id"]
    due: datetime = task["due_at"]
    subject = f"Reminder: {task['title']} (due {due:%H:%M} UTC)"
    lines = [
        f"{task['title']}",
        f"Due {due:%A %d %B, %H:%M} UTC, for {who}.",
    ]
    if contact.get("phone"):
        lines.append(f"Phone: {contact['phone']}")
    if task.get("note"):
        lines += ["", task["note"]]
    if link:
        lines += ["", f"Open the contact: {link}"]
    return subject, "\n".join(lines)

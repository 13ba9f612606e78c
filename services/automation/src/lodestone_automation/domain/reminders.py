"""What reps are told by email: reminders before a task is due (when one goes, what it says)
and a new lead assigned to them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

# Unless a task says otherwise (0: at the due time; none: no reminder).
DEFAULT_MINUTES = 15


def remind_at(due_at: datetime, minutes: int | None) -> datetime | None:
    return None if minutes is None else due_at - timedelta(minutes=minutes)


def escalate_at(due_at: datetime, hours: float | None) -> datetime | None:
    """When an open task, still not done, is told to its rep's manager."""
    return None if hours is None else due_at + timedelta(hours=hours)


def timing(fields: dict[str, Any], current: dict[str, Any], hours: float | None) -> dict[str, Any]:
    """The reminder and escalation a task change implies: moved (snoozed) or re-timed, both
    are due again from the new time; closed, there are none."""
    if fields.get("status") == "done":
        return {"remind_at": None, "escalate_at": None}
    due = fields.get("due_at", current.get("due_at"))
    minutes = fields.get("remind_before_minutes", current.get("remind_before_minutes"))
    moved = "due_at" in fields or "remind_before_minutes" in fields or fields.get("status")
    if not moved or due is None:
        return {}
    return {
        "remind_at": remind_at(due, minutes),
        "reminded_at": None,
        "escalate_at": escalate_at(due, hours),
        "escalated_at": None,
    }


def message(task: dict[str, Any], contact: dict[str, Any], link: str | None) -> tuple[str, str]:
    """The reminder's subject and text."""
    who = _who(contact, task["contact_id"])
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


def _who(contact: dict[str, Any], fallback: str) -> str:
    name = " ".join(p for p in (contact.get("first_name"), contact.get("last_name")) if p)
    return name or contact.get("email") or fallback


def new_lead(contact: dict[str, Any], link: str | None) -> tuple[str, str]:
    """The email telling a rep a lead is now theirs."""
    who = _who(contact, "a new lead")
    at = f" at {contact['company']}" if contact.get("company") else ""
    lines = [f"{who}{at} is now your lead."]
    lines += [f"{k.title()}: {contact[k]}" for k in ("email", "phone") if contact.get(k)]
    if link:
        lines += ["", f"Open the contact: {link}"]
    return f"New lead: {who}{at}", "\n".join(lines)


def overdue(task: dict[str, Any], rep: dict[str, Any], link: str | None) -> tuple[str, str]:
    """What a rep's manager is told of a task left undone."""
    due: datetime = task["due_at"]
    name = rep.get("name") or task.get("owner_id") or "nobody"
    lines = [f'{name}\'s task "{task["title"]}" was due {due:%A %d %B, %H:%M} UTC and is not done.']
    if link:
        lines += ["", f"Open the contact: {link}"]
    return f"Overdue: {task['title']} ({name})", "\n".join(lines)

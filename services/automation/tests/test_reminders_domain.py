"""When a task's reminder goes, how a change moves it, and what it says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lodestone_automation.domain.reminders import escalate_at, message, overdue, remind_at, timing

DUE = datetime(2026, 12, 7, 14, 30, tzinfo=UTC)


def test_a_reminder_goes_its_minutes_before_the_due_time_or_not_at_all() -> None:
    assert remind_at(DUE, 15) == DUE - timedelta(minutes=15)
    assert remind_at(DUE, 0) == DUE
    assert remind_at(DUE, None) is None


def test_snoozing_or_retiming_sets_a_new_reminder_and_closing_ends_it() -> None:
    task = {"due_at": DUE, "remind_before_minutes": 15}
    later = DUE + timedelta(days=1)
    assert timing({"due_at": later}, task, 24) == {
        "remind_at": later - timedelta(minutes=15),
        "reminded_at": None,
        "escalate_at": later + timedelta(hours=24),
        "escalated_at": None,
    }
    moved = timing({"remind_before_minutes": 60}, task, 24)
    assert moved["remind_at"] == DUE - timedelta(hours=1)
    assert timing({"status": "done"}, task, 24) == {"remind_at": None, "escalate_at": None}
    assert timing({"status": "open"}, task, 24)["remind_at"] == DUE - timedelta(minutes=15)
    assert timing({"note": "left a message"}, task, 24) == {}  # nothing about the time
    assert timing({"remind_before_minutes": None}, task, 24)["remind_at"] is None
    assert timing({"due_at": later}, task, None)["escalate_at"] is None  # escalation off


def test_the_reminder_names_the_task_the_person_and_how_to_reach_them() -> None:
    task = {"title": "Call Quinn", "due_at": DUE, "contact_id": "c1", "note": "about the demo"}
    contact = {"first_name": "Quinn", "last_name": "Ray", "phone": "+1 555 0100"}
    subject, text = message(task, contact, "http://console/contacts/c1")
    assert subject == "Reminder: Call Quinn (due 14:30 UTC)"
    assert "for Quinn Ray" in text and "+1 555 0100" in text and "about the demo" in text
    assert text.endswith("Open the contact: http://console/contacts/c1")
    assert "for c1" in message(task, {}, None)[1]  # a contact automation knows nothing of


def test_a_rep_is_told_who_their_new_lead_is_and_how_to_reach_them() -> None:
    from lodestone_automation.domain.reminders import new_lead

    contact = {"first_name": "Quinn", "company": "Acme", "email": "q@acme.io", "phone": "+1"}
    subject, text = new_lead(contact, "http://console/contacts/c1")
    assert subject == "New lead: Quinn at Acme"
    assert "Email: q@acme.io" in text and "Phone: +1" in text and text.endswith("/contacts/c1")
    assert new_lead({}, None)[0] == "New lead: a new lead"


def test_a_task_left_undone_goes_to_the_manager_after_the_delay() -> None:
    assert escalate_at(DUE, 24) == DUE + timedelta(days=1)
    assert escalate_at(DUE, None) is None
    task = {"title": "Call Quinn", "due_at": DUE, "owner_id": "rae"}
    subject, text = overdue(task, {"name": "Rae"}, "http://console/contacts/c1")
    assert subject == "Overdue: Call Quinn (Rae)"
    assert text.startswith('Rae\'s task "Call Quinn" was due Monday 07 December, 14:30 UTC')
    assert overdue(task, {}, None)[0] == "Overdue: Call Quinn (rae)"

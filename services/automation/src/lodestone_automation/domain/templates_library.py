"""Ready-made workflows a team can start from (instantiated as editable drafts)."""

from __future__ import annotations

from typing import Any

DAY = 86_400

NEW_LEAD_CADENCE: dict[str, Any] = {
    "name": "New lead: first-week sales cadence",
    "description": "Eight touches in the first week of a new lead — four emails and four call "
    "tasks — stopping as soon as the lead books a meeting or moves past lead.",
    "trigger": {"type": "stage_changed", "to": "lead"},
    "enrollment": {"policy": "once"},
    "goal": [
        {
            "field": "lifecycle_stage",
            "op": "in",
            "value": ["sales_qualified", "opportunity", "customer", "lost", "disqualified"],
        }
    ],
    "steps": [
        {
            "id": "intro-email",
            "type": "send_email",
            "subject": "{{first_name|Hi}}, quick intro from our team",
            "body": "Hi {{first_name|there}},\n\nThanks for your interest. Could we find 15 "
            "minutes this week to see if we can help {{company|your team}}?",
        },
        {
            "id": "day0-call",
            "type": "create_task",
            "kind": "call",
            "title": "Intro call: {{first_name}} {{last_name}} ({{company}})",
            "due_in_hours": 4,
        },
        {"id": "wait-1", "type": "wait", "seconds": DAY},
        {
            "id": "value-email",
            "type": "send_email",
            "subject": "How teams like {{company|yours}} use us",
            "body": "Hi {{first_name|there}},\n\nA short story of a customer like you...",
        },
        {"id": "wait-2", "type": "wait", "seconds": DAY},
        {
            "id": "day2-call",
            "type": "create_task",
            "kind": "call",
            "title": "Follow-up call: {{first_name}} {{last_name}}",
            "due_in_hours": 8,
        },
        {"id": "wait-3", "type": "wait", "seconds": 2 * DAY},
        {
            "id": "case-email",
            "type": "send_email",
            "subject": "A 2-minute case study",
            "body": "Hi {{first_name|there}},\n\nHere is how others got results in weeks...",
        },
        {"id": "wait-4", "type": "wait", "seconds": DAY},
        {
            "id": "day5-call",
            "type": "create_task",
            "kind": "call",
            "title": "Third call attempt: {{first_name}} {{last_name}}",
            "due_in_hours": 8,
        },
        {"id": "wait-5", "type": "wait", "seconds": DAY},
        {
            "id": "day6-linkedin",
            "type": "create_task",
            "kind": "follow_up",
            "title": "Connect on LinkedIn with {{first_name}} {{last_name}}",
            "due_in_hours": 8,
        },
        {"id": "wait-6", "type": "wait", "seconds": DAY},
        {
            "id": "breakup-email",
            "type": "send_email",
            "subject": "Should I close your file?",
            "body": "Hi {{first_name|there}},\n\nI haven't heard back, so I'll assume the timing "
            "isn't right. Reply any time and I'll pick it up.",
        },
    ],
}

LIBRARY: dict[str, dict[str, Any]] = {"new-lead-cadence": NEW_LEAD_CADENCE}

"""Ready-made workflows a team can start from (opened in the builder, saved as editable drafts):
the seed's sales cadences and journeys, each a valid definition (a test checks every one)."""

from __future__ import annotations

from typing import Any

HOUR = 3_600
DAY = 86_400

# Past lead: a cadence stops as soon as sales has taken the contact further, or let them go.
BEYOND_LEAD = [
    {
        "field": "lifecycle_stage",
        "op": "in",
        "value": ["sales_qualified", "opportunity", "customer", "lost", "disqualified"],
    }
]


def _call(step_id: str, title: str, due_in_hours: float = 8) -> dict[str, Any]:
    return {
        "id": step_id,
        "type": "create_task",
        "kind": "call",
        "title": title,
        "due_in_hours": due_in_hours,
    }


def _email(step_id: str, subject: str, body: str) -> dict[str, Any]:
    return {"id": step_id, "type": "send_email", "subject": subject, "body": body}


def _wait(step_id: str, seconds: float) -> dict[str, Any]:
    return {"id": step_id, "type": "wait", "seconds": seconds}


WHO = "{{first_name}} {{last_name}} ({{company}})"

NEW_LEAD_CADENCE: dict[str, Any] = {
    "name": "New lead: first-week sales cadence",
    "description": "Eight calls and four emails in a new lead's first week — two calls on the "
    "first day, then one a day — stopping as soon as the lead moves past lead.",
    "trigger": {"type": "stage_changed", "to": "lead"},
    "enrollment": {"policy": "once"},
    "goal": BEYOND_LEAD,
    "steps": [
        _email(
            "intro-email",
            "{{first_name|Hi}}, quick intro from our team",
            "Hi {{first_name|there}},\n\nThanks for your interest. Could we find 15 minutes "
            "this week to see if we can help {{company|your team}}?",
        ),
        _call("call-1", f"Intro call: {WHO}", 1),
        _wait("wait-1", 4 * HOUR),
        _call("call-2", f"Second try today: {WHO}", 4),
        _wait("wait-2", DAY),
        _call("call-3", f"Day 2 call: {WHO}"),
        _email(
            "value-email",
            "How teams like {{company|yours}} use us",
            "Hi {{first_name|there}},\n\nA short story of a customer like you...",
        ),
        _wait("wait-3", DAY),
        _call("call-4", f"Day 3 call: {WHO}"),
        _wait("wait-4", DAY),
        _call("call-5", f"Day 4 call: {WHO}"),
        _email(
            "case-email",
            "A 2-minute case study",
            "Hi {{first_name|there}},\n\nHere is how others got results in weeks...",
        ),
        _wait("wait-5", DAY),
        _call("call-6", f"Day 5 call: {WHO}"),
        _wait("wait-6", DAY),
        _call("call-7", f"Day 6 call: {WHO}"),
        _wait("wait-7", DAY),
        _call("call-8", f"Last call attempt: {WHO}"),
        _email(
            "breakup-email",
            "Should I close your file?",
            "Hi {{first_name|there}},\n\nI haven't heard back, so I'll assume the timing "
            "isn't right. Reply any time and I'll pick it up.",
        ),
    ],
}

SHORT_CADENCE: dict[str, Any] = {
    "name": "New lead: three-day cadence",
    "description": "For smaller deals: three calls and two emails over three days.",
    "trigger": {"type": "stage_changed", "to": "lead"},
    "enrollment": {"policy": "once"},
    "goal": BEYOND_LEAD,
    "steps": [
        _email(
            "intro-email",
            "{{first_name|Hi}}, can we help?",
            "Hi {{first_name|there}},\n\nThanks for getting in touch. When suits you for a "
            "short call?",
        ),
        _call("call-1", f"Intro call: {WHO}", 2),
        _wait("wait-1", DAY),
        _call("call-2", f"Follow-up call: {WHO}"),
        _wait("wait-2", 2 * DAY),
        _call("call-3", f"Last call attempt: {WHO}"),
        _email(
            "last-email",
            "Still interested?",
            "Hi {{first_name|there}},\n\nReply whenever the time is right.",
        ),
    ],
}

PRICING_INTEREST: dict[str, Any] = {
    "name": "Pricing interest: three visits in a week",
    "description": "Someone who looks at pricing three times in seven days gets one helpful "
    "email, and their owner a call to make.",
    "trigger": {
        "type": "interaction_count",
        "interaction_type": "page_visit",
        "conditions": [{"field": "url", "op": "contains", "value": "/pricing"}],
        "count": 3,
        "within_days": 7,
    },
    "enrollment": {"policy": "once_per_days", "days": 30},
    "steps": [
        _email(
            "pricing-email",
            "Questions about pricing, {{first_name|there}}?",
            "Hi {{first_name|there}},\n\nChoosing a plan? Reply with your team's size and we "
            "will say which one fits.",
        ),
        _call("pricing-call", f"Pricing interest: call {WHO}", 24),
    ],
}

QUALIFIED_HANDOFF: dict[str, Any] = {
    "name": "Qualified lead: hand to a rep",
    "description": "When a lead reaches the score threshold: a rep by round-robin, marked "
    "marketing-qualified, and a call within the hour.",
    "trigger": {"type": "lead_qualified", "model_id": "default"},
    "enrollment": {"policy": "once"},
    "steps": [
        {"id": "assign", "type": "assign_owner", "keep_existing": True},
        {"id": "mark", "type": "update_contact", "stage": "marketing_qualified"},
        _call("first-call", f"Qualified lead: call {WHO}", 1),
    ],
}

CONTRACT_RENEWAL: dict[str, Any] = {
    "name": "Contract renewal: 60 days ahead",
    "description": "Sixty days before a contract ends, the owner calls about renewing; a "
    "reminder email follows a month later unless they have renewed.",
    "trigger": {"type": "date_offset", "field": "contract_end_date", "offset_days": -60},
    "enrollment": {"policy": "every_time"},
    "steps": [
        _call("renewal-call", f"Renewal call: {WHO}", 24),
        _wait("month", 30 * DAY),
        {
            "id": "still-customer",
            "type": "if",
            "conditions": [{"field": "lifecycle_stage", "op": "equals", "value": "customer"}],
            "else": "exit",
        },
        _email(
            "renewal-email",
            "Your contract ends in a month",
            "Hi {{first_name|there}},\n\nYour contract ends soon; reply and we will prepare "
            "the renewal.",
        ),
    ],
}

WEBINAR_FOLLOW_UP: dict[str, Any] = {
    "name": "Webinar sign-up: follow up",
    "description": "Thanks those who sign up for a webinar; if they click, the owner calls; "
    "if not within three days, they get the recording.",
    "trigger": {
        "type": "interaction",
        "interaction_type": "form_submitted",
        "conditions": [{"field": "form_id", "op": "contains", "value": "webinar"}],
    },
    "enrollment": {"policy": "every_time"},
    "steps": [
        _email(
            "thanks",
            "You're in, {{first_name|there}}",
            "Hi {{first_name|there}},\n\nThanks for signing up. Here is what we will cover...",
        ),
        {
            "id": "clicked",
            "type": "wait_for",
            "interaction_type": "email_clicked",
            "timeout_seconds": 3 * DAY,
            "on_timeout": "recording",
        },
        _call("hot-call", f"Webinar sign-up clicked through: call {WHO}", 4),
        {"id": "done", "type": "exit"},
        _email(
            "recording",
            "The recording, in case you missed it",
            "Hi {{first_name|there}},\n\nHere is the recording and the slides.",
        ),
    ],
}

LIBRARY: dict[str, dict[str, Any]] = {
    "new-lead-cadence": NEW_LEAD_CADENCE,
    "new-lead-short-cadence": SHORT_CADENCE,
    "pricing-interest": PRICING_INTEREST,
    "qualified-handoff": QUALIFIED_HANDOFF,
    "contract-renewal": CONTRACT_RENEWAL,
    "webinar-follow-up": WEBINAR_FOLLOW_UP,
}

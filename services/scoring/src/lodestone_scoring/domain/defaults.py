"""The model a fresh install scores with from the first event."""

from __future__ import annotations

from .models import ModelDefinition

DEFAULT_MODEL_ID = "default"

DEFAULT_MODEL = ModelDefinition.model_validate(
    {
        "name": "Default lead score",
        "description": "Engagement points with a 30-day half-life; fit on title and size.",
        "rules": [
            {
                "id": "visit",
                "name": "Page visit",
                "interaction_type": "page_visit",
                "points": 1,
                "cap": {"max_points": 10, "per": "day"},
            },
            {
                "id": "pricing",
                "name": "Visited pricing",
                "interaction_type": "page_visit",
                "conditions": [{"field": "url", "op": "contains", "value": "/pricing"}],
                "points": 10,
                "cap": {"max_points": 30, "per": "week"},
            },
            {
                "id": "careers",
                "name": "Visited careers (likely a job seeker)",
                "interaction_type": "page_visit",
                "conditions": [{"field": "url", "op": "contains", "value": "/careers"}],
                "points": -10,
            },
            {
                "id": "email-open",
                "name": "Opened an email",
                "interaction_type": "email_opened",
                "points": 2,
                "cap": {"max_points": 10, "per": "week"},
            },
            {
                "id": "email-click",
                "name": "Clicked an email",
                "interaction_type": "email_clicked",
                "points": 5,
            },
            {
                "id": "form",
                "name": "Submitted a form",
                "interaction_type": "form_submitted",
                "points": 20,
            },
            {"id": "call", "name": "Had a call", "interaction_type": "call_logged", "points": 10},
            {
                "id": "meeting",
                "name": "Held a meeting",
                "interaction_type": "meeting_held",
                "points": 30,
            },
            {"id": "purchase", "name": "Purchased", "interaction_type": "purchase", "points": 50},
            {
                "id": "bounce",
                "name": "Email bounced",
                "interaction_type": "email_bounced",
                "points": -20,
            },
            {
                "id": "unsubscribe",
                "name": "Unsubscribed",
                "interaction_type": "email_unsubscribed",
                "points": -50,
            },
        ],
        "fit_rules": [
            {
                "id": "chief",
                "name": "C-level title",
                "conditions": [{"field": "title", "op": "starts_with", "value": "chief"}],
                "points": 30,
            },
            {
                "id": "c-suite",
                "name": "C-level or founder (CEO, CTO, …)",
                "conditions": [
                    {
                        "field": "title",
                        "op": "in",
                        "value": [
                            *("ceo", "cto", "cfo", "coo", "cmo", "cio", "cro", "cpo"),
                            *("founder", "co-founder", "owner", "president"),
                        ],
                    }
                ],
                "points": 30,
            },
            {
                "id": "vp",
                "name": "VP title",
                "conditions": [{"field": "title", "op": "contains", "value": "vp"}],
                "points": 30,
            },
            {
                "id": "director",
                "name": "Director title",
                "conditions": [{"field": "title", "op": "contains", "value": "director"}],
                "points": 20,
            },
            {
                "id": "head-of",
                "name": "Head of a team",
                "conditions": [{"field": "title", "op": "starts_with", "value": "head of"}],
                "points": 20,
            },
            {
                "id": "manager",
                "name": "Manager title",
                "conditions": [{"field": "title", "op": "contains", "value": "manager"}],
                "points": 10,
            },
            {
                "id": "mid-size",
                "name": "Company of 50+",
                "conditions": [{"field": "company_size", "op": "gte", "value": 50}],
                "points": 20,
            },
            {
                "id": "large",
                "name": "Company of 500+",
                "conditions": [{"field": "company_size", "op": "gte", "value": 500}],
                "points": 10,
            },
            {
                "id": "has-company",
                "name": "Company known",
                "conditions": [{"field": "company", "op": "exists"}],
                "points": 10,
            },
        ],
        "grade_bands": {"A": 60, "B": 40, "C": 20, "D": 10, "E": 0},
        "decay": {"type": "half_life", "days": 30},
        "threshold": {"score": 100, "min_grade": "F"},
        "bands": {"hot": 100, "warm": 50, "cold": -1e9},
    }
)

"""A campaign's states, results in people, reactions and pace: plain logic."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from lodestone_automation.domain.campaigns import (
    CampaignFields,
    SendRequest,
    reaction,
    results,
    state_of,
)
from lodestone_automation.domain.pacing import per_minute


def test_results_are_people_and_rates_are_of_those_sent() -> None:
    counts = {"queued": 5, "sending": 1, "sent": 40, "skipped": 3, "failed": 1}
    counts |= {"opened": 20, "clicked": 4, "bounced": 2, "unsubscribed": 1}
    r = results(counts, 50)
    assert (r["sent"], r["delivered"], r["queued"]) == (40, 38, 6)
    assert (r["open_rate"], r["click_rate"], r["bounce_rate"]) == (0.5, 0.1, 0.05)
    assert r["progress"] == 0.88
    empty = results({}, 0)
    assert empty["open_rate"] is None and empty["progress"] is None


def test_what_an_interaction_says_a_recipient_did() -> None:
    assert reaction("email_clicked", {}) == "clicked"
    assert reaction("email_bounced", {}) == "bounced"  # hard unless it says otherwise
    assert reaction("email_bounced", {"bounce_type": "transient"}) is None
    assert reaction("email_bounced", {"bounce_type": "spam"}) == "complained"
    assert reaction("page_visit", {}) is None


def test_states_as_people_read_them() -> None:
    assert [state_of({"status": s}) for s in ("draft", "running", "interrupted", "done")] == [
        "draft",
        "sending",
        "sending",
        "sent",
    ]


def test_a_pace_in_ten_second_windows_unless_too_slow_for_them() -> None:
    assert (per_minute(600).amount, per_minute(600).get_expiry()) == (100, 10)
    assert (per_minute(3).amount, per_minute(3).get_expiry()) == (3, 60)


def test_bad_campaigns_are_refused_with_the_field() -> None:
    with pytest.raises(ValidationError, match="from"):
        CampaignFields(name="x", template_id="t", segment_id="s", **{"from": "a@b.c, d@e.f"})
    with pytest.raises(ValidationError, match="rate_per_minute"):
        CampaignFields(name="x", template_id="t", segment_id="s", rate_per_minute=0)
    with pytest.raises(ValidationError, match="time zone"):
        SendRequest.model_validate({"at": "2030-01-01T09:00:00"})

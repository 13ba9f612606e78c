"""Rules, caps, negative points, decay, grades and thresholds — without I/O."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from lodestone_common.events import LeadDisqualified, LeadQualified, ScoreChanged
from lodestone_scoring.domain.defaults import DEFAULT_MODEL
from lodestone_scoring.domain.ledger import (
    Interaction,
    ScoreState,
    apply_interaction,
    fit_points,
    grade_for,
    score_at,
)
from lodestone_scoring.domain.models import ModelDefinition
from lodestone_scoring.domain.replay import replay
from lodestone_scoring.domain.verdicts import settle

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)  # a Monday


def visit(i: int, url: str = "/docs", days: float = 0, kind: str = "page_visit") -> Interaction:
    return Interaction(f"e{i}", T0 + timedelta(days=days), kind, "Page Viewed", {"url": url})


def model(**overrides) -> ModelDefinition:  # type: ignore[no-untyped-def]
    base = {
        "name": "test",
        "rules": [
            {
                "id": "visit",
                "name": "visit",
                "interaction_type": "page_visit",
                "points": 1,
                "cap": {"max_points": 3, "per": "day"},
            },
            {
                "id": "pricing",
                "name": "pricing",
                "interaction_type": "page_visit",
                "conditions": [{"field": "url", "op": "contains", "value": "/pricing"}],
                "points": 10,
            },
            {
                "id": "careers",
                "name": "careers",
                "interaction_type": "page_visit",
                "conditions": [{"field": "url", "op": "starts_with", "value": "/careers"}],
                "points": -10,
            },
            {
                "id": "unsub",
                "name": "unsub",
                "interaction_type": "email_unsubscribed",
                "points": -50,
            },
        ],
        "threshold": {"score": 20, "min_grade": "C"},
        "fit_rules": [
            {
                "id": "vp",
                "name": "VP",
                "conditions": [{"field": "title", "op": "contains", "value": "vp"}],
                "points": 25,
            },
            {
                "id": "big",
                "name": "big",
                "conditions": [{"field": "company_size", "op": "gte", "value": 200}],
                "points": 20,
            },
        ],
    }
    base.update(overrides)
    return ModelDefinition.model_validate(base)


def run(m: ModelDefinition, history: list[Interaction]):  # type: ignore[no-untyped-def]
    state, caps, entries = ScoreState(), {}, []
    for i in history:
        entries += apply_interaction("m", 1, m, state, caps, i)
    return state, entries


def test_rules_conditions_and_negative_points() -> None:
    state, entries = run(model(), [visit(1, "/pricing"), visit(2, "/careers/jobs")])
    assert [(e.rule_id, e.points) for e in entries] == [
        ("visit", 1),
        ("pricing", 10),
        ("visit", 1),
        ("careers", -10),
    ]
    assert score_at(state, model().decay, T0) == 2
    assert {e.key() for e in entries} == {
        "m:e1:visit",
        "m:e1:pricing",
        "m:e2:visit",
        "m:e2:careers",
    }


def test_frequency_cap_per_day_resets_the_next_day() -> None:
    history = [visit(i) for i in range(5)] + [visit(9, days=1)]
    state, entries = run(model(), history)
    assert [e.points for e in entries] == [1, 1, 1, 0, 0, 1]
    assert [e.capped for e in entries] == [False, False, False, True, True, False]
    assert state.raw == 4


def test_half_life_decay_is_computed_from_entry_ages() -> None:
    m = model(decay={"type": "half_life", "days": 10})
    state, _ = run(m, [visit(1, "/pricing")])  # 11 points at T0
    assert score_at(state, m.decay, T0) == pytest.approx(11)
    assert score_at(state, m.decay, T0 + timedelta(days=10)) == pytest.approx(5.5)
    # A second entry ten days later: 5.5 (decayed) + 11.
    later = apply_interaction("m", 1, m, state, {}, visit(2, "/pricing", days=10))
    assert later and score_at(state, m.decay, T0 + timedelta(days=10)) == pytest.approx(16.5)
    # An out-of-order (older) event counts as if it had arrived in order.
    apply_interaction("m", 1, m, state, {}, visit(3, "/pricing", days=0))
    assert score_at(state, m.decay, T0 + timedelta(days=10)) == pytest.approx(22)


def test_inactivity_step_down() -> None:
    m = model(decay={"type": "inactivity", "days": 30, "factor": 0.5})
    state, _ = run(m, [visit(1, "/pricing")])
    assert score_at(state, m.decay, T0 + timedelta(days=29)) == 11
    assert score_at(state, m.decay, T0 + timedelta(days=31)) == 5.5
    assert score_at(state, m.decay, T0 + timedelta(days=61)) == 2.75


def test_fit_rules_make_grades() -> None:
    m = model()
    assert fit_points(m, {"title": "VP Sales", "company_size": 500}) == (45, ["vp", "big"])
    assert grade_for(m, 45) == "B" and grade_for(m, 65) == "A" and grade_for(m, -5) == "F"


def test_thresholds_fire_once_per_crossing_each_way() -> None:
    m = model()
    state = ScoreState(grade="B")
    apply_interaction("m", 1, m, state, {}, visit(1, "/pricing"))
    apply_interaction("m", 1, m, state, {}, visit(2, "/pricing"))
    first = settle("m", m, state, T0)
    assert [type(e) for e in first] == [ScoreChanged, LeadQualified]
    apply_interaction("m", 1, m, state, {}, visit(3, "/pricing"))
    assert [type(e) for e in settle("m", m, state, T0)] == [ScoreChanged]
    apply_interaction("m", 1, m, state, {}, Interaction("u", T0, "email_unsubscribed", "u"))
    assert [type(e) for e in settle("m", m, state, T0)] == [ScoreChanged, LeadDisqualified]
    assert settle("m", m, state, T0) == []


def test_a_regrade_at_the_same_score_is_announced_and_nothing_else_is() -> None:
    m = model()
    state = ScoreState(grade="C")
    apply_interaction("m", 1, m, state, {}, visit(1, "/pricing"))
    assert [type(e) for e in settle("m", m, state, T0)] == [ScoreChanged]
    assert settle("m", m, state, T0) == []  # nothing moved: nothing announced
    state.grade = "A"  # the contact's fit changed: same score, a new grade
    [regraded] = settle("m", m, state, T0)
    assert isinstance(regraded, ScoreChanged) and regraded.grade == "A"
    assert regraded.score == regraded.previous_score
    assert settle("m", m, state, T0) == []


def test_grade_below_the_minimum_blocks_qualification() -> None:
    m = model()
    state = ScoreState(grade="D")
    for i in range(3):
        apply_interaction("m", 1, m, state, {}, visit(i, "/pricing"))
    assert [type(e) for e in settle("m", m, state, T0)] == [ScoreChanged]


def test_replay_equals_live_scoring() -> None:
    m = model(decay={"type": "half_life", "days": 7})
    history = [visit(i, "/pricing" if i % 3 else "/docs", days=i / 2) for i in range(12)]
    live, live_entries = run(m, history)
    replayed, entries, _ = replay("m", 1, m, list(reversed(history)), {"title": "VP"})
    assert [e.key() for e in entries] == [e.key() for e in live_entries]
    now = T0 + timedelta(days=9)
    assert score_at(replayed, m.decay, now) == pytest.approx(score_at(live, m.decay, now))
    assert replayed.grade == "C"  # 25 fit points: C needs 20, B 40


def test_replay_grades_from_the_profile() -> None:
    m = model()
    state, _, _ = replay("m", 1, m, [], {"title": "VP", "company_size": 10})
    assert (state.fit, state.grade) == (25, "C")


@pytest.mark.parametrize(
    "bad",
    [
        {"rules": [{"id": "x", "name": "x", "points": 5}]},
        {"rules": [{"id": "x", "name": "x", "interaction_type": "page_visit", "points": 0}]},
        {"rules": [{"id": "Bad Id", "name": "x", "interaction_type": "page_visit", "points": 1}]},
        {
            "rules": [
                {"id": "x", "name": "x", "interaction_type": "page_visit", "points": 1},
                {"id": "x", "name": "y", "interaction_type": "purchase", "points": 1},
            ]
        },
        {
            "rules": [
                {
                    "id": "x",
                    "name": "x",
                    "interaction_type": "page_visit",
                    "points": 1,
                    "conditions": [{"field": "amount", "op": "gte", "value": "lots"}],
                }
            ]
        },
        {"decay": {"type": "half_life"}},
        {"decay": {"type": "inactivity", "days": 3}},
        {"grade_bands": {"A": 10, "B": 50}},
        {"rules": [{"id": "x", "name": "x", "interaction_type": "teleport", "points": 1}]},
    ],
)
def test_invalid_models_are_refused(bad: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValidationError):
        model(**bad)


def test_the_default_model_is_valid_and_scores_a_pricing_visit() -> None:
    _, entries = run(DEFAULT_MODEL, [visit(1, "/pricing")])
    assert {e.rule_id for e in entries} == {"visit", "pricing"}


@pytest.mark.parametrize(
    ("title", "size", "grade"),
    [
        ("CTO", 80, "A"),  # c-suite 30 + 50+ 20 + company 10
        ("Founder", 5, "B"),
        ("Head of Sales", 800, "A"),  # head of 20 + 50+ 20 + 500+ 10 + company 10
        ("Marketing Manager", 20, "C"),
        ("Analyst", 20, "D"),
    ],
)
def test_the_default_fit_rules_know_common_titles(title: str, size: int, grade: str) -> None:
    """2,967 of 3,057 demo contacts were grade D: "CTO" did not start with "chief" and
    nothing scored a head of team or a manager."""
    from lodestone_scoring.domain.defaults import DEFAULT_MODEL
    from lodestone_scoring.domain.ledger import fit_points, grade_for

    fit, _ = fit_points(DEFAULT_MODEL, {"title": title, "company": "Acme", "company_size": size})
    assert grade_for(DEFAULT_MODEL, fit) == grade

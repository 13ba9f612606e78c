"""The projection and the reports in plain Python: exact numbers on a known history, and the
same result whatever order the topics are interleaved in."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import pytest

from lodestone_common.consumer import EnvelopeEvent
from lodestone_common.events import parse_payload
from lodestone_reporting.domain import buying as buying_report
from lodestone_reporting.domain import reports
from lodestone_reporting.domain.counters import NOW, Key, histogram_median
from lodestone_reporting.domain.projector import State, project

from .history import EXPECTED_NOW, EXPECTED_REACHED, history

TAG = "unit"
AT = datetime(2026, 11, 20, 12, tzinfo=UTC)  # one clock for every projection compared


def events(order: list[tuple[str, Any]]) -> list[EnvelopeEvent]:
    return [EnvelopeEvent(env, parse_payload(env)) for _, env in order]


def run(batches: list[list[EnvelopeEvent]]) -> tuple[dict[Key, int], State]:
    """Project batch by batch, carrying state over like the database would."""
    totals: dict[Key, int] = defaultdict(int)
    state = State()
    for batch in batches:
        state.deltas = State().deltas
        project(state, batch)
        for key, n in state.deltas.nonzero().items():
            totals[key] += n
    return {k: v for k, v in totals.items() if v}, state


def rows(totals: dict[Key, int], metric: str, rollup: str = "base") -> list[dict[str, Any]]:
    return [
        {"d": k.day, "k": dict(k.dims), "v": v}
        for k, v in totals.items()
        if k.metric == metric and k.rollup == rollup
    ]


@pytest.fixture(scope="module")
def projected() -> tuple[dict[Key, int], State]:
    return run([events(history(TAG, AT))])


def test_funnel_counts_each_contact_once_per_stage_reached(projected) -> None:  # type: ignore[no-untyped-def]
    totals, _ = projected
    reached = rows(totals, "reached", "source")
    now = rows(totals, "stage_now", "source")
    funnel = reports.funnel(reached, now, rows(totals, "stage_time", "source"), "day")
    assert {s["stage"]: s["reached"] for s in funnel["stages"]} == EXPECTED_REACHED
    assert {s["stage"]: s["now"] for s in funnel["stages"] + funnel["exits"] if s["now"]} == (
        EXPECTED_NOW
    )
    subscriber = funnel["stages"][0]
    assert subscriber["conversion_to_next"] == pytest.approx(3 / 5)
    # c1 spent 2 days as subscriber, c3 2 days: the histogram median is within 10%.
    assert subscriber["median_days_in_stage"] == pytest.approx(2, rel=0.1)
    assert funnel["overall_conversion"] == pytest.approx(1 / 5)


def test_merged_and_erased_contacts_leave_the_now_counters_and_erased_loses_pii(
    projected,  # type: ignore[no-untyped-def]
) -> None:
    totals, state = projected
    owners = reports.by(rows(totals, "stage_now", "owner"), "owner")
    assert owners == {f"r1-{TAG}": 1, f"r2-{TAG}": 1}  # c5 (r1) erased
    erased = state.views[f"c5-{TAG}"]["c"]
    assert erased["dead"] == "erased"
    assert not {"name", "email", "company"} & set(erased)
    assert state.views[f"c4-{TAG}"]["c"]["dead"] == "merged"
    bands = reports.by(rows(totals, "band_now"), "band")
    assert bands == {"hot": 1, "warm": 1}  # c4's cold score left with the merge
    assert state.scores[(f"m-{TAG}", f"c2-{TAG}")]["score"] == 55  # the late older verdict lost
    # Scores and tasks also write the contact's view, so a concurrent merge/erase of the same
    # contact conflicts in the database instead of both transactions missing each other.
    assert f"m-{TAG}" in state.views[f"c1-{TAG}"]["s"]
    assert state.views[f"c1-{TAG}"]["t"] == {f"t1-{TAG}": "done"}


def test_purchases_leaderboard_and_workflows(projected) -> None:  # type: ignore[no-untyped-def]
    totals, state = projected
    buying = buying_report.purchases(
        rows(totals, "revenue"),
        rows(totals, "purchases"),
        rows(totals, "buyers"),
        rows(totals, "repeat_buyers"),
        rows(totals, "products"),
        "month",
        names=state.product_names,
    )
    assert buying["revenue"] == {"USD": 120.5}
    # Products counted in the same scopes as the rest (owner, source, segment): a report
    # filtered to another owner showed 0 orders and every product.
    by_owner = rows(totals, "products", "owner")
    assert by_owner and {r["k"]["owner"] for r in by_owner} == {f"r1-{TAG}"}
    assert buying["orders"] == 2
    assert buying["repeat_purchase_rate"] == 1.0
    (top,) = buying["top_products"]
    trend = top.pop("trend")
    assert top == {
        "product": f"w-{TAG}",
        "name": "Widget",
        "units": 2,
        "revenue": {"USD": 100.5},
        "margin": None,
        "change": top["change"],
    }
    # The trend accounts for every unit and cent, period by period.
    assert sum(p["units"] for p in trend) == 2
    assert round(sum(p["revenue"].get("USD", 0) for p in trend), 2) == 100.5
    overdue = {f"r2-{TAG}": 1}
    goals = [
        {"owner": f"r1-{TAG}", "month": "x", "targets": {"conversions": 2}},
        {"owner": f"r1-{TAG}", "month": "y", "targets": {"revenue": 241}, "currency": "USD"},
        # Phantoms: a rep who left, and someone who never was one.
        {"owner": f"r3-{TAG}", "month": "x", "targets": {"calls": 5}},
        {"owner": "anyone", "month": "x", "targets": {"calls": 5}},
    ]
    board = reports.leaderboard(
        owned=rows(totals, "stage_now", "owner"),
        tasks=rows(totals, "tasks", "owner"),
        touches=rows(totals, "interactions", "owner"),
        reached=rows(totals, "reached", "owner"),
        response=rows(totals, "response", "owner"),
        overdue=overdue,
        goals=goals,
        revenue=rows(totals, "revenue", "owner"),
        reps=state.reps,
    )
    first, second = board  # no row for r3 (removed) nor "anyone" (no rep)
    assert first["name"] == f"Ana {TAG}"
    assert first["owner"] == f"r1-{TAG}"
    assert (first["leads_owned"], first["calls"], first["conversions"]) == (1, 1, 1)
    assert (first["tasks_created"], first["tasks_done"], first["tasks_overdue"]) == (1, 1, 0)
    assert first["response_median_hours"] == pytest.approx(6, rel=0.1)
    assert first["goals"]["conversions"] == {
        "target": 2,
        "currency": None,
        "actual": 1,
        "attainment": 0.5,
    }
    # Revenue per currency, never one sum of several (INR 50,000 + USD 1,230 read 51,230);
    # a revenue goal is measured in its own currency.
    r1_revenue = reports.leaderboard(
        owned=[],
        tasks=[],
        touches=[],
        reached=[],
        response=[],
        overdue={},
        goals=[{"owner": "r1", "month": "y", "targets": {"revenue": 2460}, "currency": "USD"}],
        revenue=[
            {"d": "x", "k": {"owner": "r1", "currency": "USD"}, "v": 123_000},
            {"d": "x", "k": {"owner": "r1", "currency": "INR"}, "v": 5_000_000},
        ],
        reps={"r1": {"name": "Ana"}},
    )[0]
    assert r1_revenue["revenue"] == {"INR": 50_000.0, "USD": 1_230.0}
    assert r1_revenue["goals"]["revenue"] == {
        "target": 2460,
        "currency": "USD",
        "actual": 1230.0,
        "attainment": 0.5,
    }
    assert (second["owner"], second["tasks_overdue"], second["leads_owned"]) == (
        f"r2-{TAG}",
        1,
        1,
    )
    (workflow,) = reports.workflows(rows(totals, "workflow"), {})
    assert (workflow["enrolled"], workflow["emails_sent"], workflow["opened"]) == (2, 1, 1)
    # Rates of people: two opens and four clicks by one recipient are one opener and one
    # clicker (the click rate was 400%); the clicks themselves are kept.
    assert (workflow["clicked"], workflow["clicks"], workflow["click_rate"]) == (1, 4, 1.0)
    assert workflow["webhooks_delivered"] == 1  # automation says "webhook", not "call_webhook"
    assert workflow["goal_conversion"] == 0.5
    assert state.workflow_names == {f"wf-{TAG}": f"Nurture {TAG}"}


@pytest.mark.parametrize("seed", range(8))
def test_any_interleaving_of_topics_gives_the_same_counters(seed: int, projected) -> None:  # type: ignore[no-untyped-def]
    """Live consumers and a replay see topics interleaved differently; within one contact's
    partition the order holds. The result must not depend on the interleaving."""
    rng = random.Random(seed)
    queues: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for topic, env in history(TAG, AT):
        queues[(topic, env.contact_id)].append((topic, env))
    order = []
    while queues:
        key = rng.choice(sorted(queues))
        order.append(queues[key].pop(0))
        if not queues[key]:
            del queues[key]
    shuffled = events(order)
    cuts = sorted(rng.sample(range(1, len(shuffled)), 4))
    batches = [shuffled[a:b] for a, b in zip([0, *cuts], [*cuts, len(shuffled)], strict=True)]
    totals, state = run(batches)
    expected_totals, expected_state = projected
    assert totals == expected_totals

    def live(scores: dict[Any, Any]) -> dict[Any, Any]:
        return {k: v for k, v in scores.items() if not v.get("deleted")}

    assert live(state.scores) == live(expected_state.scores)


def test_median_of_a_duration_histogram() -> None:
    assert histogram_median({}) is None
    from lodestone_reporting.domain.counters import duration_bucket

    samples = [60, 120, 3600, 7200, 86400]
    counts: dict[str, int] = defaultdict(int)
    for s in samples:
        counts[duration_bucket(s)] += 1
    assert histogram_median(counts) == pytest.approx(3600, rel=0.1)


def test_periods_and_now_counters() -> None:
    assert reports.period_of("2026-11-25", "week") == "2026-11-23"
    assert reports.period_of("2026-11-25", "month") == "2026-11"
    assert NOW == ""
    assert datetime(2026, 1, 1, tzinfo=UTC).date().isoformat() == "2026-01-01"


def test_a_purchase_beyond_any_real_one_is_clamped_not_a_counter_the_database_refuses() -> None:
    from lodestone_common.events import InteractionRecorded
    from lodestone_common.topics import INTERACTIONS
    from lodestone_reporting.domain.activity_events import MAX_CENTS, MAX_UNITS

    item = {"sku": "x", "name": "X", "price": 1e300, "quantity": 10**30}
    payload = InteractionRecorded(
        interaction_type="purchase",
        name="Order Completed",
        properties={"amount": float("inf"), "currency": "USD", "items": [item]},
    )
    envelope = payload.envelope(contact_id="c1", producer="contacts", occurred_at=AT)
    totals, _ = run([events([(INTERACTIONS, envelope)])])
    assert all(abs(v) < 2**63 for v in totals.values())
    products = {r["k"]["what"]: r["v"] for r in rows(totals, "products")}
    assert products == {"units": MAX_UNITS, "USD": MAX_CENTS}
    assert rows(totals, "revenue") == []  # an infinite amount is no amount

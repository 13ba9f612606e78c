"""Reporting against the real broker and database: a known event history gives exact
reports, a redelivery changes nothing, and a rebuild from the topics gives the same models."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from lodestone_common.kafka import make_broker, outgoing, publish_all
from lodestone_common.settings import ServiceSettings
from lodestone_reporting.api.answers import Commissions, Funnel, Leaderboard, Purchases
from lodestone_reporting.rebuild import busy_groups, group, rebuild
from lodestone_reporting.settings import ReportingSettings

from .history import EXPECTED_NOW, EXPECTED_REACHED, history


async def publish(bootstrap: str, messages: list[Any]) -> None:
    producer = make_broker(ServiceSettings(kafka_bootstrap=bootstrap, api_key="k"))
    await producer.connect()
    try:
        await publish_all(producer, [outgoing(topic, env) for topic, env in messages])
    finally:
        await producer.stop()


async def reports_of(http: Any, tag: str) -> dict[str, Any]:
    """The reports this history shows in (each must answer 200)."""
    source, owner = f"src-{tag}", f"r1-{tag}"
    wide = {"start": (datetime.now(UTC) - timedelta(days=400)).date().isoformat()}
    answers = {
        "funnel": (await http.get("/v1/reports/funnel", params={**wide, "source": source})).json(),
        "interactions": (
            await http.get("/v1/reports/interactions", params={**wide, "owner": owner})
        ).json(),
        "sources": (
            await http.get("/v1/reports/sources", params={**wide, "source": source})
        ).json(),
        "scores": (await http.get("/v1/reports/scores", params={"model": f"m-{tag}"})).json(),
        "leaderboard": (
            await http.get("/v1/reports/leaderboard", params={**wide, "owner": owner})
        ).json(),
        "workflows": (
            await http.get("/v1/reports/workflows", params={**wide, "workflow_id": f"wf-{tag}"})
        ).json(),
        "purchases": (
            await http.get("/v1/reports/purchases", params={**wide, "source": source})
        ).json(),
    }
    # What OpenAPI (and so the console's generated client) says they answer, field for field.
    Funnel.model_validate(answers["funnel"])
    Leaderboard.model_validate(answers["leaderboard"])
    Purchases.model_validate(answers["purchases"])
    return answers


async def test_reports_are_exact_idempotent_and_rebuildable(
    services, mongo, eventually, settled
) -> None:  # type: ignore[no-untyped-def]
    tag = uuid4().hex[:8]
    stack = services.stack
    settings = ReportingSettings(
        kafka_bootstrap=stack.kafka_bootstrap, mongo_url=stack.mongo_url, api_key="k"
    )
    messages = history(tag)
    await publish(stack.kafka_bootstrap, messages)
    async with services.client("reporting") as http:

        async def goal_set() -> bool:  # once reporting has read automation's rep events
            goal = await http.put(f"/v1/goals/r1-{tag}/2026-11", json={"conversions": 2})
            return goal.status_code == 200

        await eventually(goal_set, timeout=60)
        # Phantom owners: someone who is no rep, a rep who was removed.
        for owner in (f"nobody-{tag}", f"r3-{tag}"):
            phantom = await http.put(f"/v1/goals/{owner}/2026-11", json={"calls": 5})
            assert phantom.status_code == 404, phantom.text
        no_currency = await http.put(f"/v1/goals/r1-{tag}/2026-10", json={"revenue": 5000})
        assert no_currency.status_code == 422 and "currency" in no_currency.text
        dropped = await http.put(f"/v1/goals/r1-{tag}/2026-10", json={"calls": 1})
        assert dropped.status_code == 200
        assert (await http.delete(f"/v1/goals/r1-{tag}/2026-10")).status_code == 204
        assert (await http.delete(f"/v1/goals/r1-{tag}/2026-10")).status_code == 404

        # Every reporting group has committed past the history, so all its effects are in.
        await settled([group(settings)])
        first = await reports_of(http, tag)
        reached = {s["stage"]: s["reached"] for s in first["funnel"]["stages"]}
        assert reached == EXPECTED_REACHED
        assert first["scores"]["contacts_scored"] == 2
        assert first["workflows"]["workflows"][0]["goal_reached"] == 1
        assert first["leaderboard"]["reps"][0]["tasks_done"] == 1
        assert first["purchases"]["orders"] == 2
        funnel = first["funnel"]
        now = {s["stage"]: s["now"] for s in funnel["stages"] + funnel["exits"] if s["now"]}
        assert now == EXPECTED_NOW
        assert funnel["stages"][0]["conversion_to_next"] == 0.6
        assert first["interactions"]["by_type"] == {
            "call_logged": 1,
            "email_opened": 2,
            "email_clicked": 4,  # interactions count events; workflows count people
            "page_visit": 3,
            "purchase": 2,
        }
        (wf,) = first["workflows"]["workflows"]
        assert (wf["opened"], wf["clicked"], wf["clicks"], wf["click_rate"]) == (1, 1, 4, 1.0)
        (source,) = first["sources"]["sources"]
        assert (source["contacts"], source["customers"], source["conversion"]) == (5, 1, 0.2)
        assert source["revenue"] == {"USD": 120.5}
        scores = first["scores"]
        assert scores["bands"] == {"hot": 1, "warm": 1}
        assert [(t["name"], t["score"]) for t in scores["top"]] == [
            ("Ada Test", 80.0),
            ("Ben Test", 55.0),
        ]
        (rep,) = first["leaderboard"]["reps"]
        assert (rep["leads_owned"], rep["calls"], rep["conversions"]) == (1, 1, 1)
        assert rep["goals"]["conversions"]["attainment"] == 0.5
        (workflow,) = first["workflows"]["workflows"]
        assert workflow["name"] == f"Nurture {tag}"
        assert (workflow["enrolled"], workflow["emails_sent"], workflow["opened"]) == (2, 1, 1)
        assert first["purchases"]["top_products"][0]["units"] == 2

        board = await http.get("/v1/reports/leaderboard")
        overdue = {r["owner"]: r["tasks_overdue"] for r in board.json()["reps"]}
        assert overdue[f"r2-{tag}"] == 1
        # Each rep against their team: Ana's customer puts her first of two.
        row = next(r for r in board.json()["reps"] if r["owner"] == f"r1-{tag}")
        assert (row["team"], row["rank"], row["team_size"]) == (f"east-{tag}", 1, 2)
        assert row["team_median"]["conversions"] == 0.5

        table = await http.get(
            "/v1/reports/funnel", params={"source": f"src-{tag}", "format": "csv"}
        )
        assert table.headers["content-type"].startswith("text/csv")
        lines = list(csv.DictReader(io.StringIO(table.text)))
        assert {r["stage"]: r["now"] for r in lines}["customer"] == "1"
        # Top products follow the filter like the rest; an empty CSV still has its header.
        wide = (datetime.now(UTC) - timedelta(days=400)).date().isoformat()
        nobody = {"start": wide, "owner": f"nobody-{tag}"}
        buying = (await http.get("/v1/reports/purchases", params=nobody)).json()
        assert (buying["orders"], buying["top_products"]) == (0, [])
        mine = {"start": wide, "owner": f"r1-{tag}"}
        (product,) = (await http.get("/v1/reports/purchases", params=mine)).json()["top_products"]
        assert (product["product"], product["name"]) == (f"w-{tag}", "Widget")
        # Its trend: a point per week of the 400 days, quiet weeks as zeros, every unit in one.
        weekly = {**mine, "interval": "week"}
        (product,) = (await http.get("/v1/reports/purchases", params=weekly)).json()["top_products"]
        assert len(product["trend"]) >= 57 and sum(p["units"] for p in product["trend"]) == 2
        assert product["trend"][-1]["period"] <= datetime.now(UTC).date().isoformat()
        empty = await http.get("/v1/reports/purchases", params={**nobody, "format": "csv"})
        assert empty.text.splitlines() == ["period"]

        # The same events again: nothing moves.
        await publish(stack.kafka_bootstrap, messages)
        await settled([group(settings)])
        assert await reports_of(http, tag) == first

        # Then (not to change what was compared above) the catalog and commission plans.
        # The catalog's cost gives the widget its margin; the team's plan pays Ana 10 % on
        # gadgets and 50 EUR per customer.
        wide_r1 = {"start": (datetime.now(UTC) - timedelta(days=400)).date().isoformat()}
        widget = {"name": "Widget", "category": f"gadgets-{tag}", "cost": 20, "currency": "USD"}
        assert (await http.put(f"/v1/products/w-{tag}", json=widget)).status_code == 200
        no_currency = await http.put(f"/v1/products/x-{tag}", json={"name": "X", "cost": 1})
        assert no_currency.status_code == 422, no_currency.text
        plan = {
            "name": "East",
            "teams": [f"east-{tag}"],
            "currency": "EUR",
            "effective_from": "2020-01-01",
            "default_rate": 0.01,
            "rates": [{"category": f"gadgets-{tag}", "rate": 0.1}],
            "stage_bonuses": [{"stage": "customer", "amount": 50}],
        }
        assert (await http.put(f"/v1/commission-plans/east-{tag}", json=plan)).status_code == 200
        for wrong in (
            {**plan, "rates": [{"category": "x", "rate": 2}]},  # 200 %
            {**plan, "teams": []},  # pays nobody
            {**plan, "effective_to": "2019-12-31"},  # ends before it starts
            {**plan, "stage_bonuses": [{"stage": "champion", "amount": 5}]},
        ):
            refused = await http.put(f"/v1/commission-plans/wrong-{tag}", json=wrong)
            assert refused.status_code == 422, refused.text
        paid = (
            await http.get("/v1/reports/commissions", params={**wide_r1, "owner": f"r1-{tag}"})
        ).json()
        Commissions.model_validate(paid)
        (ana,) = paid["reps"]
        (usd,) = ana["currencies"]
        # 10 % of the widgets (100.50) and the default 1 % of an order without items (20).
        assert (usd["currency"], usd["revenue"], usd["commission"]) == ("USD", 120.5, 10.25)
        lines = {p["product"]: p for p in usd["products"]}
        assert (lines[f"w-{tag}"]["category"], lines[f"w-{tag}"]["rate"]) == (f"gadgets-{tag}", 0.1)
        assert (lines[""]["revenue"], lines[""]["commission"]) == (20.0, 0.2)
        assert ana["bonuses"] == [
            {"stage": "customer", "reached": 1, "currency": "EUR", "amount": 50.0}
        ]
        assert (ana["total"], ana["plans"]) == ({"EUR": 50.0, "USD": 10.25}, [f"east-{tag}"])
        bought = (
            await http.get("/v1/reports/purchases", params={**wide_r1, "owner": f"r1-{tag}"})
        ).json()
        (best,) = bought["most_profitable"]
        assert (best["product"], best["cost"], best["margin"]) == (f"w-{tag}", 40.0, 60.5)
        assert bought["top_products"][0]["margin"]["margin_rate"] == round(60.5 / 100.5, 4)

    # A rebuild from the topics into a fresh database ends in the same read models.
    assert await busy_groups(settings), "the live consumers are members of their groups"
    rebuilt_db = f"lodestone_reporting_rebuilt_{tag}"
    lines: list[str] = []
    totals = await rebuild(settings, database=rebuilt_db, progress=lines.append)
    assert totals["projected"] >= len(messages) and "100%" in lines[-1]
    await settled([group(settings)])

    async def models(db: Any) -> dict[str, Any]:
        counters = {
            d["_id"]: d["v"] async for d in db.counters.find({"_id": {"$regex": tag}}) if d["v"]
        }
        views = {d["_id"]: d.get("c") async for d in db.views.find({"_id": {"$regex": tag}})}
        scores = {d["_id"]: d async for d in db.scores.find({"model": f"m-{tag}"})}
        return {"counters": counters, "views": views, "scores": scores}

    live = await models(mongo["lodestone_reporting"])
    again = await models(mongo[rebuilt_db])
    differ = {
        k: (live["counters"].get(k), again["counters"].get(k))
        for k in {*live["counters"], *again["counters"]}
        if live["counters"].get(k) != again["counters"].get(k)
    }
    assert live["counters"] and not differ, differ
    assert live == again
    await mongo.drop_database(rebuilt_db)


async def test_report_queries_refuse_bad_input_clearly(services) -> None:  # type: ignore[no-untyped-def]
    async with services.client("reporting") as http:
        both = await http.get("/v1/reports/funnel", params={"owner": "a", "source": "b"})
        assert both.status_code == 422 and "one of owner" in both.text
        backwards = await http.get(
            "/v1/reports/interactions", params={"start": "2026-02-01", "end": "2026-01-01"}
        )
        assert backwards.status_code == 422 and "start is after end" in backwards.text
        bad_filter = await http.get("/v1/reports/scores", params={"owner": "a"})
        assert bad_filter.status_code == 422
        bad_goal = await http.put("/v1/goals/ann/2026-13", json={"conversions": 1})
        assert bad_goal.status_code == 422
        unknown_goal = await http.put("/v1/goals/ann/2026-12", json={"calories": 1})
        assert unknown_goal.status_code == 422
    async with services.client("reporting", key=None) as anonymous:
        assert (await anonymous.get("/v1/reports/funnel")).status_code == 401
        page = await anonymous.get("/")
        assert page.status_code == 200 and "chart.umd.min.js" in page.text
        library = await anonymous.get("/static/vendor/chart.umd.min.js")
        assert library.status_code == 200 and len(library.content) > 100_000

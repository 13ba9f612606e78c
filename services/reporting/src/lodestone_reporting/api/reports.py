"""`/v1/reports/...`: every report as JSON, or as CSV with `?format=csv`."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import Response

from lodestone_common.auth import ApiKey, Scope
from lodestone_common.envelope import utcnow

from ..domain import buying, reports
from ..domain.reports import Interval
from .answers import Funnel, Leaderboard, Purchases, documented
from .deps import ReadModelsDep

router = APIRouter(prefix="/v1/reports", tags=["reports"])
MAX_DAYS = 3 * 366


class Period:
    """The common query: a period of days, an interval for series, at most one filter."""

    def __init__(
        self,
        start: date | None = Query(None, description="first day (UTC), default 30 days ago"),
        end: date | None = Query(None, description="last day (UTC), default today"),
        interval: Interval = Query("day", description="series granularity"),
        owner: str | None = Query(None, max_length=100, description="only this owner's"),
        source: str | None = Query(None, max_length=100, description="only this lead source"),
        segment: str | None = Query(None, max_length=100, description="only this segment"),
        format: Literal["json", "csv"] = Query("json", description="csv: the report's table"),
    ) -> None:
        today = utcnow().date()
        self.end = end or today
        self.start = start or self.end - timedelta(days=29)
        if self.start > self.end:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "start is after end")
        if (self.end - self.start).days > MAX_DAYS:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_ENTITY, f"a period spans at most {MAX_DAYS} days"
            )
        self.interval = interval
        self.format = format
        given = {k: v for k, v in (("owner", owner), ("source", source), ("segment", segment)) if v}
        if len(given) > 1:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_ENTITY,
                f"filter by one of owner, source or segment at a time (got {sorted(given)})",
            )
        self.filter = next(iter(given.items()), None)

    def scope(self, allowed: tuple[str, ...] = ("owner", "source", "segment")) -> dict[str, Any]:
        """The counter rollup this period's filter reads."""
        if self.filter is None:
            return {"rollup": "base", "match": {}}
        name, value = self.filter
        if name not in allowed:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_ENTITY,
                f"this report can be filtered by {', '.join(allowed) or 'period only'}",
            )
        return {"rollup": name, "match": {name: value}}

    def days(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}

    def echo(self) -> dict[str, Any]:
        return {
            **self.days(),
            "interval": self.interval,
            "filter": dict([self.filter]) if self.filter else {},
        }


# A text cell a spreadsheet would run as a formula (OWASP's CSV injection list).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """A cell as a spreadsheet shows it, never as a formula it runs: text that starts like one
    gets a leading apostrophe (numbers, negative ones too, stay numbers)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


# The first columns of each report's CSV: its header even when no row matches.
HEADERS = {
    "funnel": ["stage", "reached", "now"],
    "interactions": ["period"],
    "sources": ["source", "contacts", "customers", "conversion"],
    "top-prospects": ["contact_id", "score", "grade", "band"],
    "leaderboard": ["owner", "name", "leads_owned", "calls", "meetings", "conversions"],
    "workflows": ["workflow_id", "name", *reports.WORKFLOW_COLUMNS.values()],
    "purchases": ["period"],
    "contacts": ["period", "count"],
    "commissions": ["owner", "name", "team"],
}


def answer(period: Period, body: dict[str, Any], table: list[dict[str, Any]], name: str) -> Any:
    if period.format == "json":
        return {"period": period.echo(), **body}
    out = io.StringIO()
    columns: list[str] = list(dict.fromkeys(HEADERS[name]))
    flat = [_flatten(row) for row in table]
    for row in flat:
        columns += [c for c in row if c not in columns]
    writer = csv.DictWriter(out, columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows([{c: _cell(v) for c, v in row.items()} for row in flat])
    return Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def _flatten(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


READ = Scope("reports:read")


@router.get(
    "/funnel",
    summary="Contacts per lifecycle stage, conversion and time in stage",
    responses=documented(Funnel),
)
async def funnel(models: ReadModelsDep, period: Period = Depends(), key: ApiKey = READ) -> Any:
    scope = period.scope()
    reached = await models.counters.rows("reached", **period.days(), **scope)
    now = await models.counters.rows("stage_now", now=True, **scope)
    spent = await models.counters.rows("stage_time", **period.days(), **scope)
    body = reports.funnel(reached, now, spent, period.interval)
    return answer(period, body, body["stages"] + body["exits"], "funnel")


@router.get("/interactions", summary="Interactions over time by type and channel")
async def interactions(
    models: ReadModelsDep, period: Period = Depends(), key: ApiKey = READ
) -> Any:
    rows = await models.counters.rows("interactions", **period.days(), **period.scope())
    body = reports.interactions(rows, period.interval)
    return answer(period, body, body["series"], "interactions")


@router.get("/sources", summary="Lead sources and their conversion")
async def sources(models: ReadModelsDep, period: Period = Depends(), key: ApiKey = READ) -> Any:
    period.scope(("source",))
    match = {"match": {"source": period.filter[1]}} if period.filter else {}
    created = await models.counters.rows("created", **period.days(), rollup="source", **match)
    reached = await models.counters.rows("reached", **period.days(), rollup="source", **match)
    revenue = await models.counters.rows("revenue", **period.days(), rollup="source", **match)
    table = reports.sources(created, reached, revenue)
    return answer(period, {"sources": table}, table, "sources")


@router.get("/scores", summary="Score and grade distribution now, and the top prospects")
async def scores(
    models: ReadModelsDep,
    model: str = Query("default", max_length=100),
    top: int = Query(10, ge=1, le=100),
    period: Period = Depends(),
    key: ApiKey = READ,
) -> Any:
    period.scope(())
    bands = await models.counters.rows("band_now", now=True, match={"model": model})
    grades = await models.counters.rows("grade_now", now=True, match={"model": model})
    buckets = await models.counters.rows("score_now", now=True, match={"model": model})
    rows = await models.views.top_scores(model, reports.min_score_for(buckets, top), top)
    views = await models.views.of([r["contact_id"] for r in rows])
    best = []
    for r in rows:
        who = views.get(r["contact_id"], {}).get("c") or {}
        best.append(
            {
                "contact_id": r["contact_id"],
                **{field: who.get(field) for field in ("name", "email", "company", "owner")},
                "score": r["score"],
                "grade": r.get("grade"),
                "band": r.get("band"),
            }
        )
    body = {"model": model, **reports.scores(bands, grades, buckets, best)}
    return answer(period, body, best, "top-prospects")


@router.get(
    "/leaderboard",
    summary="Reps compared: leads, tasks, calls, conversions, goals",
    responses=documented(Leaderboard),
)
async def leaderboard(models: ReadModelsDep, period: Period = Depends(), key: ApiKey = READ) -> Any:
    period.scope(("owner",))
    match = {"match": {"owner": period.filter[1]}} if period.filter else {}
    days, owner = period.days(), {"rollup": "owner", **match}
    table = reports.leaderboard(
        owned=await models.counters.rows("stage_now", now=True, **owner),
        tasks=await models.counters.rows("tasks", **days, **owner),
        touches=await models.counters.rows("interactions", **days, **owner),
        reached=await models.counters.rows("reached", **days, **owner),
        response=await models.counters.rows("response", **days, **owner),
        overdue=await models.tasks.overdue_by_owner(utcnow()),
        goals=await models.goals.of_months(_months(period)),
        revenue=await models.counters.rows("revenue", **days, **owner),
        reps=await models.reps.all(),
    )
    if period.filter:
        table = [r for r in table if r["owner"] == period.filter[1]]
    return answer(period, {"reps": table}, table, "leaderboard")


def _months(period: Period) -> list[str]:
    months, day = [], period.start.replace(day=1)
    while day <= period.end:
        months.append(day.isoformat()[:7])
        day = (day + timedelta(days=32)).replace(day=1)
    return months


@router.get("/workflows", summary="Workflow performance: enrollments, emails, goals")
async def workflows(
    models: ReadModelsDep,
    workflow_id: str | None = Query(None, max_length=100),
    period: Period = Depends(),
    key: ApiKey = READ,
) -> Any:
    period.scope(())
    match = {"workflow": workflow_id} if workflow_id else {}
    rows = await models.counters.rows("workflow", **period.days(), match=match)
    table = reports.workflows(rows, await models.workflows.names())
    return answer(period, {"workflows": table}, table, "workflows")


@router.get(
    "/purchases",
    summary="Buying trends: revenue, orders, top products with their trend and margin",
    responses=documented(Purchases),
)
async def purchases(models: ReadModelsDep, period: Period = Depends(), key: ApiKey = READ) -> Any:
    scope, days = period.scope(), period.days()
    body = buying.purchases(
        revenue=await models.counters.rows("revenue", **days, **scope),
        orders=await models.counters.rows("purchases", **days, **scope),
        buyers=await models.counters.rows("buyers", **days, **scope),
        repeat=await models.counters.rows("repeat_buyers", **days, **scope),
        products=await models.counters.rows("products", **days, **scope),
        interval=period.interval,
        names=await models.products.names(),
        catalog=await models.catalog.by_id(),
        span=(period.start, period.end),
    )
    return answer(period, body, body["series"], "purchases")


@router.get("/contacts", summary="Contacts created per day and lead source")
async def contacts(models: ReadModelsDep, period: Period = Depends(), key: ApiKey = READ) -> Any:
    scope = period.scope(("owner", "source"))
    rows = await models.counters.rows("created", **period.days(), **scope)
    sources = await models.counters.rows("created", **period.days(), rollup="source")
    body = {
        "total": reports.total(rows),
        "by_day": {r["period"]: r["count"] for r in reports.series(rows, None, "day")},
        "by_source": reports.by(sources, "source") if not period.filter else None,
    }
    return answer(period, body, reports.series(rows, None, period.interval), "contacts")

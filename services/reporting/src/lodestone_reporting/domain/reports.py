"""Reports assembled from counter documents (`{"d": day, "k": dims, "v": n}`), no I/O."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any, Literal

from lodestone_common.events import EXITS, FUNNEL

from .counters import histogram_median
from .teams import with_team

Interval = Literal["day", "week", "month"]
Rows = list[dict[str, Any]]
DAY = 86_400.0


def period_of(day: str, interval: Interval) -> str:
    """The label of the day's period: the day, its ISO week's Monday, or its month."""
    if interval == "day":
        return day
    if interval == "month":
        return day[:7]
    d = date.fromisoformat(day)
    return (d - timedelta(days=d.weekday())).isoformat()


def total(rows: Iterable[dict[str, Any]], **match: str) -> int:
    return sum(r["v"] for r in rows if all(r["k"].get(k) == v for k, v in match.items()))


def by(rows: Iterable[dict[str, Any]], dim: str, **match: str) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for r in rows:
        if all(r["k"].get(k) == v for k, v in match.items()):
            out[r["k"].get(dim, "")] += r["v"]
    return {k: v for k, v in out.items() if v}  # "now" counters that went back to zero


def series(
    rows: Iterable[dict[str, Any]], dim: str | None, interval: Interval
) -> list[dict[str, Any]]:
    """Per period, the counts per value of `dim` (or one `count`)."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        out[period_of(r["d"], interval)][r["k"].get(dim, "") if dim else "count"] += r["v"]
    return [{"period": p, **dict(sorted(v.items()))} for p, v in sorted(out.items())]


def ratio(num: float, den: float) -> float | None:
    return round(num / den, 4) if den else None


def _median_days(rows: Rows, **match: str) -> float | None:
    median = histogram_median(by(rows, "bucket", **match))
    return round(median / DAY, 2) if median is not None else None


def funnel(reached: Rows, now: Rows, stage_time: Rows, interval: Interval) -> dict[str, Any]:
    stages = []
    for i, stage in enumerate(FUNNEL):
        count = total(reached, stage=stage)
        following = total(reached, stage=FUNNEL[i + 1]) if i + 1 < len(FUNNEL) else None
        stages.append(
            {
                "stage": stage,
                "now": total(now, stage=stage),
                "reached": count,
                "conversion_to_next": ratio(following, count) if following is not None else None,
                "median_days_in_stage": _median_days(stage_time, stage=stage),
            }
        )
    exits = [
        {"stage": s, "now": total(now, stage=s), "reached": total(reached, stage=s)} for s in EXITS
    ]
    return {
        "stages": stages,
        "exits": exits,
        "overall_conversion": ratio(total(reached, stage="customer"), stages[0]["reached"]),
        "series": series(reached, "stage", interval),
    }


def interactions(rows: Rows, interval: Interval) -> dict[str, Any]:
    return {
        "total": total(rows),
        "by_type": dict(sorted(by(rows, "type").items())),
        "by_channel": dict(sorted(by(rows, "channel").items())),
        "series": series(rows, "type", interval),
    }


def sources(created: Rows, reached: Rows, revenue: Rows) -> list[dict[str, Any]]:
    names = sorted(
        {r["k"]["source"] for r in [*created, *reached, *revenue] if r["k"].get("source")}
    )
    table = []
    for source in names:
        made = total(created, source=source, kind="known")
        customers = total(reached, source=source, stage="customer")
        table.append(
            {
                "source": source,
                "contacts": made,
                "anonymous": total(created, source=source, kind="anonymous"),
                "marketing_qualified": total(reached, source=source, stage="marketing_qualified"),
                "sales_qualified": total(reached, source=source, stage="sales_qualified"),
                "customers": customers,
                "conversion": ratio(customers, made),
                "revenue": money_by_currency(revenue, source=source),
            }
        )
    return sorted(table, key=lambda r: (-r["contacts"], r["source"]))


def money_by_currency(rows: Rows, **match: str) -> dict[str, float]:
    return {c: cents / 100 for c, cents in sorted(by(rows, "currency", **match).items())}


def scores(bands: Rows, grades: Rows, buckets: Rows, top: list[dict[str, Any]]) -> dict[str, Any]:
    histogram = sorted(by(buckets, "bucket").items(), key=lambda kv: float(kv[0]))
    return {
        "contacts_scored": total(bands),
        "bands": dict(sorted(by(bands, "band").items())),
        "grades": dict(sorted(by(grades, "grade").items())),
        "histogram": [{"from": float(b), "count": n} for b, n in histogram if n],
        "top": top,
    }


def min_score_for(buckets: Rows, limit: int) -> float:
    """The lowest score bucket that still holds the top `limit` contacts, so the top list is
    a short index range instead of a sort over every scored contact."""
    counts = sorted(by(buckets, "bucket").items(), key=lambda kv: -float(kv[0]))
    seen = 0
    for bucket, n in counts:
        seen += n
        if seen >= limit:
            return float(bucket)
    return float("-inf")


def leaderboard(
    owned: Rows,
    tasks: Rows,
    touches: Rows,
    reached: Rows,
    response: Rows,
    overdue: dict[str, int],
    goals: list[dict[str, Any]],
    revenue: Rows,
    reps: dict[str, dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """A row per owner with leads, tasks or calls, and per rep with goals; removed reps and
    goals of people who are no rep (set before goals were checked) are left out."""
    known = reps or {}
    removed = {r for r, doc in known.items() if doc.get("removed")}
    owners = (
        {r["k"]["owner"] for rows in (owned, tasks, touches, reached, response) for r in rows}
        | set(overdue)
        | {g["owner"] for g in goals if g["owner"] in known}
    )
    table = []
    for rep in sorted(owners - {"unassigned"} - removed):
        money = dict(
            money_by_currency(revenue, owner=rep)
        )  # per currency: never summed across them
        actual: dict[str, float | None] = {
            "conversions": total(reached, owner=rep, stage="customer"),
            "calls": total(touches, owner=rep, type="call_logged"),
            "meetings": total(touches, owner=rep, type="meeting_held"),
            "tasks_done": total(tasks, owner=rep, what="done"),
        }
        median = histogram_median(by(response, "bucket", owner=rep))
        targets: dict[str, float] = {}
        currency = None
        for goal in goals:
            if goal["owner"] == rep:
                currency = goal.get("currency") or currency
                for name, value in goal["targets"].items():
                    targets[name] = targets.get(name, 0) + value
        # A revenue goal is in one currency; one set before goals had one has no actual.
        actual["revenue"] = money.get(currency, 0.0) if currency else None
        table.append(
            {
                "owner": rep,
                "name": (known.get(rep) or {}).get("name"),
                "leads_owned": total(owned, owner=rep),
                "tasks_created": total(tasks, owner=rep, what="created"),
                "tasks_overdue": overdue.get(rep, 0),
                **actual,
                "revenue": money,
                "response_median_hours": round(median / 3600, 2) if median else None,
                "goals": {
                    name: {
                        "target": target,
                        "currency": currency if name == "revenue" else None,
                        "actual": actual.get(name),
                        "attainment": ratio(actual.get(name) or 0, target)
                        if actual.get(name) is not None
                        else None,
                    }
                    for name, target in sorted(targets.items())
                },
            }
        )
    return sorted(with_team(table, known), key=lambda r: (-r["conversions"], r["owner"]))


WORKFLOW_COLUMNS = {
    "enrolled": "enrolled",
    "completed": "completed",
    "goal_reached": "goal_reached",
    "exited": "exited",
    "email_sent": "emails_sent",
    "email_skipped": "emails_skipped",
    "email_failed": "emails_failed",
    # People, not events: a recipient who opens twice or clicks four links counts once.
    "email_opened": "opened",
    "email_clicked": "clicked",
    "email_clicks": "clicks",  # every click
    "email_bounced": "bounced",
    "email_unsubscribed": "unsubscribed",
    "create_task_succeeded": "tasks_created",
    "webhook_succeeded": "webhooks_delivered",
    "webhook_failed": "webhooks_failed",
}


def workflows(rows: Rows, names: dict[str, str]) -> list[dict[str, Any]]:
    table = []
    for wf in sorted({r["k"]["workflow"] for r in rows}):
        counts = by(rows, "what", workflow=wf)
        row: dict[str, Any] = {"workflow_id": wf, "name": names.get(wf)}
        row.update({col: counts.get(what, 0) for what, col in WORKFLOW_COLUMNS.items()})
        sent = row["emails_sent"]
        row["open_rate"] = ratio(row["opened"], sent)
        row["click_rate"] = ratio(row["clicked"], sent)
        row["goal_conversion"] = ratio(row["goal_reached"], row["enrolled"])
        table.append(row)
    return table

"""Interaction and automation events onto the counters: activity, purchases, response
times, workflow results, tasks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lodestone_common.events import InteractionRecorded, TaskChanged, WorkflowActionPerformed

from .counters import duration_bucket
from .state import SALES_TOUCHES, State, day, touch

# -- interactions --------------------------------------------------------------------------


def interaction(state: State, cid: str, at: datetime, payload: InteractionRecorded) -> None:
    ctx = payload.context
    props = payload.properties
    rep = props.get("rep_id") if isinstance(props.get("rep_id"), str) else None
    owner = rep or (ctx.owner_id if ctx else None)
    source = ctx.source if ctx else None
    segments = ctx.segments if ctx else []
    when = day(at)
    kind = payload.interaction_type
    scope = {"owner": owner, "source": source, "segments": segments}
    state.deltas.add(
        "interactions", when, {"type": kind, "channel": payload.channel or "other"}, **scope
    )
    if kind == "purchase":
        _purchase(state, cid, when, props, scope)
    if kind.startswith("email_") and isinstance(props.get("workflow_id"), str):
        _email(state, cid, when, kind, props["workflow_id"])
    if kind in SALES_TOUCHES and ctx and ctx.owner_id and ctx.owner_assigned_at:
        # Response time: owner assignment to the first call or meeting after it.
        assigned = ctx.owner_assigned_at.isoformat()
        i = state.part(cid, "i")
        if i.get("answered") != assigned and at >= ctx.owner_assigned_at:
            i["answered"] = assigned
            seconds = (at - ctx.owner_assigned_at).total_seconds()
            bucket = {"bucket": duration_bucket(seconds)}
            state.deltas.add("response", when, bucket, owner=ctx.owner_id)


def _purchase(
    state: State, cid: str, when: str, props: dict[str, Any], scope: dict[str, Any]
) -> None:
    currency = str(props.get("currency") or "USD")
    cents = _cents(props.get("amount"))
    state.deltas.add("revenue", when, {"currency": currency}, cents, **scope)
    state.deltas.add("purchases", when, {}, **scope)
    for item in props.get("items") or []:
        if not isinstance(item, dict) or not item.get("name"):
            continue
        quantity = item.get("quantity") if isinstance(item.get("quantity"), int) else 1
        quantity = min(max(quantity, 0), MAX_UNITS)
        product = str(item.get("sku") or item["name"])[:100]
        state.product_names[product] = str(item["name"])[:200]
        units = {"product": product, "what": "units"}
        state.deltas.add("products", when, units, quantity, **scope)
        revenue = min(_cents(item.get("price")) * quantity, MAX_CENTS)
        money = {"product": product, "what": currency}
        state.deltas.add("products", when, money, revenue, **scope)
    i = state.part(cid, "i")
    i["purchases"] = i.get("purchases", 0) + 1
    if i["purchases"] in (1, 2):
        metric = "buyers" if i["purchases"] == 1 else "repeat_buyers"
        state.deltas.add(metric, when, {}, **scope)


# One event's most: counters are 64-bit integers in the database, and a purchase beyond these
# is a mistake (contacts refuses more at its door; events stored before are clamped here).
MAX_CENTS = 10**15  # ten trillion in any currency
MAX_UNITS = 10**6


def _cents(amount: Any) -> int:
    """Money as whole cents, at most MAX_CENTS: integer sums come out the same in any order."""
    try:
        cents = float(amount) * 100
    except (TypeError, ValueError):
        return 0
    if cents != cents or cents in (float("inf"), float("-inf")):  # NaN, infinities
        return 0
    return max(min(round(cents), MAX_CENTS), -MAX_CENTS)


# -- automation ----------------------------------------------------------------------------


# Counted once per recipient and workflow (rates are of people); clicks also as a total.
_ONCE = ("email_opened", "email_clicked")


def _email(state: State, cid: str, when: str, kind: str, workflow: str) -> None:
    if kind == "email_clicked":
        state.deltas.add("workflow", when, {"workflow": workflow, "what": "email_clicks"})
    if kind in _ONCE:
        seen = state.part(cid, "e").setdefault("once", [])
        if f"{kind}:{workflow}" in seen:
            return
        seen.append(f"{kind}:{workflow}")
    state.deltas.add("workflow", when, {"workflow": workflow, "what": kind})


def action(payload: WorkflowActionPerformed) -> str:
    if payload.action == "send_email":
        return {"succeeded": "email_sent"}.get(payload.outcome, f"email_{payload.outcome}")
    return f"{payload.action}_{payload.outcome}"


def task(state: State, cid: str, payload: TaskChanged) -> None:
    if state.peek(cid, "c").get("dead") == "erased":
        return
    before = state.tasks.get(payload.task_id) or {}
    owner = payload.owner_id
    if not before:
        state.deltas.add("tasks", day(payload.created_at), {"what": "created"}, owner=owner)
    if before.get("status") == "done" and before.get("done_at"):
        done_day = before["done_at"][:10]
        state.deltas.add("tasks", done_day, {"what": "done"}, -1, owner=before.get("owner"))
    if payload.status == "done" and payload.done_at:
        state.deltas.add("tasks", day(payload.done_at), {"what": "done"}, owner=owner)
    state.tasks[payload.task_id] = {
        "contact_id": cid,
        "owner": owner,
        "status": payload.status,
        "due_at": payload.due_at,
        "done_at": payload.done_at.isoformat() if payload.done_at else None,
    }
    state.changed_tasks.add(payload.task_id)
    touch(state, cid, "t", payload.task_id, payload.status)

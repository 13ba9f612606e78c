"""How each event moves the read models: plain Python over in-memory state, no I/O.

Order matters only within a topic partition (one contact's events on one topic). Across
topics the projection is order-independent, so a live run and a replay of the same topics
end in the same counters:
- each part of a contact's view is written by one topic only (`c` by contacts, `i` by
  interactions, score rows by scores);
- interactions carry their contact's owner, source and segments (event-carried state);
- what happened (created, reached a stage, time in stage) is counted even for a contact that
  was merged away or erased; only "now" counters depend on the contact still existing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lodestone_common.consumer import EnvelopeEvent
from lodestone_common.events import (
    FUNNEL,
    PAYLOAD_TYPES,
    ContactCreated,
    ContactErased,
    ContactMerged,
    ContactOwnerAssigned,
    ContactSegmentsChanged,
    ContactStageChanged,
    ContactUpdated,
    InteractionRecorded,
    LeadDisqualified,
    LeadQualified,
    RepChanged,
    ScoreChanged,
    TaskChanged,
    WorkflowActionPerformed,
    WorkflowEnrollmentChanged,
)

from .counters import NOW, Deltas, duration_bucket, score_bucket

# Reporting projects every event type of the contacts, interactions, scores and automation
# topics.
REPORTED = PAYLOAD_TYPES

SALES_TOUCHES = ("call_logged", "meeting_held")
PII = ("name", "email", "company")


def day(at: datetime) -> str:
    return at.date().isoformat()


@dataclass
class State:
    """What a batch reads and writes: contact views, score rows, tasks, counter deltas."""

    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    scores: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    deltas: Deltas = field(default_factory=Deltas)
    changed: set[tuple[str, str]] = field(default_factory=set)  # (contact_id, part)
    changed_scores: set[tuple[str, str]] = field(default_factory=set)
    changed_tasks: set[str] = field(default_factory=set)
    erased: set[str] = field(default_factory=set)
    workflow_names: dict[str, str] = field(default_factory=dict)
    reps: dict[str, dict[str, Any]] = field(default_factory=dict)  # as automation announced
    product_names: dict[str, str] = field(default_factory=dict)  # by SKU (or name)

    def part(self, contact_id: str, name: str) -> dict[str, Any]:
        view = self.views.setdefault(contact_id, {"_id": contact_id})
        self.changed.add((contact_id, name))
        return view.setdefault(name, {})

    def peek(self, contact_id: str, name: str) -> dict[str, Any]:
        return self.views.get(contact_id, {}).get(name) or {}


def contact_ids(events: list[EnvelopeEvent]) -> set[str]:
    """Every contact whose view a batch may touch (merges touch the merged ones too)."""
    ids = {e.envelope.contact_id for e in events if not isinstance(e.payload, RepChanged)}
    for e in events:
        if isinstance(e.payload, ContactMerged):
            ids.update(e.payload.merged_ids)
    return ids


def task_ids(events: list[EnvelopeEvent]) -> set[str]:
    return {e.payload.task_id for e in events if isinstance(e.payload, TaskChanged)}


def project(state: State, events: list[EnvelopeEvent]) -> None:
    for event in events:
        payload, env = event.payload, event.envelope
        cid, at = env.contact_id, env.occurred_at
        match payload:
            case ContactCreated():
                _created(state, cid, at, payload)
            case ContactStageChanged():
                _stage(state, cid, at, payload.to_stage)
            case ContactUpdated():
                _updated(state, cid, at, payload)
            case ContactOwnerAssigned():
                _move(state, cid, owner=payload.owner_id)
            case ContactSegmentsChanged():
                c = state.part(cid, "c")
                segments = (set(c.get("segments", [])) | set(payload.joined)) - set(payload.left)
                _move(state, cid, segments=sorted(segments))
            case ContactMerged():
                for merged in payload.merged_ids:
                    _end(state, merged, "merged")
            case ContactErased():
                _end(state, cid, "erased")
            case ScoreChanged():
                _score(state, cid, at, payload)
            case LeadQualified() | LeadDisqualified():
                what = "qualified" if isinstance(payload, LeadQualified) else "disqualified"
                state.deltas.add("leads", day(at), {"model": payload.model_id, "what": what})
            case InteractionRecorded():
                _interaction(state, cid, at, payload)
            case WorkflowActionPerformed():
                dims = {"workflow": payload.workflow_id, "what": _action(payload)}
                state.deltas.add("workflow", day(at), dims)
            case WorkflowEnrollmentChanged():
                if payload.workflow_name:
                    state.workflow_names[payload.workflow_id] = payload.workflow_name
                dims = {"workflow": payload.workflow_id, "what": payload.status}
                state.deltas.add("workflow", day(at), dims)
            case TaskChanged():
                _task(state, cid, payload)
            case RepChanged():
                state.reps[payload.rep_id] = {"name": payload.name, "removed": payload.removed}


# -- contacts ------------------------------------------------------------------------------


def _now(state: State, c: dict[str, Any], sign: int) -> None:
    """Add (or take away) a living contact from the "now" counters."""
    if not c.get("alive") or c.get("dead"):
        return
    stage = c.get("stage") or "none"
    state.deltas.add(
        "stage_now",
        NOW,
        {"stage": stage},
        sign,
        owner=c.get("owner"),
        source=c.get("source"),
        segments=c.get("segments"),
    )


def _move(state: State, cid: str, **fields: Any) -> None:
    c = state.part(cid, "c")
    _now(state, c, -1)
    c.update(fields)
    _now(state, c, +1)


def _created(state: State, cid: str, at: datetime, payload: ContactCreated) -> None:
    c = state.part(cid, "c")
    if c.get("created"):
        return  # a second create of the same contact changes nothing
    snap = payload.contact
    _now(state, c, -1)
    c.update(
        created=day(at),
        alive=True,
        anonymous=payload.anonymous,
        owner=c.get("owner", snap.owner_id),
        source=c.get("source", snap.source),
        segments=c.get("segments", []),
        email=snap.email,
        name=" ".join(p for p in (snap.first_name, snap.last_name) if p) or None,
        company=snap.company,
    )
    if c.get("dead") == "erased":
        for key in PII:
            c.pop(key, None)
    _now(state, c, +1)
    state.deltas.add(
        "created",
        day(at),
        {"kind": "anonymous" if payload.anonymous else "known"},
        owner=c.get("owner"),
        source=c.get("source"),
    )
    if snap.lifecycle_stage and not c.get("stage"):
        _stage(state, cid, at, snap.lifecycle_stage)


def _stage(state: State, cid: str, at: datetime, to: str) -> None:
    c = state.part(cid, "c")
    if c.get("stage") == to:
        return
    if c.get("stage") and c.get("stage_since"):
        spent = (at - datetime.fromisoformat(c["stage_since"])).total_seconds()
        state.deltas.add(
            "stage_time",
            day(at),
            {"stage": c["stage"], "bucket": duration_bucket(spent)},
            owner=c.get("owner"),
            source=c.get("source"),
            segments=c.get("segments"),
        )
    _now(state, c, -1)
    c.update(stage=to, stage_since=at.isoformat())
    _now(state, c, +1)
    # A funnel counts each contact once per stage reached, skipped stages included.
    reached = list(c.get("reached", []))
    newly = [s for s in FUNNEL[: FUNNEL.index(to) + 1]] if to in FUNNEL else [to]
    for stage in newly:
        if stage not in reached:
            reached.append(stage)
            state.deltas.add(
                "reached",
                day(at),
                {"stage": stage},
                owner=c.get("owner"),
                source=c.get("source"),
                segments=c.get("segments"),
            )
    c["reached"] = reached


def _updated(state: State, cid: str, at: datetime, payload: ContactUpdated) -> None:
    changes = payload.changes
    c = state.part(cid, "c")
    if "source" in changes:
        _move(state, cid, source=changes["source"])
    if "owner_id" in changes:
        _move(state, cid, owner=changes["owner_id"])
    if "anonymous" in changes and not changes["anonymous"]:
        _move(state, cid, anonymous=False)
    if changes.get("lifecycle_stage"):
        _stage(state, cid, at, changes["lifecycle_stage"])
    if c.get("dead") == "erased":
        return
    if "email" in changes:
        c["email"] = changes["email"]
    if "company" in changes:
        c["company"] = changes["company"]
    if "first_name" in changes or "last_name" in changes:
        first = changes.get("first_name", c.get("first_name"))
        last = changes.get("last_name", c.get("last_name"))
        c.update(first_name=first, last_name=last)
        c["name"] = " ".join(p for p in (first, last) if p) or None


def _end(state: State, cid: str, why: str) -> None:
    """Merged away or erased: out of every "now" counter; erased also loses personal data."""
    c = state.part(cid, "c")
    _now(state, c, -1)
    c["dead"] = c.get("dead") or why
    for (model, contact), row in list(state.scores.items()):
        if contact == cid and row.get("score") is not None:
            _score_now(state, model, row, -1)
            state.scores[(model, contact)] = {"deleted": True}
            state.changed_scores.add((model, contact))
    if why == "erased":
        for key in (*PII, "first_name", "last_name"):
            c.pop(key, None)
        state.erased.add(cid)


# -- scores --------------------------------------------------------------------------------


def _score_now(state: State, model: str, row: dict[str, Any], sign: int) -> None:
    state.deltas.add("band_now", NOW, {"model": model, "band": row.get("band") or "none"}, sign)
    state.deltas.add("grade_now", NOW, {"model": model, "grade": row.get("grade") or "none"}, sign)
    state.deltas.add("score_now", NOW, {"model": model, "bucket": score_bucket(row["score"])}, sign)


def _score(state: State, cid: str, at: datetime, payload: ScoreChanged) -> None:
    if state.peek(cid, "c").get("dead"):
        return
    key = (payload.model_id, cid)
    row = state.scores.get(key) or {}
    if row.get("deleted") or (row.get("at") and datetime.fromisoformat(row["at"]) >= at):
        return  # an older verdict (redelivered or reordered) never overwrites a newer one
    if row.get("score") is not None:
        _score_now(state, payload.model_id, row, -1)
    row = {
        "model": payload.model_id,
        "contact_id": cid,
        "score": payload.score,
        "band": payload.band,
        "grade": payload.grade,
        "at": at.isoformat(),
    }
    _score_now(state, payload.model_id, row, +1)
    state.scores[key] = row
    state.changed_scores.add(key)
    _touch(state, cid, "s", payload.model_id, row["at"])


def _touch(state: State, cid: str, part: str, name: str, value: Any) -> None:
    """Write to the contact's view too: a concurrent merge or erase of the same contact
    (another consumer, another transaction) then conflicts with this one and one of them
    retries, instead of each missing the other's write (snapshot isolation's write skew)."""
    state.part(cid, part)[name] = value


# -- interactions --------------------------------------------------------------------------


def _interaction(state: State, cid: str, at: datetime, payload: InteractionRecorded) -> None:
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
        product = str(item.get("sku") or item["name"])[:100]
        state.product_names[product] = str(item["name"])[:200]
        units = {"product": product, "what": "units"}
        state.deltas.add("products", when, units, quantity, **scope)
        revenue = _cents(item.get("price")) * quantity
        money = {"product": product, "what": currency}
        state.deltas.add("products", when, money, revenue, **scope)
    i = state.part(cid, "i")
    i["purchases"] = i.get("purchases", 0) + 1
    if i["purchases"] in (1, 2):
        metric = "buyers" if i["purchases"] == 1 else "repeat_buyers"
        state.deltas.add(metric, when, {}, **scope)


def _cents(amount: Any) -> int:
    """Money as whole cents: integer sums come out the same in any order."""
    try:
        return round(float(amount) * 100)
    except (TypeError, ValueError):
        return 0


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


def _action(payload: WorkflowActionPerformed) -> str:
    if payload.action == "send_email":
        return {"succeeded": "email_sent"}.get(payload.outcome, f"email_{payload.outcome}")
    return f"{payload.action}_{payload.outcome}"


def _task(state: State, cid: str, payload: TaskChanged) -> None:
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
    _touch(state, cid, "t", payload.task_id, payload.status)

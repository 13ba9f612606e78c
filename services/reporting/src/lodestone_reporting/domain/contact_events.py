"""Contact and score events onto the views and counters (see projector.py for the order
rules): stages reached, time in stage, "now" counters, score bands and grades."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lodestone_common.events import FUNNEL, ContactCreated, ContactUpdated, ScoreChanged

from .counters import NOW, duration_bucket, score_bucket
from .state import PII, State, day, touch

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


def move(state: State, cid: str, **fields: Any) -> None:
    c = state.part(cid, "c")
    _now(state, c, -1)
    c.update(fields)
    _now(state, c, +1)


def created(state: State, cid: str, at: datetime, payload: ContactCreated) -> None:
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
        stage(state, cid, at, snap.lifecycle_stage)


def stage(state: State, cid: str, at: datetime, to: str) -> None:
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


def updated(state: State, cid: str, at: datetime, payload: ContactUpdated) -> None:
    changes = payload.changes
    c = state.part(cid, "c")
    if "source" in changes:
        move(state, cid, source=changes["source"])
    if "owner_id" in changes:
        move(state, cid, owner=changes["owner_id"])
    if "anonymous" in changes and not changes["anonymous"]:
        move(state, cid, anonymous=False)
    if changes.get("lifecycle_stage"):
        stage(state, cid, at, changes["lifecycle_stage"])
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


def end(state: State, cid: str, why: str) -> None:
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


def score(state: State, cid: str, at: datetime, payload: ScoreChanged) -> None:
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
    touch(state, cid, "s", payload.model_id, row["at"])

"""How many people are where in a workflow: the live ones per step, the finished per outcome.

Enrollments keep the version they started on and a step *index* into it, so each count is
named by that version's step id; a live enrollment on a step the current version no longer
has is counted as on an earlier version's step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

LIVE = ("active", "waiting", "scheduled")
OUTCOMES = ("completed", "goal_reached", "exited")


def progress(
    tally: Iterable[Mapping[str, Any]],
    step_ids: Mapping[int, Sequence[str]],
    current: Sequence[str],
) -> dict[str, Any]:
    """From rows `{version, step, status, count}` and each version's step ids: per current step
    how many are there now (and of those how many wait), finished per outcome, and totals."""
    at = {s: {"step_id": s, "here": 0, "waiting": 0} for s in current}
    finished = dict.fromkeys(OUTCOMES, 0)
    elsewhere = enrolled = 0
    for row in tally:
        n = int(row["count"])
        enrolled += n
        status = row["status"]
        if status in finished:
            finished[status] += n
            continue
        if status not in LIVE:
            continue
        ids = step_ids.get(int(row["version"]), ())
        step = int(row["step"])
        here = at.get(ids[step]) if 0 <= step < len(ids) else None
        if here is None:
            elsewhere += n
            continue
        here["here"] += n
        if status != "active":
            here["waiting"] += n
    live = sum(s["here"] for s in at.values()) + elsewhere
    return {
        "enrolled": enrolled,
        "in_progress": live,
        "on_removed_steps": elsewhere,
        **finished,
        "steps": list(at.values()),
    }

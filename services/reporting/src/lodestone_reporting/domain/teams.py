"""Each rep compared with their team on the leaderboard: rank and the team's median."""

from __future__ import annotations

from statistics import median
from typing import Any

# What a rep is compared on, in order of weight for the rank (ties broken by the next).
COMPARED = ("conversions", "meetings", "calls", "tasks_done", "leads_owned")


def with_team(rows: list[dict[str, Any]], reps: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """`rows` (one per owner) each given `team`, `rank` within it (1 is best), `team_size` and
    `team_median` of what they are compared on. Owners that are no rep (an id left on old
    contacts) get no rank and count in no median: a phantom must not drag the team down. Reps
    without a team are compared with each other."""
    teams: dict[str | None, list[dict[str, Any]]] = {}
    for row in rows:
        rep = reps.get(row["owner"])
        row["team"] = rep.get("team") if rep else None
        row["rank"], row["team_size"], row["team_median"] = None, 0, {}
        if rep is not None:
            teams.setdefault(row["team"], []).append(row)
    for members in teams.values():
        ordered = sorted(members, key=lambda r: [-(r[k] or 0) for k in COMPARED] + [r["owner"]])
        medians = {k: float(median(r[k] or 0 for r in members)) for k in COMPARED}
        previous: tuple[float, ...] | None = None
        for place, row in enumerate(ordered, start=1):
            score = tuple(row[k] or 0 for k in COMPARED)
            # Equal on everything compared: the same rank (1, 2, 2, 4).
            if score != previous:
                rank, previous = place, score
            row["rank"], row["team_size"], row["team_median"] = rank, len(members), medians
    return rows

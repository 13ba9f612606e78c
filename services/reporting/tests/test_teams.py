"""The leaderboard's comparison of each rep with their team, without I/O."""

from __future__ import annotations

from typing import Any

from lodestone_reporting.domain.teams import with_team


def row(owner: str, conversions: int = 0, calls: int = 0) -> dict[str, Any]:
    return {
        "owner": owner,
        "conversions": conversions,
        "meetings": 0,
        "calls": calls,
        "tasks_done": 0,
        "leads_owned": 0,
    }


def test_reps_are_ranked_within_their_team_and_ties_share_a_place() -> None:
    reps = {
        "ana": {"team": "east"},
        "bo": {"team": "east"},
        "cy": {"team": "east"},
        "di": {"team": "east"},
        "ed": {"team": "west"},
    }
    rows = with_team(
        [row("ana", 3), row("bo", 1, calls=9), row("cy", 1, calls=9), row("di"), row("ed")],
        reps,
    )
    by = {r["owner"]: r for r in rows}
    assert [by[o]["rank"] for o in ("ana", "bo", "cy", "di")] == [1, 2, 2, 4]
    assert by["ana"]["team_size"] == 4
    assert by["ana"]["team_median"]["conversions"] == 1.0
    assert by["ana"]["team_median"]["calls"] == 4.5
    # Alone in the west: first of one, the median is their own.
    assert (by["ed"]["rank"], by["ed"]["team_size"], by["ed"]["team_median"]["calls"]) == (
        1,
        1,
        0.0,
    )


def test_an_owner_who_is_no_rep_has_no_rank_and_does_not_drag_the_median() -> None:
    rows = with_team([row("ana", 4), row("old-id", 0), row("bo", 2)], {"ana": {}, "bo": {}})
    by = {r["owner"]: r for r in rows}
    assert (by["old-id"]["rank"], by["old-id"]["team_size"], by["old-id"]["team"]) == (
        None,
        0,
        None,
    )
    # Reps without a team are compared with each other; the phantom is not among them.
    assert by["ana"]["team_median"]["conversions"] == 3.0
    assert (by["ana"]["rank"], by["bo"]["rank"], by["bo"]["team_size"]) == (1, 2, 2)

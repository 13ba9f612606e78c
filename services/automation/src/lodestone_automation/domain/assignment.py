"""Who gets the lead: territory rules, else weighted round-robin over available reps."""

from __future__ import annotations

from typing import Any

from lodestone_common.conditions import all_hold

from .workflows import AssignOwnerStep


def rotation(reps: list[dict[str, Any]], allowed: list[str]) -> list[str]:
    """The round-robin order: each available rep `weight` times, interleaved, by id.

    Interleaving (A B A B A rather than A A A B B) spreads a heavy rep's leads over time.
    """
    pool = sorted(
        (
            r
            for r in reps
            if r.get("available", True)
            and (not allowed or r["_id"] in allowed)
            and r.get("weight", 1) > 0
        ),
        key=lambda r: r["_id"],
    )
    order: list[str] = []
    credit = {r["_id"]: 0.0 for r in pool}
    total = sum(r.get("weight", 1) for r in pool)
    for _ in range(int(total)):
        # Smooth weighted round-robin (as nginx does): deterministic and evenly spread.
        for r in pool:
            credit[r["_id"]] += r.get("weight", 1)
        best = max(pool, key=lambda r: (credit[r["_id"]], -pool.index(r)))
        credit[best["_id"]] -= total
        order.append(best["_id"])
    return order


def choose_owner(
    step: AssignOwnerStep, contact: dict[str, Any], reps: list[dict[str, Any]], turn: int
) -> tuple[str | None, str]:
    """(rep id or None, why) for this contact; `turn` is the step's shared counter."""
    if step.keep_existing and contact.get("owner_id"):
        return None, f"already owned by {contact['owner_id']}"
    available = {r["_id"] for r in reps if r.get("available", True)}
    for territory in step.territories:
        if all_hold(territory.conditions, contact):
            if territory.rep_id in available:
                return territory.rep_id, "territory rule"
    order = rotation(reps, step.reps)
    if not order:
        return None, "no available rep"
    return order[turn % len(order)], f"round-robin turn {turn}"

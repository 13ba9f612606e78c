"""Who gets the lead: territory rules, else weighted round-robin over available reps."""

from __future__ import annotations

import math
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
    slots = _slots([r.get("weight", 1) for r in pool])
    order: list[str] = []
    credit = dict.fromkeys(range(len(pool)), 0)
    total = sum(slots)
    for _ in range(total):
        # Smooth weighted round-robin (as nginx does): deterministic and evenly spread.
        for i, n in enumerate(slots):
            credit[i] += n
        best = max(range(len(pool)), key=lambda i: (credit[i], -i))
        credit[best] -= total
        order.append(pool[best]["_id"])
    return order


def _slots(weights: list[float]) -> list[int]:
    """Whole turns per rep in one cycle, in the weights' proportions to a hundredth: 0.5 and
    0.5 are one turn each (not one turn for the first only), 0.4 and 0.4 too (not none)."""
    hundredths = [max(1, round(w * 100)) for w in weights]
    common = math.gcd(*hundredths) if hundredths else 1
    return [h // common for h in hundredths]


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

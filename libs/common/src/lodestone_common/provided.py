"""Route dependencies on the parts a service's composition root built.

The composition root registers each part once (`app.state.<name> = part`); routes declare
what they need as typed parameters (`repo: RepoDep`, with
`RepoDep = Annotated[Repo, provided("repo")]`) and never reach into the application state
themselves, so a test can hand a route any part through `app.dependency_overrides`.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request


def provided(name: str) -> Any:
    """`Depends` on the part registered as `app.state.<name>` (a missing one is a wiring
    error of the composition root, raised at the first request that needs it)."""

    def part(request: Request) -> Any:
        return getattr(request.app.state, name)

    part.__name__ = name
    return Depends(part)

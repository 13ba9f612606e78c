"""The web app: its built files (`make console` bundles them from web/ with Vite), and
index.html for every page path so the app's own router takes over."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import FileResponse

APP = Path(__file__).resolve().parents[1] / "static" / "app"
router = APIRouter(include_in_schema=False)
_ASSET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}")


def _index() -> FileResponse:
    index = APP / "index.html"
    if not index.exists():
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "the web app is not built: run `make console`",
        )
    # Always fresh: it names the hashed bundles of the current build.
    return FileResponse(index, headers={"cache-control": "no-cache"})


@router.get("/assets/{name}")
async def asset(name: str) -> FileResponse:
    if not _ASSET.fullmatch(name):  # a bundle's name; "%00" would make resolve() raise
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no asset {name!r}")
    found = (APP / "assets" / name).resolve()
    if found.parent != (APP / "assets").resolve() or not found.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no asset {name!r}")
    # Hashed names: a new build has new names, so these may be cached for good.
    return FileResponse(found, headers={"cache-control": "public, max-age=31536000, immutable"})


@router.get("/")
async def home() -> FileResponse:
    return _index()


@router.get("/{page:path}")
async def page(page: str) -> FileResponse:
    if page.startswith(("api/", "v1/", "auth/")):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no route /{page}")
    return _index()

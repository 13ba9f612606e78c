"""The built-in dashboard at `/`: a static page that reads the reporting APIs with the key
the viewer enters (kept in the browser), and the vendored chart library beside it."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

STATIC = Path(__file__).resolve().parent.parent / "static"
FILES = {
    "dashboard.js": "text/javascript",
    "dashboard.css": "text/css",
    "vendor/chart.umd.min.js": "text/javascript",
}
router = APIRouter(tags=["dashboard"])


@router.get("/", include_in_schema=False)
async def page() -> FileResponse:
    return FileResponse(STATIC / "dashboard.html", media_type="text/html")


@router.get("/static/{name:path}", include_in_schema=False)
async def static(name: str) -> FileResponse:
    path = STATIC / name
    if name not in FILES or not path.is_file():
        # The chart library is vendored from npm at build time (`make vendor`).
        raise HTTPException(404, f"no static file {name!r}")
    return FileResponse(path, media_type=FILES[name], headers={"Cache-Control": "max-age=300"})

"""Request bodies over a path's limit get a 413 before they are read whole."""

from __future__ import annotations

import httpx
from fastapi import FastAPI, Request

from lodestone_common.http import BodyLimit


def _app() -> BodyLimit:
    app = FastAPI()

    @app.post("/{path:path}")
    async def echo(request: Request) -> dict[str, int]:
        return {"read": len(await request.body())}

    overrides = {"/v1/contacts/imports": 1000, "/v1/contacts/*/attachments": 500}
    return BodyLimit(app, max_bytes=100, overrides=overrides)


async def test_a_star_stands_for_one_path_segment() -> None:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        cases = [
            ("/v1/contacts/ct_1/attachments", 400, 200),
            ("/v1/contacts/ct_1/attachments/doc_1/revisions", 400, 200),
            ("/v1/contacts/ct_1/attachments", 600, 413),
            ("/v1/contacts/a/b/attachments", 400, 413),  # two segments: the default applies
            ("/v1/contacts/imports", 900, 200),
            ("/v1/contacts/ct_1", 101, 413),
        ]
        for path, size, expected in cases:
            answer = await http.post(path, content=b"x" * size)
            assert answer.status_code == expected, (path, size, answer.text)

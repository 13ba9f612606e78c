"""`/api/{service}/...`: the browser's way to the four services. The console adds the
signed-in person's token (people.py) and streams both ways; every permission is the
service's own check of that token, not this module's."""

from __future__ import annotations

from typing import Literal

import httpx
from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from .deps import HttpDep, SessionDep, SettingsDep, TokensDep

router = APIRouter(tags=["services"])
Service = Literal["contacts", "scoring", "automation", "reporting"]
# What travels on, each way: the body's type and the download name (CSV exports).
REQUEST_HEADERS = ("content-type", "content-encoding", "accept")
RESPONSE_HEADERS = ("content-type", "content-disposition", "retry-after", "x-total-count")


async def call(  # type: ignore[no-untyped-def]
    service: Service,
    path: str,
    request: Request,
    signed: SessionDep,
    settings: SettingsDep,
    client: HttpDep,
    tokens: TokensDep,
):
    if signed is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "sign in first")
    # Dot segments would climb out of /v1 once the URL is normalised (to /metrics, say).
    if not path.startswith("v1/") or any(part in (".", "..") for part in path.split("/")):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "only the services' /v1 APIs are here")
    base = settings.service_url(service)
    headers = {k: v for k in REQUEST_HEADERS if (v := request.headers.get(k))}
    headers["authorization"] = f"Bearer {tokens.sign(signed.person)}"
    outgoing = client.build_request(
        request.method,
        f"{base}/{path}",
        params=request.query_params.multi_items(),
        headers=headers,
        content=request.stream() if request.method in ("POST", "PUT", "PATCH") else None,
    )
    try:
        answer = await client.send(outgoing, stream=True)
    except httpx.HTTPError as exc:
        raise HTTPException(
            status.HTTP_502_BAD_GATEWAY,
            f"the {service} service did not answer ({type(exc).__name__})",
        ) from None
    return StreamingResponse(
        answer.aiter_raw(),
        status_code=answer.status_code,
        headers={k: v for k in RESPONSE_HEADERS if (v := answer.headers.get(k))},
        background=BackgroundTask(answer.aclose),
    )


# One route per method, each with its own operation id (generated clients need them unique).
for _method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
    router.add_api_route(
        "/api/{service}/{path:path}",
        call,
        methods=[_method],
        summary="Call a service as the signed-in person",
        operation_id=f"call_service_{_method.lower()}",
    )

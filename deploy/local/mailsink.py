"""A real SMTP catcher with an HTTP API, for the local stack and tests.

    python deploy/local/mailsink.py --smtp-port 1025 --http-port 8025

SMTP (aiosmtpd) accepts every message; `GET /api/messages` lists them (newest last) with
their headers and text body, `DELETE /api/messages` empties the box.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
from datetime import UTC, datetime
from typing import Any

import uvicorn
from aiosmtpd.controller import Controller
from fastapi import FastAPI

MESSAGES: list[dict[str, Any]] = []


class Sink:
    # aiosmtpd calls this hook by name for every message.
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain", "html"))
        html = message.get_body(preferencelist=("html",))
        MESSAGES.append(
            {
                "id": len(MESSAGES) + 1,
                "received_at": datetime.now(UTC).isoformat(),
                "mail_from": envelope.mail_from,
                "rcpt_to": list(envelope.rcpt_tos),
                "subject": str(message["subject"] or ""),
                "headers": {k: str(v) for k, v in message.items()},
                "text": body.get_content() if body else "",
                "html": html.get_content() if html else None,
            }
        )
        return "250 Message accepted"


app = FastAPI(title="Lodestone mail sink")


@app.get("/api/messages")
async def messages(to: str | None = None) -> list[dict[str, Any]]:
    """Every message caught, or (`?to=`) those to one address."""
    if to is None:
        return MESSAGES
    return [m for m in MESSAGES if to in m["rcpt_to"]]


@app.delete("/api/messages")
async def clear() -> dict[str, int]:
    n = len(MESSAGES)
    MESSAGES.clear()
    return {"deleted": n}


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=8025)
    args = parser.parse_args()
    controller = Controller(Sink(), hostname="127.0.0.1", port=args.smtp_port)
    controller.start()
    config = uvicorn.Config(app, host="127.0.0.1", port=args.http_port, log_level="warning")
    try:
        await uvicorn.Server(config).serve()
    finally:
        controller.stop()


if __name__ == "__main__":
    asyncio.run(main())

"""A real SMTP catcher with an HTTP API, for the local stack and tests.

    python deploy/local/mailsink.py --smtp-port 1025 --http-port 8025

SMTP (aiosmtpd) accepts every message; `GET /api/messages` lists them (newest last) with
their headers and text body, `DELETE /api/messages` empties the box. With
`--ignore-duplicate-ids` a message whose Message-ID it already holds is accepted and dropped,
as Mailpit's flag of that name and receivers such as Gmail do.
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
SEEN_IDS: set[str] = set()
IGNORE_DUPLICATE_IDS = False


class Sink:
    # aiosmtpd calls this hook by name for every message.
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        message_id = str(message["message-id"] or "")
        if IGNORE_DUPLICATE_IDS and message_id:
            if message_id in SEEN_IDS:
                return "250 Message accepted"  # a copy of one already delivered
            SEEN_IDS.add(message_id)
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
    SEEN_IDS.clear()
    return {"deleted": n}


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=8025)
    parser.add_argument(
        "--ignore-duplicate-ids",
        action="store_true",
        help="drop a message whose Message-ID was seen before (as receivers do)",
    )
    args = parser.parse_args()
    global IGNORE_DUPLICATE_IDS
    IGNORE_DUPLICATE_IDS = args.ignore_duplicate_ids
    controller = Controller(Sink(), hostname="127.0.0.1", port=args.smtp_port)
    controller.start()
    config = uvicorn.Config(app, host="127.0.0.1", port=args.http_port, log_level="warning")
    try:
        await uvicorn.Server(config).serve()
    finally:
        controller.stop()


if __name__ == "__main__":
    asyncio.run(main())

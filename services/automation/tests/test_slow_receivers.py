"""A webhook receiver that drips its answer a byte every few seconds delays only its own
enrollments: an unrelated email goes out while it still holds its connections, it never gets
more than PER_HOST of them, and each attempt is cut at its total deadline and retried."""

from __future__ import annotations

import asyncio
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from uuid import uuid4

from lodestone_automation.runner import PER_HOST

from .test_automation_service import active_workflow, mails_to


class Drip:
    """Answers 200, then one byte of body every `every` seconds, for as long as it is read."""

    def __init__(self, every: float = 3.0) -> None:
        self.every = every
        self.open = 0
        self.most_open = 0
        self.cut = 0  # connections the client closed before the answer was whole
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        drip = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                with drip.lock:
                    drip.open += 1
                    drip.most_open = max(drip.most_open, drip.open)
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", "1000")
                    self.end_headers()
                    for _ in range(1000):
                        if drip.stopping.wait(drip.every):
                            return
                        self.wfile.write(b".")
                        self.wfile.flush()
                except OSError:
                    with drip.lock:
                        drip.cut += 1
                finally:
                    with drip.lock:
                        drip.open -= 1

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self) -> Drip:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()


async def test_a_drip_feeding_receiver_holds_up_nothing_else(services, eventually) -> None:  # type: ignore[no-untyped-def]
    tag = uuid4().hex[:6]
    with Drip() as drip:
        async with (
            services.client("automation") as automation,
            services.client("contacts") as contacts,
        ):
            people = [
                (
                    await contacts.post(
                        "/v1/contacts", json={"email": f"drip{i}.{tag}@example.com"}
                    )
                ).json()
                for i in range(PER_HOST + 3)
            ]
            hooked = await active_workflow(
                automation,
                {
                    "name": f"slow crm {tag}",
                    "trigger": {"type": "manual"},
                    "steps": [
                        {"id": "sync", "type": "webhook", "url": drip.url, "secret": "s3cret-key"}
                    ],
                },
            )
            mailed = await active_workflow(
                automation,
                {
                    "name": f"welcome {tag}",
                    "trigger": {"type": "manual"},
                    "steps": [
                        {"id": "hi", "type": "send_email", "subject": f"Hi {tag}", "body": "Hi"}
                    ],
                },
            )
            await asyncio.sleep(1.5)  # every contact's record has reached automation
            for person in people[:-1]:
                enrolled = await automation.post(
                    f"/v1/workflows/{hooked}/enrollments", json={"contact_id": person["id"]}
                )
                assert enrolled.status_code == 201, enrolled.text

            async def receiver_busy() -> bool:
                return drip.open >= PER_HOST

            await eventually(receiver_busy, timeout=60)
            started = time.monotonic()
            enrolled = await automation.post(
                f"/v1/workflows/{mailed}/enrollments", json={"contact_id": people[-1]["id"]}
            )
            assert enrolled.status_code == 201, enrolled.text
            sent = await eventually(lambda: mails_to(services, people[-1]["email"]), timeout=60)
            # The email went out while the receiver still dripped to every slot it had.
            still_open = drip.open
            took = time.monotonic() - started
            assert len(sent) == 1
            assert still_open >= 1, f"the email took {took:.1f}s: after the drip ended"
            assert drip.most_open <= PER_HOST

            # Each attempt is cut at its deadline and retried on the webhook's schedule.
            async def retried() -> list[str] | None:
                found = (await automation.get(f"/v1/contacts/{people[0]['id']}/enrollments")).json()
                outcomes = [h.get("outcome", "") for e in found for h in e["history"]]
                return outcomes if any(o.startswith("retrying") for o in outcomes) else None

            outcomes = await eventually(retried, timeout=90)
            assert "retrying after HTTP unreachable" in outcomes, outcomes
            # The receiver was reachable all along: what ended the attempt was its deadline.

            async def hung_up() -> bool:
                return drip.cut >= 1

            await eventually(hung_up, timeout=30)

"""Segment's and RudderStack's own SDKs, unchanged, pointed at the running suite.

Each SDK identifies a person (email, a trait, a UTM campaign), tracks an event and views a
page; the test then reads the contact, its traits, its lead source and its timeline back
through the contacts API. Sending the same messages again changes nothing.

- segment-analytics-python and rudder-sdk-python (PyPI), in this process;
- @segment/analytics-node (npm), run with node (tests/sdk/node_sdk.mjs);
- analytics.js (@segment/analytics-next, vendored from npm, no CDN) in a page in headless
  Chromium (tests/sdk/browser.html), posting cross-origin with `text/plain`.
"""

from __future__ import annotations

import asyncio
import functools
import http.server
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

SDK = Path(__file__).resolve().parent / "sdk"
NODE_MODULES = SDK / "node_modules"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WRITE_KEY_SCOPE = "events:write"


async def read_back(services, email: str, eventually) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The contact with its timeline, once the three messages have all been resolved."""
    async with services.client("contacts") as http:

        async def arrived() -> dict[str, Any] | None:
            found = (await http.get("/v1/contacts", params={"email": email})).json()["items"]
            if not found:
                return None
            contact = found[0]
            timeline = (await http.get(f"/v1/contacts/{contact['id']}/timeline")).json()
            kinds = sorted(e["type"] for e in timeline["entries"] if e["kind"] == "interaction")
            if kinds != ["custom", "identify", "page_visit"]:
                return None
            return {**contact, "timeline": timeline["entries"]}

        return await eventually(arrived, timeout=60)


def check(contact: dict[str, Any], first_name: str, source: str) -> None:
    assert contact["first_name"] == first_name
    assert contact["source"] == source  # the UTM source, on first touch
    entries = {e["type"]: e for e in contact["timeline"] if e["kind"] == "interaction"}
    assert entries["custom"]["name"] == "Demo Requested"
    assert entries["custom"]["properties"]["plan"] == "pro"
    assert entries["page_visit"]["properties"]["url"] == "https://acme.test/pricing"


async def unchanged_after_resend(services, contact: dict[str, Any], resend) -> None:  # type: ignore[no-untyped-def]
    before = len(contact["timeline"])
    await resend()
    async with services.client("contacts") as http:
        # Give the resend the time the first send took to land: nothing may be added.
        for _ in range(10):
            await asyncio.sleep(0.5)
            timeline = (await http.get(f"/v1/contacts/{contact['id']}/timeline")).json()
            assert len(timeline["entries"]) == before


def _python_sdk(client_class: Any, host: str, key: str, user: str, email: str, ids: str) -> None:
    client = client_class(write_key=key, host=host, sync_mode=True, gzip=True, max_retries=2)
    context = {"campaign": {"source": f"partner-{ids}", "medium": "referral"}}
    client.identify(
        user, {"email": email, "first_name": ids}, context=context, message_id=f"{user}-i"
    )
    client.track(user, "Demo Requested", {"plan": "pro"}, context=context, message_id=f"{user}-t")
    client.page(
        user,
        name="Pricing",
        properties={"url": "https://acme.test/pricing"},
        context=context,
        message_id=f"{user}-p",
    )
    client.flush()


@pytest.mark.parametrize("sdk", ["segment", "rudderstack"])
async def test_the_python_sdks_send_unchanged(services, eventually, sdk: str) -> None:  # type: ignore[no-untyped-def]
    if sdk == "segment":
        from segment.analytics.client import Client
    else:
        from rudderstack.analytics.client import Client
    user, email = f"{sdk}-{uuid4().hex[:8]}", f"{sdk}.{uuid4().hex[:8]}@example.com"
    send = functools.partial(
        _python_sdk, Client, services.url("contacts"), services.key_for(WRITE_KEY_SCOPE)
    )
    await asyncio.to_thread(send, user, email, sdk)
    contact = await read_back(services, email, eventually)
    check(contact, sdk, f"partner-{sdk}")
    assert contact["external_id"] == user

    async def resend() -> None:
        await asyncio.to_thread(send, user, email, sdk)

    await unchanged_after_resend(services, contact, resend)


@pytest.mark.skipif(not (NODE_MODULES / "@segment").exists(), reason="`npm ci` in tests/sdk")
async def test_the_node_sdk_sends_unchanged(services, eventually) -> None:  # type: ignore[no-untyped-def]
    user, email = f"node-{uuid4().hex[:8]}", f"node.{uuid4().hex[:8]}@example.com"

    async def send() -> None:
        done = await asyncio.to_thread(
            subprocess.run,
            [
                "node",
                str(SDK / "node_sdk.mjs"),
                services.url("contacts"),
                services.key_for(WRITE_KEY_SCOPE),
                user,
                email,
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr + done.stdout

    await send()
    contact = await read_back(services, email, eventually)
    check(contact, "Node", "partner-node")
    # analytics-node gives every message a fresh id: a resend is new events by design, so
    # the dedup is shown with the SDKs that let the caller choose the id.


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def translate_path(self, path: str) -> str:
        # analytics.js loads its bundle (and any lazy chunk) from {cdnURL}/analytics-next/bundles/.
        prefix = "/analytics-next/bundles/"
        route = path.split("?", 1)[0]
        if route.startswith(prefix):
            umd = NODE_MODULES / "@segment" / "analytics-next" / "dist" / "umd"
            return str(umd / route.removeprefix(prefix))
        return super().translate_path(path)


@pytest.fixture
def page_server() -> Iterator[str]:
    handler = functools.partial(_Quiet, directory=str(SDK))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium package (.ci/run)")
@pytest.mark.skipif(not (NODE_MODULES / "@segment").exists(), reason="`npm ci` in tests/sdk")
async def test_analytics_js_in_a_browser_sends_unchanged(services, eventually, page_server) -> None:  # type: ignore[no-untyped-def]
    from playwright.async_api import async_playwright

    user, email = f"web-{uuid4().hex[:8]}", f"web.{uuid4().hex[:8]}@example.com"
    host = services.url("contacts").removeprefix("http://")
    url = (
        f"{page_server}/browser.html?host={host}&key={services.key_for(WRITE_KEY_SCOPE)}"
        f"&user={user}&email={email}"
    )
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(url)
            await page.wait_for_selector(
                "body[data-sent=true], body[data-error]", state="attached", timeout=30_000
            )
            assert await page.get_attribute("body", "data-error") is None
            assert errors == []
        finally:
            await browser.close()
    contact = await read_back(services, email, eventually)
    check(contact, "Browser", "newsletter-browser")

"""Every email DKIM-signed when a key is configured, verified as a receiver would (dkimpy
against the published key), over a real SMTP exchange."""

from __future__ import annotations

from typing import Any

import dkim
import pytest
from aiosmtpd.controller import Controller

from lodestone_automation.effects import Mailer
from lodestone_automation.settings import AutomationSettings


class Catch:
    def __init__(self) -> None:
        self.raw: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.raw.append(envelope.original_content)
        return "250 OK"


async def test_a_sent_email_carries_a_signature_that_verifies(free_port, dkim_pair) -> None:  # type: ignore[no-untyped-def]
    pem, record = dkim_pair

    def dns(name: bytes, timeout: int = 5) -> bytes | None:
        return record if name == b"s1._domainkey.acme.example." else None

    catch = Catch()
    port = free_port()
    server = Controller(catch, hostname="127.0.0.1", port=port)
    server.start()
    try:
        settings = AutomationSettings(
            smtp_port=port,
            mail_from="Acme <hello@acme.example>",
            dkim_selector="s1",
            dkim_private_key=pem,
        )
        unsubscribe = {"List-Unsubscribe": "<https://go.acme.example/u/t>"}
        await Mailer(settings).send(
            "ada@example.com", "Hello", "Hi Ada", "wf:c:1", headers=unsubscribe, html="<p>Hi</p>"
        )
    finally:
        server.stop()
    (raw,) = catch.raw
    assert raw.startswith(b"DKIM-Signature:") and b"d=acme.example" in raw
    assert b"list-unsubscribe" in raw.split(b"\r\n\r\n")[0].lower()
    assert dkim.verify(raw, dnsfunc=dns)
    tampered = raw.replace(b"Subject: Hello", b"Subject: Hullo")
    assert not dkim.verify(tampered, dnsfunc=dns)


def test_dkim_settings_go_together_and_the_key_must_be_one() -> None:
    with pytest.raises(ValueError, match="go together"):
        AutomationSettings(dkim_selector="s1")
    with pytest.raises(ValueError, match="not a PEM private key"):
        AutomationSettings(dkim_selector="s1", dkim_private_key="-----BEGIN nonsense")

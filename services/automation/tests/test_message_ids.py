"""Message-IDs receivers can parse and deduplicate by (round two of numbers and records)."""

from __future__ import annotations

import re
from email import message_from_string
from email.policy import default

from lodestone_automation.effects import message_id_of

MSG_ID = re.compile(r"<[0-9a-f]{32}@[A-Za-z0-9.-]+>")


def test_each_action_gets_its_own_well_formed_message_id() -> None:
    """All 589 demo emails carried `<wf_…` cut at the first colon, one value per workflow: a
    receiver deduplicating by it could drop a cadence's second email."""
    first = message_id_of("wf_cadence:c_123:email-1", "Lodestone <hello@acme.example>")
    second = message_id_of("wf_cadence:c_123:email-2", "Lodestone <hello@acme.example>")
    assert first != second and MSG_ID.fullmatch(first) and first.endswith("@acme.example>")
    assert message_id_of("wf_cadence:c_123:email-1", "hello@acme.example") == first  # a retry
    parsed = message_from_string(f"Message-ID: {first}\n\nbody\n", policy=default)
    header = parsed["Message-ID"]
    assert str(header) == first and not header.defects

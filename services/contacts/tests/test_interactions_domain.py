"""What an ingested event is called as an interaction."""

from __future__ import annotations

from lodestone_common.events import InteractionRecorded
from lodestone_common.ingest import IngestEvent
from lodestone_contacts.domain.interactions import interaction_name


def test_a_page_is_named_by_its_url_cut_to_what_an_interaction_holds() -> None:
    # Found by the stored-data fuzz: accepted at the door, then dead-lettered.
    long = "https://example.com/" + "x" * 300
    page = IngestEvent.model_validate(
        {
            "event_id": "e1",
            "type": "page",
            "contact": {"email": "a@x.io"},
            "properties": {"url": long},
        }
    )
    name = interaction_name(page)
    assert name == long[:200]
    InteractionRecorded(interaction_type="page_visit", name=name, channel="web")

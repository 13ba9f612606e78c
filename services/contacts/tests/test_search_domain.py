from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from lodestone_common.consumer import EnvelopeEvent
from lodestone_common.events import ScoreChanged
from lodestone_contacts.domain.duplicates import duplicate_reasons
from lodestone_contacts.domain.paging import decode_cursor, encode_cursor
from lodestone_contacts.domain.scores import score_update
from lodestone_contacts.domain.search import from_query


def test_query_string_filters_become_an_indexed_query() -> None:
    flt = from_query(
        {
            "stage": ["lead,customer"],
            "tag": ["VIP", "b2b"],
            "custom.plan": ["pro"],
            "custom.seats": ["5"],
            "min_activity.page_visit": ["3"],
            "score_band": ["hot"],
            "email": ["Ada@X.io"],
            "limit": ["10"],
        }
    )
    query = flt.to_mongo()
    assert query["lifecycle_stage"] == {"$in": ["lead", "customer"]}
    assert query["tags"] == {"$all": ["b2b", "vip"]}
    assert query["custom.plan"] == "pro"
    assert query["custom.seats"] == {"$in": ["5", 5.0, 5]}
    assert query["activity.page_visit"] == {"$gte": 3}
    assert query["emails"] == "ada@x.io" and query["score_band"] == {"$in": ["hot"]}
    assert query["merged_into"] == {"$exists": False}


@pytest.mark.parametrize(
    "params",
    [
        {"stage": ["wizard"]},
        {"score_band": ["lukewarm"]},
        {"custom.$where": ["1"]},
        {"min_activity.page_visit": ["-1"]},
        {"min_activity.teleport": ["1"]},
        {"colour": ["red"]},
    ],
)
def test_bad_filters_are_refused(params: dict[str, list[str]]) -> None:
    with pytest.raises(ValidationError):
        from_query(params)


def test_cursor_round_trip_and_garbage() -> None:
    assert decode_cursor(encode_cursor("c_123")) == "c_123"
    with pytest.raises(ValueError):
        decode_cursor("%%%")


def test_duplicates_by_phone_and_by_similar_name_at_the_same_company() -> None:
    a = {"first_name": "José", "last_name": "O'Neil", "company": "Acme Inc", "phones": ["+1555"]}
    b = {"first_name": "Jose", "last_name": "ONeil", "company": "acme inc", "phones": []}
    c = {"first_name": "Mary", "last_name": "Smith", "company": "Acme Inc", "phones": ["+1555"]}
    assert duplicate_reasons(a, b) == ["similar name at the same company (100%)"]
    assert duplicate_reasons(a, c) == ["same phone"]
    assert duplicate_reasons(b, c) == []


def test_score_events_set_the_primary_models_fields_only() -> None:
    at = datetime(2026, 11, 1, tzinfo=UTC)

    def changed(model: str) -> EnvelopeEvent:
        payload = ScoreChanged(model_id=model, score=120, previous_score=80, grade="A", band="hot")
        return EnvelopeEvent(
            payload.envelope(contact_id="c", producer="scoring", occurred_at=at), payload
        )

    model, when, fields = score_update(changed("default"))  # type: ignore[misc]
    assert (model, when, fields["score_band"], fields["grade"]) == ("default", at, "hot", "A")
    _, _, other = score_update(changed("enterprise"))  # type: ignore[misc]
    assert "score" not in other and other["scores.enterprise"]["score"] == 120

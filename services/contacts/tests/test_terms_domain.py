"""Free-text terms: what a contact is found by, and how a query is read."""

from __future__ import annotations

import pytest

from lodestone_contacts.domain.terms import MAX_QUERY_WORDS, terms_of, terms_query


def test_a_contact_is_found_by_its_words_folded() -> None:
    terms = terms_of(
        {
            "first_name": "Zoë",
            "last_name": "O'Brien-Smith",
            "company": "ACME Corp.",
            "emails": ["zoe.ob@acme.example"],
            "title": "CEO",  # not searched: titles would drown names
        }
    )
    assert terms == [
        "acme",
        "brien",
        "corp",
        "example",
        "o",
        "ob",
        "smith",
        "zoe",
        "zoe.ob@acme.example",
    ]


def test_a_query_is_one_prefix_range_per_word() -> None:
    assert terms_query("  Zoé  ACME ") == [
        {"terms": {"$elemMatch": {"$gte": "zoe", "$lt": "zoe\U0010ffff"}}},
        {"terms": {"$elemMatch": {"$gte": "acme", "$lt": "acme\U0010ffff"}}},
    ]
    assert terms_query("Zoe.OB@Acme") == [
        {"terms": {"$elemMatch": {"$gte": "zoe.ob@acme", "$lt": "zoe.ob@acme\U0010ffff"}}}
    ]


@pytest.mark.parametrize(
    ("q", "why"), [("  ", "at least one"), ("!!! ---", "at least one"), ("a b c d e f", "at most")]
)
def test_a_query_without_words_or_with_too_many_says_why(q: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        terms_query(q)
    assert MAX_QUERY_WORDS == 5


def test_non_text_values_are_ignored() -> None:
    assert terms_of({"first_name": None, "company": 42, "emails": [None, ""]}) == []

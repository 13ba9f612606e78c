import pytest

from lodestone_contacts.domain.imports import column_names, parse_row, update_fields


def test_headers_map_aliases_and_unknown_columns_to_custom() -> None:
    assert column_names(["E-mail", "First Name", "Surname", "Tags", "Favourite Colour"]) == [
        "email",
        "first_name",
        "last_name",
        "tags",
        "custom.favourite_colour",
    ]
    with pytest.raises(ValueError, match="twice"):
        column_names(["email", "E-mail"])


def test_a_good_row_becomes_a_draft() -> None:
    names = column_names(["email", "first name", "tags", "age", "plan"])
    draft, errors = parse_row(names, ["Ada@X.io", "Ada", "vip; b2b", "41", "pro"])
    assert errors == [] and draft is not None
    assert draft.email == "ada@x.io" and draft.tags == ["b2b", "vip"] and draft.age == 41
    assert draft.custom == {"plan": "pro"}
    assert update_fields(draft) == {
        "email": "ada@x.io",
        "first_name": "Ada",
        "tags": ["b2b", "vip"],
        "age": 41,
        "custom": {"plan": "pro"},
    }


@pytest.mark.parametrize(
    ("values", "field"),
    [
        (["not-an-email", "x", ""], "email"),
        (["a@b.co", "x", "-3"], "age"),
        (["", "x", "3"], "email"),
        (["a@b.co", "x"], "row"),
    ],
)
def test_a_bad_row_is_rejected_whole_with_the_field_named(values: list[str], field: str) -> None:
    draft, errors = parse_row(column_names(["email", "first_name", "age"]), values)
    assert draft is None and errors[0]["field"] == field


def test_an_upload_is_checked_as_text_all_the_way_through() -> None:
    import pytest

    from lodestone_contacts.imports import NotCsv, TextCheck

    good = ("email,first_name\n" + "zoë@example.com,Zoë\n" * 20_000).encode()
    check = TextCheck()
    for i in range(0, len(good), 7):  # chunks that split "ë" in two
        check.feed(good[i : i + 7])
    check.feed(b"", final=True)

    late = good + b"\xff" + good  # valid for the first 400 KB, then not
    with pytest.raises(NotCsv, match=f"byte {len(good):,}"):
        checker = TextCheck()
        for i in range(0, len(late), 65_536):
            checker.feed(late[i : i + 65_536])
    with pytest.raises(NotCsv, match="NUL"):
        TextCheck().feed(b"email\n\x00\x01\x02")
    with pytest.raises(NotCsv, match="header row"):
        TextCheck().feed(b"a" * 70_000)
    with pytest.raises(NotCsv, match="not UTF-8"):  # cut inside a character at the end
        cut = TextCheck()
        cut.feed("email\nzo\u00eb".encode()[:-1])
        cut.feed(b"", final=True)


def test_a_mapping_puts_columns_where_it_says_and_guesses_the_rest() -> None:
    from lodestone_contacts.domain.imports import SKIP, check_target, column_names, guess

    header = ["E-Mail Address", "Firma", "Notes", "Mobile"]
    assert column_names(header, {"Firma": "company", "Notes": SKIP}) == [
        "email",
        "company",
        None,
        "phone",
    ]
    draft, problems = parse_row(
        column_names(header, {"Firma": "company", "Notes": SKIP}),
        ["a@example.com", "Acme", "ring back", "+44 20 7946 0958"],
    )
    assert problems == [] and draft is not None
    assert (draft.company, draft.custom) == ("Acme", None)  # the notes stayed behind
    assert guess("Lead Score!") == "custom.lead_score"
    assert check_target("custom.plan") is None and check_target(SKIP) is None
    assert "is no field" in (check_target("compny") or "")
    assert "is no field" in (check_target("custom.") or "")
    with pytest.raises(ValueError, match="no column of the file"):
        column_names(header, {"Fax": "phone"})
    with pytest.raises(ValueError, match="appears twice"):
        column_names(header, {"Firma": "email"})

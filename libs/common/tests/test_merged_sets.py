"""A batch's `$set`s folded into one statement per document (no I/O)."""

from __future__ import annotations

from lodestone_common.mongo import MergedSets


def statements(sets: MergedSets) -> list[tuple[str, dict[str, object]]]:
    return [(op._filter["_id"], op._doc["$set"]) for op in sets.flush()]


def test_a_documents_changes_become_one_statement_and_later_values_win() -> None:
    sets = MergedSets()
    sets.set("a", {"score": 1, "grade": "C"})
    sets.set("b", {"score": 5})
    sets.set("a", {"score": 2, "owner_id": "rep-1"})

    assert statements(sets) == [
        ("a", {"score": 2, "grade": "C", "owner_id": "rep-1"}),
        ("b", {"score": 5}),
    ]
    assert statements(sets) == []  # flushed: nothing is written twice


def test_colliding_paths_start_a_new_statement_in_order() -> None:
    sets = MergedSets()
    sets.set("a", {"custom": {"plan": "free"}})
    sets.set("a", {"custom.plan": "pro"})  # a path inside one pending: not in one $set
    sets.set("a", {"custom.seats": 3})

    assert statements(sets) == [
        ("a", {"custom": {"plan": "free"}}),
        ("a", {"custom.plan": "pro", "custom.seats": 3}),
    ]
    assert MergedSets().flush() == []


def test_statements_upsert() -> None:
    sets = MergedSets()
    sets.set("new", {"known": True})
    (op,) = sets.flush()
    assert op._upsert is True


def test_a_deeper_path_under_a_pending_one_and_a_parent_over_it_both_split() -> None:
    sets = MergedSets()
    sets.set("a", {"x.y.z": 1, "plain": 1})
    sets.set("a", {"x": {"y": 2}})  # above a pending path
    sets.set("a", {"x.y": 3})  # below the now-pending "x"
    sets.set("a", {"other.path": 4, "plain": 2})  # unrelated: folds in

    assert statements(sets) == [
        ("a", {"x.y.z": 1, "plain": 1}),
        ("a", {"x": {"y": 2}}),
        ("a", {"x.y": 3, "other.path": 4, "plain": 2}),
    ]

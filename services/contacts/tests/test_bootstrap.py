"""Which loops a contacts process runs: segment reviews (membership time changes) belong to
the processes that own partitions; an API-only replica (the Kubernetes `-api` Deployment,
consumers off) reviews no one, so each contact has one writer."""

from __future__ import annotations

from lodestone_contacts.bootstrap import create_app
from lodestone_contacts.segment_reviews import LOOP
from lodestone_contacts.settings import ContactsSettings


def reviews(**settings: object) -> bool:
    app = create_app(ContactsSettings(**settings))  # type: ignore[arg-type]
    runtime = app.state.runtime
    watched = LOOP in runtime.progress.checks
    running = any(
        getattr(loop, "__qualname__", "") == "SegmentReviews.run" for loop in runtime.loops
    )
    assert watched == running  # a loop that runs is watched, and only then
    return running


def test_segment_reviews_run_where_partitions_are_owned() -> None:
    assert reviews() is True
    assert reviews(consumers_enabled=False) is False

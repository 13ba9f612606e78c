"""New enrollments handed to this process's runner in memory.

The consumer that enrolls a contact owns the contact's partition, as does the runner beside
it, so a new enrollment due now is inserted already leased to that runner (enrolling.py) and
handed to it when the batch commits: it starts at once, without a claim statement or a poll
of the due index. The lease still fences it: if the runner cannot start it before the lease
runs low (a backlog, a shutdown), a claim takes it like any other due enrollment.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from lodestone_common.envelope import utcnow
from lodestone_common.ownership import partition_of


class Handed:
    def __init__(
        self,
        token: str,
        owned: Callable[[], frozenset[int] | None],
        wake: Callable[[], None],
        lease_seconds: float,
        at_most: int,
    ) -> None:
        self.token = token
        self.owned = owned  # the partitions the runner advances (None: all)
        self.wake = wake
        self.lease_seconds = lease_seconds
        self.at_most = at_most  # waiting at once; beyond, new enrollments are claimed
        self._queue: deque[dict[str, Any]] = deque()
        self._closed = False

    def lease(self, contact_id: str) -> tuple[str, datetime] | None:
        """(token, lease end) for a new enrollment of this contact, if the runner advances
        the contact and has room; None leaves the enrollment to a claim."""
        owned = self.owned()
        if self._closed or len(self._queue) >= self.at_most:
            return None
        if owned is not None and partition_of(contact_id) not in owned:
            return None
        return self.token, utcnow() + timedelta(seconds=self.lease_seconds)

    def hand(self, enrollments: list[dict[str, Any]]) -> None:
        """Enrollments inserted with this runner's lease, now committed."""
        if not self._closed:  # a closed runner's leases lapse: claims take them
            self._queue.extend(enrollments)
            self.wake()

    def take(self, free: int, margin: float) -> list[dict[str, Any]]:
        """Up to `free` of them, oldest first, whose lease has more than `margin` seconds
        left (one that ran low waiting is left to a claim, maybe another runner's)."""
        taken: list[dict[str, Any]] = []
        soon = utcnow() + timedelta(seconds=margin)
        while self._queue and len(taken) < free:
            enrollment = self._queue.popleft()
            if enrollment["claimed_until"] > soon:
                taken.append(enrollment)
        return taken

    def close(self) -> list[str]:
        """Take no more; the ids of those never started (their leases are to be released)."""
        self._closed = True
        ids = [e["_id"] for e in self._queue]
        self._queue.clear()
        return ids

    def __len__(self) -> int:
        return len(self._queue)

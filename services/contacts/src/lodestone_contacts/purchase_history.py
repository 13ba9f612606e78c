"""Records that bought before purchase history was kept get it from their timeline, once (a
migration marked done when it finishes), a batch per transaction. In the transaction an order
arriving meanwhile either is in the timeline read or conflicts with the write (and the batch
is tried again), and a record that got a history meanwhile is left alone: nothing is counted
twice or lost."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime
from typing import Any

from lodestone_common.envelope import utcnow
from lodestone_common.processing import Transactions, UnitOfWork

from .domain.purchases import purchase_update
from .stores import Stores

log = logging.getLogger(__name__)
BATCH = 200
MIGRATION = "purchase_history"


async def backfill_purchase_history(stores: Stores, transactions: Transactions) -> int:
    """Give every record that bought without a purchase history its history; how many."""
    if await stores.records.migrated(MIGRATION):
        return 0
    done, after = 0, ""
    while ids := await stores.records.without_purchase_history(after, BATCH):

        async def work(uow: UnitOfWork, ids: list[str] = ids) -> int:
            entries = await stores.timeline.of_type(ids, "purchase", uow.session)
            orders: dict[str, list[tuple[dict[str, Any], datetime]]] = defaultdict(list)
            for entry in entries:
                orders[entry["contact_id"]].append((entry.get("properties") or {}, entry["at"]))
            histories = {cid: purchase_update(found) for cid, found in orders.items()}
            return await stores.records.start_purchase_history(histories, uow.session)

        done += await transactions.run(work)
        after = ids[-1]
    await stores.records.mark_migrated(MIGRATION, utcnow())
    if done:
        log.info("gave contacts their purchase history", extra={"contacts": done})
    return done

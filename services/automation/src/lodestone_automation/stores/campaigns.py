"""Campaigns (each also the job document its sending runs as), their frozen recipients, and
what recipients did with the email.

Three collections, each with one writer, so no two writers ever race on a document: the
campaign is the API's and its sending job's (the job's lease keeps that one at a time),
recipients are the sending job's, reactions are the interactions consumer's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from ..domain.campaigns import REACTED

Session = AsyncClientSession | None


class Campaigns:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.campaigns = db["campaigns"]
        self.recipients = db["campaign_recipients"]
        self.reactions = db["campaign_reactions"]

    async def ensure_indexes(self) -> None:
        await self.campaigns.create_index([("created_at", DESCENDING)], name="newest")
        await self.recipients.create_index(
            [("campaign_id", ASCENDING), ("status", ASCENDING), ("_id", ASCENDING)],
            name="campaign_status",
        )
        await self.reactions.create_index(
            [("campaign_id", ASCENDING), ("reaction", ASCENDING)], name="campaign_reaction"
        )

    # -- campaigns --------------------------------------------------------------------------

    async def create(self, doc: dict[str, Any]) -> None:
        await self.campaigns.insert_one(doc)

    async def get(self, campaign_id: str) -> dict[str, Any] | None:
        return await self.campaigns.find_one({"_id": campaign_id})

    async def page(self, limit: int) -> list[dict[str, Any]]:
        return await self.campaigns.find().sort("created_at", DESCENDING).limit(limit).to_list()

    async def change(
        self, campaign_id: str, fields: dict[str, Any], statuses: list[str]
    ) -> dict[str, Any] | None:
        """Set fields of a campaign in one of `statuses`; None if it is in none of them."""
        return await self.campaigns.find_one_and_update(
            {"_id": campaign_id, "status": {"$in": statuses}},
            {"$set": fields},
            return_document=True,
        )

    async def delete(self, campaign_id: str, statuses: list[str]) -> bool:
        done = await self.campaigns.delete_one({"_id": campaign_id, "status": {"$in": statuses}})
        return done.deleted_count == 1

    # -- recipients (the sending job's) -----------------------------------------------------

    async def freeze(self, recipients: list[dict[str, Any]]) -> int:
        """Add recipients (a page of the audience); a page added again adds nothing."""
        if not recipients:
            return 0
        try:
            done = await self.recipients.insert_many(recipients, ordered=False)
            return len(done.inserted_ids)
        except BulkWriteError as exc:
            if any(e.get("code") != 11000 for e in exc.details.get("writeErrors", [])):
                raise
            return int(exc.details.get("nInserted", 0))

    async def pending(
        self, campaign_id: str, after: str | None, limit: int
    ) -> list[dict[str, Any]]:
        """The next recipients still to send to (queued, or in doubt after a crash)."""
        query: dict[str, Any] = {
            "campaign_id": campaign_id,
            "status": {"$in": ["sending", "queued"]},
        }
        if after is not None:
            query["_id"] = {"$gt": after}
        return await self.recipients.find(query).sort("_id", ASCENDING).limit(limit).to_list()

    async def mark(self, ids: list[str], status: str) -> None:
        # One statement per document, not an updateMany: outside a transaction the local
        # database can wedge one of those against an erase's transaction (bench/README.md).
        ops = [UpdateOne({"_id": rid}, {"$set": {"status": status}}) for rid in ids]
        if ops:
            await self.recipients.bulk_write(ops, ordered=False)

    async def settle(self, outcomes: list[tuple[str, str, dict[str, Any]]]) -> None:
        """Each recipient's outcome (status and what to keep), in one write."""
        ops = [
            UpdateOne({"_id": rid}, {"$set": {"status": status, **fields}})
            for rid, status, fields in outcomes
        ]
        if ops:
            await self.recipients.bulk_write(ops, ordered=False)

    async def audience(self, campaign_id: str) -> int:
        return await self.recipients.count_documents({"campaign_id": campaign_id})

    async def counts(self, campaign_id: str, audience: int | None) -> dict[str, int]:
        """Recipients by send status and people by reaction. Only the final statuses are
        counted (they only grow, so counts read one after the other never add a recipient
        twice); those still to send are the rest of the audience."""
        if audience is None:  # still freezing: as many as are frozen so far
            audience = await self.audience(campaign_id)
        counts = {
            status: await self.recipients.count_documents(
                {"campaign_id": campaign_id, "status": status}
            )
            for status in ("sent", "skipped", "failed")
        }
        counts["queued"] = max(audience - sum(counts.values()), 0)
        counts["audience"] = audience
        for reaction in REACTED:
            counts[reaction] = await self.reactions.count_documents(
                {"campaign_id": campaign_id, "reaction": reaction}
            )
        return counts

    async def recipients_page(
        self, campaign_id: str, status: str | None, after: str | None, limit: int
    ) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"campaign_id": campaign_id}
        if status:
            query["status"] = status
        if after:
            query["_id"] = {"$gt": after}
        cursor = self.recipients.find(query, {"contact": 0}).sort("_id", ASCENDING).limit(limit)
        return await cursor.to_list()

    # -- reactions (the interactions consumer's) --------------------------------------------

    async def reactions_of(self, recipient_ids: list[str]) -> dict[str, dict[str, datetime]]:
        """{recipient id: {reaction: first time}}."""
        found: dict[str, dict[str, datetime]] = {}
        async for doc in self.reactions.find({"recipient_id": {"$in": recipient_ids}}):
            found.setdefault(doc["recipient_id"], {})[doc["reaction"]] = doc["at"]
        return found

    async def react(self, seen: list[tuple[str, str, str, datetime]], session: Session) -> None:
        """(campaign, recipient, reaction, when): the first time of each is kept; doing it
        again (a second click, a redelivered event) changes nothing."""
        ops = [
            UpdateOne(
                {"_id": f"{recipient_id}:{reaction}"},
                {
                    "$setOnInsert": {
                        "campaign_id": campaign_id,
                        "recipient_id": recipient_id,
                        "contact_id": recipient_id.partition(":")[2],
                        "reaction": reaction,
                    },
                    "$min": {"at": at},
                },
                upsert=True,
            )
            for campaign_id, recipient_id, reaction, at in seen
        ]
        if ops:
            await self.reactions.bulk_write(ops, ordered=False, session=session)

    async def forget(self, contact_ids: list[str], session: Session) -> None:
        """Erase: the person's recipient records and reactions go (counts keep nothing of
        theirs either)."""
        query = {"contact_id": {"$in": contact_ids}}
        await self.recipients.delete_many(query, session=session)
        await self.reactions.delete_many(query, session=session)

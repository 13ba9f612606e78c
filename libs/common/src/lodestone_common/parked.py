"""Inspect and re-drive outbox rows Kafka could never take. `lodestone-parked --help`.

  list       one line per parked row of a service: when, which topic and event, and why
  show ID    one parked row whole (the event pretty-printed)
  redrive    put parked rows back at the end of the outbox once the cause is fixed
             (the topic's or producer's size limit raised, say); a row that still cannot
             be sent is parked again by the relay
  drop       delete parked rows for good

A service's relay parks a row instead of retrying it forever, so the events behind it keep
flowing; its `lodestone_outbox_parked_total` metric counts them. Re-driving is safe to repeat:
consumers apply an event id once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import AsyncMongoClient

from .envelope import utcnow
from .outbox import PARKED

SERVICES = ("contacts", "scoring", "automation", "reporting")


async def _rows(db: Any, ids: list[str]) -> list[dict[str, Any]]:
    query: dict[str, Any] = {}
    if ids:
        try:
            query = {"_id": {"$in": [ObjectId(i) for i in ids]}}
        except InvalidId as exc:
            raise SystemExit(f"not a parked row id: {exc}") from exc
    return await db[PARKED].find(query).sort("_id", 1).to_list(None)


async def redrive(db: Any, rows: list[dict[str, Any]]) -> int:
    """Back into the outbox, behind what is pending; removed from the parked rows after."""
    moved = 0
    for row in rows:
        fresh = {k: v for k, v in row.items() if k not in ("_id", "reason", "error", "parked_at")}
        fresh.update(_id=ObjectId(), created_at=utcnow(), redriven_from=row["_id"])
        await db["outbox"].insert_one(fresh)
        await db[PARKED].delete_one({"_id": row["_id"]})
        moved += 1
    return moved


def _summary(row: dict[str, Any]) -> str:
    size = len(row.get("value") or b"")
    return (
        f"{row['_id']}  {str(row.get('parked_at', '?'))[:19]}  {row.get('topic')}  "
        f"{row.get('event_id')}  {size} bytes\n    why: {row.get('reason')}: {row.get('error')}"
    )


def _show(row: dict[str, Any]) -> str:
    value = row.get("value") or b""
    try:
        body = json.dumps(json.loads(value), indent=2)
        if len(body) > 20_000:
            body = body[:20_000] + f"\n… ({len(body)} characters in all)"
    except ValueError:
        body = repr(value[:4000])
    meta = {k: v for k, v in row.items() if k not in ("value", "key")}
    head = "\n".join(f"  {k}: {v}" for k, v in meta.items())
    return f"parked row {row['_id']}\n{head}\nevent:\n{body}"


async def _main(args: argparse.Namespace) -> int:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(args.mongo_url, tz_aware=True)
    try:
        db = client[args.database or f"lodestone_{args.service}"]
        rows = await _rows(db, getattr(args, "ids", []) or [])
        if args.command == "list":
            for row in rows:
                print(_summary(row))
            print(f"{len(rows)} parked row(s) in {db.name}")
            return 0
        if args.command == "show":
            if not rows:
                print(f"no parked row {args.ids[0]}", file=sys.stderr)
                return 1
            print(_show(rows[0]))
            return 0
        if not args.yes:
            for row in rows:
                print(f"would {args.command} {row['_id']} ({row.get('topic')})")
            print(f"{len(rows)} row(s); add --yes to {args.command} them")
            return 0
        if args.command == "redrive":
            print(f"re-drove {await redrive(db, rows)} row(s) into the outbox")
        else:
            result = await db[PARKED].delete_many({"_id": {"$in": [r["_id"] for r in rows]}})
            print(f"dropped {result.deleted_count} parked row(s)")
        return 0
    finally:
        await client.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="lodestone-parked",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Rows are named by their id (see `list`).",
    )
    parser.add_argument("--mongo-url", default="mongodb://127.0.0.1:27017/?directConnection=true")
    parser.add_argument("--service", choices=SERVICES, default="contacts")
    parser.add_argument("--database", help="the service's database, if not lodestone_SERVICE")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="one line per parked row")
    show = commands.add_parser("show", help="one parked row whole")
    show.add_argument("ids", nargs=1, metavar="ID")
    for name, what in (("redrive", "put rows back into the outbox"), ("drop", "delete rows")):
        command = commands.add_parser(name, help=what)
        command.add_argument("ids", nargs="*", metavar="ID", help="default: every parked row")
        command.add_argument("--yes", action="store_true", help="do it (otherwise only say what)")
    return asyncio.run(_main(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())

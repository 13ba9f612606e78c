"""Inspect and replay the dead-letter topic. `lodestone-deadletters --help`.

  list     one line per dead letter: where it came from, which consumer gave up, and why
  show N   one dead letter whole (headers and the message, pretty-printed when it is JSON)
  replay   re-publish dead letters to their original topic once the cause is fixed

Replaying is safe to repeat: every consumer applies an event id once, so a letter replayed
twice, or one that some consumer groups had processed, changes nothing the second time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer

from .kafka import TopicSnapshot
from .kafka_auth import KafkaSettings
from .topics import DEAD_LETTER


@dataclass
class Letter:
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, str]

    @property
    def ref(self) -> str:
        return f"{self.partition}:{self.offset}"

    @property
    def origin(self) -> str:
        h = self.headers
        if "x-original-topic" not in h and "x-origin" in h:
            return h["x-origin"]  # refused at an API (e.g. POST /v1/batch), never on a topic
        topic = h.get("x-original-topic", "?")
        return f"{topic}/{h.get('x-original-partition', '?')}@{h.get('x-original-offset', '?')}"


async def read(
    bootstrap: str, topic: str = DEAD_LETTER, security: Mapping[str, Any] | None = None
) -> list[Letter]:
    """Every letter on the topic, oldest first per partition (no consumer group is used)."""
    letters: list[Letter] = []
    async with TopicSnapshot(bootstrap, [topic], security=security) as snapshot:
        if not snapshot.partitions:
            raise SystemExit(f"no topic {topic!r} on {bootstrap}")
        async for records in snapshot.batches():
            for r in records:
                headers = {k: v.decode(errors="replace") for k, v in r.headers or ()}
                letters.append(Letter(r.partition, r.offset, r.key, r.value or b"", headers))
    return letters


def select(letters: list[Letter], args: argparse.Namespace) -> list[Letter]:
    chosen = letters
    if getattr(args, "refs", None):
        wanted = set(args.refs)
        chosen = [x for x in chosen if x.ref in wanted]
    if getattr(args, "origin_topic", None):
        chosen = [x for x in chosen if x.headers.get("x-original-topic") == args.origin_topic]
    if getattr(args, "group", None):
        chosen = [x for x in chosen if x.headers.get("x-dlq-group") == args.group]
    if getattr(args, "reason", None):
        needle = args.reason.lower()
        chosen = [x for x in chosen if needle in x.headers.get("x-dlq-reason", "").lower()]
    return chosen


async def replay(
    bootstrap: str, letters: list[Letter], security: Mapping[str, Any] | None = None
) -> int:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, **(security or {})
    )
    await producer.start()
    sent = 0
    try:
        futures = []
        for letter in letters:
            topic = letter.headers.get("x-original-topic")
            if not topic:
                continue
            headers = [("x-replayed-from", f"{DEAD_LETTER}/{letter.ref}".encode())]
            futures.append(
                await producer.send(topic, letter.value, key=letter.key, headers=headers)
            )
            sent += 1
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return sent


def _summary(letter: Letter) -> str:
    what = "?"
    try:
        body = json.loads(letter.value)
        if isinstance(body, dict):
            what = f"{body.get('event_type', '?')} {body.get('event_id', '')}".strip()
    except ValueError:
        what = f"{len(letter.value)} bytes, not JSON"
    h = letter.headers
    return (
        f"{letter.ref:>9}  {h.get('x-failed-at', '?')[:19]}  {letter.origin}  "
        f"{h.get('x-dlq-group', '?')}  {what}\n           why: {h.get('x-dlq-reason', '?')}"
    )


def _show(letter: Letter) -> str:
    try:
        body: Any = json.dumps(json.loads(letter.value), indent=2)
    except ValueError:
        body = repr(letter.value[:4000])
    headers = "\n".join(f"  {k}: {v}" for k, v in sorted(letter.headers.items()))
    key = letter.key.decode(errors="replace") if letter.key else None
    return f"dead letter {letter.ref}\nkey: {key}\nheaders:\n{headers}\nmessage:\n{body}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="lodestone-deadletters",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Letters are named PARTITION:OFFSET on the dead-letter topic (see `list`).",
    )
    kafka = KafkaSettings()  # LODESTONE_KAFKA_* : the bootstrap servers and how to log in
    parser.add_argument(
        "--bootstrap", default=kafka.kafka_bootstrap, help="Kafka bootstrap servers"
    )
    parser.add_argument("--topic", default=DEAD_LETTER, help="the dead-letter topic")
    commands = parser.add_subparsers(dest="command", required=True)
    filters = argparse.ArgumentParser(add_help=False)
    filters.add_argument("--origin-topic", help="only letters that came from this topic")
    filters.add_argument("--group", help="only letters this consumer group gave up on")
    filters.add_argument("--reason", help="only letters whose reason contains this text")
    commands.add_parser("list", parents=[filters], help="one line per dead letter")
    show = commands.add_parser("show", help="one dead letter whole")
    show.add_argument("refs", nargs=1, metavar="PARTITION:OFFSET")
    again = commands.add_parser(
        "replay", parents=[filters], help="re-publish letters to their original topic"
    )
    again.add_argument("refs", nargs="*", metavar="PARTITION:OFFSET", help="default: all chosen")
    again.add_argument("--yes", action="store_true", help="do it (otherwise only say what)")
    args = parser.parse_args(argv)

    letters = select(asyncio.run(read(args.bootstrap, args.topic, kafka.kafka_security())), args)
    if args.command == "list":
        for letter in letters:
            print(_summary(letter))
        print(f"{len(letters)} dead letter(s)")
        return 0
    if args.command == "show":
        if not letters:
            print(f"no dead letter {args.refs[0]}", file=sys.stderr)
            return 1
        print(_show(letters[0]))
        return 0
    if not args.yes:
        for letter in letters:
            print(f"would replay {letter.ref} to {letter.headers.get('x-original-topic')}")
        print(f"{len(letters)} letter(s); add --yes to replay them")
        return 0
    sent = asyncio.run(replay(args.bootstrap, letters, kafka.kafka_security()))
    print(f"replayed {sent} letter(s) to their original topics")
    return 0


if __name__ == "__main__":
    sys.exit(main())

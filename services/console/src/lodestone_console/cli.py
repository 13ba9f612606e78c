"""`lodestone-console-users`: create a user (e.g. the first admin in production) or reset a
password, straight in the console's database."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from lodestone_common.mongo import make_client
from lodestone_common.people import ROLES

from .domain.users import UserChange, UserDraft
from .service import People
from .settings import ConsoleSettings
from .stores.sessions import Sessions
from .stores.users import EmailTaken, Users


async def _main(args: argparse.Namespace) -> int:
    settings = ConsoleSettings()
    client = make_client(settings.mongo_url, "lodestone-console-cli")
    assert settings.mongo_db
    db = client[settings.mongo_db]
    people = People(Users(db), Sessions(db), settings.session_hours)
    await people.users.ensure_indexes()
    password = args.password or getpass.getpass("password (10 characters or more): ")
    try:
        if args.command == "create":
            draft = UserDraft(
                email=args.email,
                name=args.name or args.email,
                role=args.role,
                rep_id=args.rep_id,
                password=password,
            )
            await people.create(draft, "cli")
            print(f"created {draft.email} ({draft.role})")
        else:
            user = await people.users.by_email(args.email.strip().lower())
            if user is None:
                print(f"no user {args.email}", file=sys.stderr)
                return 1
            await people.change(user["_id"], UserChange(password=password))
            print(f"new password set for {user['email']}; their sessions ended")
    except EmailTaken:
        print(f"a user with email {args.email} exists", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    finally:
        await client.close()
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="lodestone-console-users", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create", help="create a user")
    create.add_argument("--email", required=True)
    create.add_argument("--name")
    create.add_argument("--role", choices=ROLES, required=True)
    create.add_argument("--rep-id", help="the rep record a rep user works as")
    create.add_argument("--password", help="prompted for when left out")
    reset = sub.add_parser("reset-password", help="set a new password (ends their sessions)")
    reset.add_argument("--email", required=True)
    reset.add_argument("--password", help="prompted for when left out")
    sys.exit(asyncio.run(_main(parser.parse_args())))

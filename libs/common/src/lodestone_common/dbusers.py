"""Each service its own database user, who may read and write its own database and nothing
else: a leaked contacts password reads no console password hashes and plants no session.
`lodestone-db-users --help`.

Users live in the `admin` database (connect with `authSource=admin`); each is named after its
service and holds `readWrite` on `lodestone_<service>`. Running again updates passwords and
roles, so it is also how passwords are rotated.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from pymongo import MongoClient
from pymongo.errors import PyMongoError

# Every process that owns a database.
SERVICES = ("contacts", "scoring", "automation", "reporting", "console")


def database_of(service: str) -> str:
    return f"lodestone_{service}"


def ensure_users(
    client: MongoClient,  # type: ignore[type-arg]
    passwords: Mapping[str, str],
    databases: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Create or update each service's user; {service: "created" | "updated"}. The client
    must be allowed to manage users (a root or userAdminAnyDatabase user, or the server's
    localhost exception before the first user exists)."""
    admin = client.admin
    done: dict[str, str] = {}
    for service, password in passwords.items():
        roles = [{"role": "readWrite", "db": (databases or {}).get(service, database_of(service))}]
        if admin.command("usersInfo", service)["users"]:
            admin.command("updateUser", service, pwd=password, roles=roles)
            done[service] = "updated"
        else:
            admin.command("createUser", service, pwd=password, roles=roles)
            done[service] = "created"
    return done


def with_login(url: str, user: str, password: str) -> str:
    """`url` logging in as `user` (users live in `admin`)."""
    parts = urlsplit(url)
    hosts = parts.netloc.rsplit("@", 1)[-1]
    query = dict(parse_qsl(parts.query))
    query.setdefault("authSource", "admin")
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{hosts}"
    return urlunsplit((parts.scheme, netloc, parts.path or "/", urlencode(query), ""))


def has_login(url: str) -> bool:
    """Whether a connection string names a user or authenticates by X.509 certificate."""
    parts = urlsplit(url)
    mechanism = dict(parse_qsl(parts.query)).get("authMechanism", "")
    return "@" in parts.netloc or mechanism.upper() == "MONGODB-X509"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="lodestone-db-users",
        description="Create or update each service's database user (readWrite on its own "
        "database only). Passwords come from LODESTONE_MONGO_<SERVICE>_PASSWORD; services "
        "without one are left alone.",
    )
    parser.add_argument(
        "--url",
        default=os.environ.get("LODESTONE_MONGO_URL", "mongodb://127.0.0.1:27017/"),
        help="a connection string of a user who may manage users (default: LODESTONE_MONGO_URL)",
    )
    args = parser.parse_args(argv)
    passwords = {
        s: p for s in SERVICES if (p := os.environ.get(f"LODESTONE_MONGO_{s.upper()}_PASSWORD"))
    }
    if not passwords:
        parser.exit(2, "lodestone-db-users: set LODESTONE_MONGO_<SERVICE>_PASSWORD for some\n")
    client: MongoClient = MongoClient(args.url, serverSelectionTimeoutMS=30_000)  # type: ignore[type-arg]
    try:
        done = ensure_users(client, passwords)
    except PyMongoError as exc:
        parser.exit(1, f"lodestone-db-users: {exc}\n")
    finally:
        client.close()
    for service, state in done.items():
        print(f"{service:12} readWrite on {database_of(service):22} {state}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

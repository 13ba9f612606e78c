"""`lodestone-contacts-import FILE`: upload a CSV to the contacts API and show its progress."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import httpx


def _count_rows(path: Path) -> int:
    with path.open("rb") as handle:
        return max(
            sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b"")) - 1, 0
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="lodestone-contacts-import",
        description="Import contacts from a UTF-8 CSV file (header row first) and follow progress.",
    )
    parser.add_argument("file", type=Path, help="the CSV file")
    parser.add_argument(
        "--url",
        default=os.environ.get("LODESTONE_CONTACTS_URL", "http://127.0.0.1:8001"),
        help="contacts service base URL (env LODESTONE_CONTACTS_URL)",
    )
    parser.add_argument(
        "--key",
        default=os.environ.get("LODESTONE_API_KEY", "lodestone-dev-key"),
        help="API key with contacts:write (env LODESTONE_API_KEY)",
    )
    parser.add_argument(
        "--show-errors",
        type=int,
        default=20,
        metavar="N",
        help="print the first N row errors (default 20)",
    )
    args = parser.parse_args(argv)
    if not args.file.is_file():
        parser.error(f"{args.file} is not a file")
    expected = _count_rows(args.file)
    headers = {"Authorization": f"Bearer {args.key}", "Content-Type": "text/csv"}
    with httpx.Client(base_url=args.url, headers=headers, timeout=300) as http:
        with args.file.open("rb") as body:
            response = http.post("/v1/contacts/imports", content=body)
        if response.status_code != 202:
            print(f"import refused ({response.status_code}): {response.text}", file=sys.stderr)
            return 2
        job = response.json()
        started = time.monotonic()
        while True:
            job = http.get(f"/v1/contacts/imports/{job['id']}").json()
            done = job["rows_read"]
            rate = done / max(time.monotonic() - started, 1e-6)
            percent = 100 * done / expected if expected else 100
            print(
                f"\r{percent:5.1f}%  {done:,}/{expected:,} rows  created {job['created']:,}  "
                f"updated {job['updated']:,}  failed {job['failed']:,}  {rate:,.0f} rows/s",
                end="",
                flush=True,
            )
            if job["status"] != "running":
                break
            time.sleep(0.5)
    print()
    for error in job["errors"][: args.show_errors]:
        print(f"  line {error['line']}: {error['field']}: {error['message']}")
    if job["status"] != "done":
        print(f"import {job['status']}: {job.get('reason')}", file=sys.stderr)
        return 1
    print(f"import {job['id']} done in {time.monotonic() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`python -m bench [NAME ...]` runs the named benchmarks (all by default)."""

from __future__ import annotations

import argparse

from . import (
    automation,
    campaigns,
    ingestion,
    limits,
    pipeline,
    reporting,
    scale,
    scoring,
    search,
    workers,
)
from .harness import summary

BENCHMARKS = {
    "limits": limits.main,  # first: the raw rates every other figure is a share of
    "pipeline": pipeline.main,  # the whole suite: end to end, per consumer, latency, memory
    "automation": automation.main,
    "campaigns": campaigns.main,
    "ingestion": ingestion.main,
    "reporting": reporting.main,
    "scoring": scoring.main,
    "search": search.main,
    "workers": workers.main,  # each service scaled on its own: the bottleneck at 1, 2, 3 workers
    "scale": scale.main,  # last and longest: memory and reports at 1M contacts, 10M interactions
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"any of: {', '.join(BENCHMARKS)}")
    args = parser.parse_args()
    unknown = set(args.names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"no benchmark named {', '.join(sorted(unknown))}")
    for name in args.names or list(BENCHMARKS):
        print(f"== {name} ==", flush=True)
        BENCHMARKS[name]()
    summary()


if __name__ == "__main__":
    main()

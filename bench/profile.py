"""Sampling profiles of running services with py-spy, summarized by where the CPU goes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

from .harness import RESULTS, ROOT

PY_SPY = ROOT / ".venv" / "bin" / "py-spy"
_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^:]+)(?::\d+)?\)$")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuShares:
    """CPU seconds each process (services, Kafka, the database, this load generator) used
    during a phase: on two shared cores, what is saturated is the bottleneck."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids

    def __enter__(self) -> CpuShares:
        self.started = time.perf_counter()
        self.before = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started
        self.used = {name: cpu_seconds(pid) - self.before[name] for name, pid in self.pids.items()}

    def table(self) -> dict[str, float]:
        """Cores each process kept busy on average (2.0 = both cores all the time)."""
        return {name: used / self.seconds for name, used in self.used.items()}


class Profiles:
    """py-spy on each pid while a phase runs (non-blocking: the services are not paused)."""

    def __init__(self, pids: dict[str, int], name: str) -> None:
        self.pids, self.name = pids, name
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.files: dict[str, Path] = {}

    def __enter__(self) -> Profiles:
        RESULTS.mkdir(parents=True, exist_ok=True)
        for service, pid in self.pids.items():
            path = RESULTS / f"profile-{self.name}-{service}.txt"
            self.files[service] = path
            self.procs[service] = subprocess.Popen(
                [
                    *(str(PY_SPY), "record", "--nonblocking", "--format", "raw", "--rate", "50"),
                    *("--pid", str(pid), "--output", str(path)),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in self.procs.values():
            proc.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()

    def summaries(self) -> dict[str, dict[str, Any]]:
        return {s: summarize(p) for s, p in self.files.items() if p.exists()}


def _where(path: str) -> str:
    """The package a frame's file belongs to (py-spy names files from their package root;
    our own modules keep their module name)."""
    parts = path.split("/")
    if parts[0].startswith("lodestone_"):
        return "/".join(parts[:2]).removesuffix(".py")
    return parts[0].removesuffix(".py")


def summarize(path: Path) -> dict[str, Any]:
    """Self time (the frame on top of the stack) by package and by function, as shares of
    all samples, plus inclusive time of our own functions (what they spend, calls included)."""
    by_package: Counter[str] = Counter()
    by_function: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        frames = [m for f in stack.split(";") if (m := _FRAME.match(f.strip()))]
        if not frames:
            continue
        total += n
        leaf = frames[-1]
        by_package[_where(leaf["file"])] += n
        by_function[f"{leaf['func']} ({_where(leaf['file'])})"] += n
        for name in {
            f"{f['func']} ({_where(f['file'])})"
            for f in frames
            if f["file"].startswith("lodestone_")
        }:
            ours[name] += n

    def top(counter: Counter[str], k: int) -> list[tuple[str, float]]:
        return [(name, n / total) for name, n in counter.most_common(k)] if total else []

    return {
        "samples": total,
        "self_by_package": top(by_package, 8),
        "self_by_function": top(by_function, 8),
        "inclusive_own_functions": top(ours, 12),
    }


def print_summaries(summaries: dict[str, dict[str, Any]]) -> None:
    cores = summaries.get("cores busy")
    if cores:
        print("  cores busy (of 2): " + ", ".join(f"{k} {v:.2f}" for k, v in cores.items()))
    for service, s in summaries.items():
        if service == "cores busy":
            continue
        print(f"\n  {service}: {s['samples']:,} samples (50/s while on CPU)")
        print("    self time by package:  " + _line(s["self_by_package"][:6]))
        print("    self time by function: " + _line(s["self_by_function"][:4]))
        print("    own code, inclusive:   " + _line(s["inclusive_own_functions"][:6]))


def _line(items: list[tuple[str, float]]) -> str:
    return "; ".join(f"{name} {share:.0%}" for name, share in items)

"""Another process keeping every core busy, as on a loaded CI machine or laptop."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator

# Spins until its deadline: bounded in time even if the test that started it dies.
_SPIN = (
    "import sys, time\n"
    "end = time.monotonic() + float(sys.argv[1])\n"
    "while time.monotonic() < end: pass\n"
)


@contextlib.contextmanager
def cpu_hog(seconds: float, processes: int | None = None) -> Iterator[None]:
    """One spinning process per core (at normal priority) for at most `seconds`."""
    hogs = [
        subprocess.Popen([sys.executable, "-c", _SPIN, str(seconds)])
        for _ in range(processes or os.cpu_count() or 2)
    ]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()

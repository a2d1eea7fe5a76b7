"""CPU burners: a machine with every core busy, for the determinism checks.

The executor's verdicts must not depend on the machine's load (execute/worker.py,
*Time-limit policy*); the regression test and ``benchmarks/executor.py`` check that by
running the same work once quiet and once inside :func:`busy_cores`.  Each burner is a
plain ``while True: pass`` interpreter, started and killed by its own pid here (never by
name: the machine may run other people's Python).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from .base import default_jobs


@contextmanager
def busy_cores(per_core: int = 2, cores: int | None = None) -> Iterator[list[int]]:
    """Keep ``per_core`` CPU-bound processes per core running inside the block; yields
    their pids.  Two per core leave a runner a third of a core at best (less when other
    sessions compete), the situation in which a wall-clock-bound limit trips."""
    n = per_core * (cores or default_jobs())
    procs: list[subprocess.Popen] = []
    try:
        for _ in range(n):
            procs.append(subprocess.Popen(
                [sys.executable, "-c", "while True: pass"], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                env={"PATH": os.environ.get("PATH", "")}))
        yield [p.pid for p in procs]
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait()

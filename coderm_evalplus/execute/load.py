"""Machine-load tools for the determinism and memory checks: CPU burners (a machine with
every core busy) and the resident memory of a process tree.

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


def tree_rss_bytes(root: int | None = None) -> int:
    """VmRSS summed over ``root`` (default: this process) and all its descendants, read
    from /proc (shared pages counted once per process, so an upper bound).  The
    executor's memory benchmark and test watch the whole tree because the runners, not
    the pipeline process, hold the candidates' memory."""
    root = os.getpid() if root is None else root
    parent: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    stat = f.read()
                parent[int(entry)] = int(stat[stat.rindex(")") + 2:].split()[1])
            except (OSError, ValueError):
                pass
    tree, grew = {root}, True
    while grew:
        grew = False
        for pid, ppid in parent.items():
            if ppid in tree and pid not in tree:
                tree.add(pid)
                grew = True
    total = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/status") as f:
                total += sum(int(line.split()[1]) * 1024 for line in f
                             if line.startswith("VmRSS:"))
        except OSError:
            pass
    return total

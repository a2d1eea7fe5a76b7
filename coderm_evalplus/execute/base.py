"""The contract between the pipeline and a sandbox backend.

The pipeline (via :mod:`coderm_evalplus.execute.runner`) dedupes candidates and tests,
consults the verdict cache, and sends only the missing pairs to a backend as
:class:`Batch` es: one candidate program with several tests.  A backend (local fork
server, Docker containers, Ray actors) runs each batch with
:mod:`coderm_evalplus.execute.worker` - the one copy of the runner code - and reports each
verdict through ``on_verdict(batch_id, test_position, verdict)`` as soon as it is known,
in any order.  A backend must report every pair of every batch exactly once, even when a
worker dies (re-run the unfinished pairs elsewhere).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Protocol

DEFAULT_TIME_LIMIT = 1.0
"""Seconds of CPU per pair for function-call tests (HumanEval / MBPP asserts and unittest
classes): the paper's 1 s (its executor's alarm per test, per unittest class for CodeRM).
It was 0.05 s (10x the slowest cheap pass on CodeT's asserts), which made runs ~10x faster
but verdicts load-dependent: pairs that take 30-50 ms of CPU, program imports of
third-party packages, and starved runners straddled it (measured: docs/results.md).  A
pair that ends early still costs only its own time; the limit costs only hanging pairs
(see worker.py, *Time-limit policy*)."""
STDIN_TIME_LIMIT = 1.0
"""Seconds per pair for LiveCodeBench (stdin programs, larger inputs): the paper's 1 s."""


@dataclass(frozen=True)
class Limits:
    """Resource limits applied to every (candidate, test) pair.

    ``time_limit`` is CPU seconds for candidate program + one test (wall clock for a pair
    that sleeps or waits; see execute/worker.py), enforced by the fork server.  ``memory_mb`` is the address-space rlimit;
    ``max_output_bytes`` caps what a pair may write to stdout/stderr (file-size rlimit);
    ``max_processes`` caps processes of the sandbox user (fork bombs).
    """

    time_limit: float = DEFAULT_TIME_LIMIT
    memory_mb: int = 4096
    max_output_bytes: int = 8 * 1024 * 1024
    max_processes: int = 64

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class TestSpec:
    """A test as the worker needs it (no provenance, just what runs)."""

    source: str
    kind: str = "unittest"
    class_name: str | None = None

    def as_dict(self) -> dict:
        return {"source": self.source, "kind": self.kind, "class_name": self.class_name}


@dataclass
class Batch:
    """One candidate program and the tests to run after it, each pair in isolation."""

    id: int
    program: str
    tests: list[TestSpec] = field(default_factory=list)

    def as_message(self, limits: Limits) -> dict:
        """The JSON message the worker protocol carries (see worker.py)."""
        return {"id": self.id, "program": self.program,
                "tests": [t.as_dict() for t in self.tests], "limits": limits.as_dict()}


OnVerdict = Callable[[int, int, int], None]


class Executor(Protocol):
    """A sandbox backend (registered through ``register_sandboxes``)."""

    name: str
    jobs: int

    def run(self, batches: Iterable[Batch], limits: Limits, on_verdict: OnVerdict) -> None:
        """Run every pair of every batch; call ``on_verdict`` once per pair."""
        ...

    def close(self) -> None:
        """Release every process / container / actor; safe to call twice."""
        ...


def default_jobs() -> int:
    """Worker count default: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)

"""What a harness adapter is: it turns a benchmark's files into :class:`Problem` s with
candidates, and grades picks with the benchmark's *official* grader.

Registered through ``register_harnesses`` (``plugins.get_harness(name, **options)``
builds one) and driven by :func:`coderm_evalplus.harness.run.run_harness`, the one path
every harness entry takes: label -> select -> grade picks -> report.  The pipeline never
grades by itself, so scores printed by coderm-evalplus are the harness's own numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from ..model import Problem


class Harness(Protocol):
    name: str

    def load_problems(self, **options: Any) -> list[Problem]:
        """Problems of the benchmark with their candidates (from the harness's samples)."""
        ...

    def prepare(self, problems: Sequence[Problem], work_dir: Path | None) -> None:
        """Before the selection stage: e.g. start grading every candidate in the
        background while the tests run."""
        ...

    def label_candidates(self, problems: list[Problem], work_dir: Path | None) -> Any:
        """Set ``Candidate.label`` for every candidate with the official grader."""
        ...

    def close(self) -> None:
        """After the selection stage, also when it failed: stop background work."""
        ...

    def restore_sources(self, problems: Sequence[Problem]) -> None:
        """Give candidates back the source the user sampled, where the harness ran a
        wrapped program instead (picks must be what the official grader grades)."""
        ...

    def grade_picks(self, picks: Mapping[str, str], work_dir: Path | None) -> Any:
        """Grade one program per task with the official grader; return its scores."""
        ...

    def add_to_report(self, report: dict[str, Any], graded: Any) -> None:
        """Put the harness's own numbers (``graded``: :meth:`grade_picks`' result, None
        when the picks were not graded) into the run's report."""
        ...


class BaseHarness:
    """No-op defaults of the optional steps of :class:`Harness`, for harnesses to
    inherit (a plugin's harness only writes what its benchmark needs)."""

    def prepare(self, problems: Sequence[Problem], work_dir: Path | None) -> None:
        return None

    def close(self) -> None:
        return None

    def restore_sources(self, problems: Sequence[Problem]) -> None:
        return None

    def add_to_report(self, report: dict[str, Any], graded: Any) -> None:
        return None

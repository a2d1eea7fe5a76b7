"""The one path of a harness run: label -> select -> grade picks -> report.

Every entry to a benchmark (``coderm-evalplus evalplus`` / ``livecodebench``, the
``evalplus.evaluate --selector`` flag, LiveCodeBench's custom runner, the Python API)
calls :func:`run_harness`; they differ only in how they read their arguments and what
they print or write around it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..inputs.recorded_tests import read_recorded_tests
from ..model import Problem
from ..pipeline import RunConfig, RunResult, run, write_outputs
from ..plugins import get_harness
from .base import Harness


@dataclass
class HarnessRun:
    """A finished harness run: the selection stage's result, the harness that graded
    it, the picks (task -> program as sampled) and the harness's grade of them."""

    result: RunResult
    harness: Harness
    picks: dict[str, str]
    graded: Any


def read_tests_for(tests: str | os.PathLike[str], problems: Sequence[Problem], *,
                   require_all: bool = False) -> dict[str, list[str]]:
    """Recorded test completions for ``problems`` (``require_all``: every task must have
    some, checked here so the error names the tests file before any work starts)."""
    completions = read_recorded_tests(tests, {p.task_id: p for p in problems})
    if require_all:
        missing = [p.task_id for p in problems if p.task_id not in completions]
        if missing:
            raise InputError(tests, "no recorded tests for this task", task=missing[0],
                             field="task_id")
    return completions


def run_harness(harness: Harness | str, config: RunConfig, *,
                problems: list[Problem] | None = None,
                harness_options: Mapping[str, Any] | None = None,
                load_options: Mapping[str, Any] | None = None,
                completions: Mapping[str, Sequence[str]] | None = None,
                tests_source: object = "tests",
                test_formats: Mapping[str, str] | None = None,
                out_dir: Path | None = None, work_dir: Path | None = None,
                grade: bool = True) -> HarnessRun:
    """Run the selection stage on a harness's problems and grade the picks with it.

    ``harness`` is a harness or a registered name (built with ``harness_options``);
    ``problems`` default to ``harness.load_problems(**load_options)``.  Candidates are
    labelled by the harness while the report is built (``prepare`` may start that
    early); ``grade`` False leaves the picks ungraded (the ``--selector`` flag hands them
    to evalplus's own run instead).  ``out_dir`` gets picks, matrices and the report,
    written once the harness's numbers are in it; ``work_dir`` is the harness's.
    """
    h: Harness = (get_harness(harness, **dict(harness_options or {}))
                  if isinstance(harness, str) else harness)
    if problems is None:
        problems = h.load_problems(**dict(load_options or {}))
    h.prepare(problems, work_dir)
    try:
        result = run(problems, config, completions=completions, out_dir=None,
                     grade=lambda ps: h.label_candidates(ps, work_dir),
                     tests_source=tests_source, test_formats=test_formats)
    finally:
        h.close()
    h.restore_sources(result.problems)
    picks = result.picks()
    graded = h.grade_picks(picks, work_dir) if grade else None
    h.add_to_report(result.report, graded)
    if out_dir is not None:
        write_outputs(Path(out_dir), result)
    return HarnessRun(result, h, picks, graded)

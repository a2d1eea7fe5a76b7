"""A run's inputs, put together once: samples, the benchmark they answer, labels, tests.

The ``select`` command and the embedded demo read the same kinds of files; this module
decides in one pass which problem set the samples need (the format is detected once),
builds the problems with their candidates, attaches labels and reads the recorded tests
against the same problems, so every error names the file the user gave.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .. import demo
from ..errors import UsageError
from ..model import Problem
from .codet import load_task_id_list
from .labels import apply_labels
from .problem_sets import load_problem_set
from .recorded_tests import detect_tests_format, load_tests_file
from .samples import build_problems, detect_samples_format


@dataclass
class RunInputs:
    """Problems with candidates (labelled when labels were given) and, when recorded
    tests were given, their raw completions and recorded formats per task."""

    problems: list[Problem]
    completions: dict[str, list[str]] | None = None
    formats: dict[str, str] | None = None
    problem_set: dict[str, Problem] | None = None


def select_problem_set(problems: str | None, fmt: str, detected: str,
                       task_ids: str | os.PathLike[str] | None) -> dict[str, Problem] | None:
    """The benchmark the samples answer.  CodeT files name no tasks, so they need
    HumanEval (CodeT's benchmark) unless a task id list says which line is which task;
    ``--format codet`` given explicitly always loads it."""
    if problems is not None:
        return load_problem_set(problems)
    if fmt == "codet" or (detected == "codet" and not task_ids):
        return load_problem_set("humaneval")
    return None


def check_task_ids(task_ids: str | os.PathLike[str] | None, samples_format: str,
                   tests: str | os.PathLike[str] | None = None) -> None:
    """``--task-ids`` names the task of each line of a CodeT file; read it before any
    work, and refuse it when no CodeT file is given (it would be ignored silently)."""
    if task_ids is None:
        return
    load_task_id_list(task_ids)  # a missing or malformed file: one line naming it
    if samples_format != "codet" and (tests is None or detect_tests_format(tests) != "codet"):
        raise UsageError(f"--task-ids {task_ids}: only CodeT files (prompt, samples) need "
                         "task ids; neither --samples nor --tests is one")


def load_select_inputs(samples: str | os.PathLike[str], *, problems: str | None = None,
                       fmt: str = "auto",
                       task_ids: str | os.PathLike[str] | None = None,
                       labels: str | os.PathLike[str] | None = None,
                       tests: str | os.PathLike[str] | None = None) -> RunInputs:
    """What ``coderm-evalplus select`` runs on (see its ``--help`` for each option)."""
    samples_path = Path(samples)
    detected = fmt if fmt != "auto" else detect_samples_format(samples_path)
    check_task_ids(task_ids, detected, tests)
    problem_set = select_problem_set(problems, fmt, detected, task_ids)
    built = build_problems(samples_path, problem_set, detected, task_ids)
    apply_labels(built, labels)
    inputs = RunInputs(built, problem_set=problem_set)
    if tests:
        inputs.completions, inputs.formats = load_tests_file(
            tests, problem_set or {p.task_id: p for p in built}, task_ids)
    return inputs


def load_demo() -> tuple[list[Problem], dict[str, list[str]], dict[str, str]]:
    """The embedded demo set: labelled problems, recorded completions, their formats."""
    problem_set = load_problem_set(str(demo.problems_path())) or {}
    problems = build_problems(demo.samples_path(), problem_set, "evalplus", None)
    apply_labels(problems, str(demo.labels_path()))
    completions, formats = load_tests_file(str(demo.tests_path()), problem_set)
    return problems, completions, formats

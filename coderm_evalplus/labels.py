"""Per-candidate correctness labels from a benchmark's own tests, run in our sandbox.

HumanEval ships one ``check(candidate)`` function per task (the ``test`` field, also in
the HumanEval+ file); a candidate is correct when ``check(ENTRY_POINT)`` raises nothing
after the candidate's program.  That is exactly an ``assert``-kind :class:`UnitTest`, so
labels go through the same executor as generated tests (sandboxed children, time limit,
dedupe, verdict cache) and candidate code never runs in this process.

MBPP+ rows have no ``test`` but an ``assertion`` field (plain asserts), used the same way.
These labels are the *original* benchmark's tests; EvalPlus's plus inputs are graded by
evalplus itself (read its results with :func:`coderm_evalplus.inputs.labels.load_labels`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import InputError
from .execute.base import Limits
from .execute.runner import execute_problems
from .model import Problem, UnitTest, Verdict

LABEL_TIME_LIMIT = 3.0
"""CPU seconds per candidate for a benchmark's whole check function: HumanEval's own
harness (``check_correctness(..., timeout=3.0)``) gives 3 s, so a label here means what
it means there.  Hanging candidates cost exactly this limit each, and on CodeT's
CodeGen-16B samples they were most of a labels run: 17 of 3,010 distinct candidates
hang, 170 of 188 CPU seconds at the 10 s this used to be (labels unchanged at 3 s)."""

LABEL_MEMORY_MB = 1024
"""Address-space limit per runner.  A benchmark's base tests need a few MB; a wrong
candidate that fills memory until the limit stops it was the labels run's peak RSS
(2.0 GB at 4,096 MB and 10 s, 0.56 GB at 1,024 MB and 3 s on CodeT's CodeGen-16B slice,
labels unchanged).  ``--memory-mb`` raises it."""


def label_test(row: Mapping[str, Any], entry_point: str | None = None) -> UnitTest:
    """The benchmark's own test of one task as a single assert-kind test."""
    entry = entry_point or row.get("entry_point") or ""
    if isinstance(row.get("test"), str) and row["test"].strip():
        source = row["test"] + f"\n\ncheck({entry})\n"
    elif isinstance(row.get("assertion"), str) and row["assertion"].strip():
        source = row["assertion"] + "\n"
    else:
        raise InputError("dataset", "no 'test' or 'assertion' to label with",
                         task=row.get("task_id"), field="test")
    return UnitTest(index=0, source=source, kind="assert", origin=None,
                    meta={"role": "label"})


def humaneval_labels(problems: Iterable[Problem] | Mapping[str, Problem],
                     dataset_rows: Mapping[str, Mapping[str, Any]] | None = None, *,
                     time_limit: float = LABEL_TIME_LIMIT, limits: Limits | None = None,
                     **exec_kwargs: Any) -> dict[str, list[bool]]:
    """task_id -> one bool per candidate (in candidate order): passes the benchmark's test.

    ``dataset_rows`` maps task ids to raw benchmark rows (``test``, ``entry_point``);
    without it each problem's ``meta["row"]`` is used (as :mod:`.inputs.problem_sets` loads them).
    Other keyword arguments go to ``execute_problems`` (``sandbox``, ``jobs``,
    ``cache_path``, ``progress``...).  The problems themselves are not modified.
    """
    items = list(problems.values()) if isinstance(problems, Mapping) else list(problems)
    jobs: list[Problem] = []
    for prob in items:
        row = (dataset_rows or {}).get(prob.task_id) or prob.meta.get("row")
        if row is None:
            raise InputError("dataset", "task not in the benchmark", task=prob.task_id,
                             field="task_id")
        test = label_test(row, prob.entry_point or row.get("entry_point"))
        jobs.append(dataclasses.replace(prob, tests=[test], rejections=[], meta={}))
    if limits is None:
        limits = Limits(time_limit=time_limit, memory_mb=LABEL_MEMORY_MB)
    matrices = execute_problems([j for j in jobs if j.candidates], limits=limits,
                                **exec_kwargs)
    out: dict[str, list[bool]] = {}
    for job in jobs:
        if not job.candidates:
            out[job.task_id] = []
            continue
        verdicts = matrices[job.task_id].verdicts[:, 0]
        out[job.task_id] = [bool(v == Verdict.PASS) for v in verdicts]
    return out


benchmark_labels = humaneval_labels
"""Same function under a neutral name: MBPP+ rows (``assertion``) work too."""

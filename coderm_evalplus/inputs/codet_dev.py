"""CodeT's CodeGen-16B HumanEval dev slice as ready-made problems, for the benchmarks.

The slice (``../shared/data/codet_humaneval_dev``) is the real data set the benchmarks
share: recorded samples and recorded asserts, with task ids given by ``task_ids.json``.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from ..execute.runner import test_key
from ..extract import extract_all
from ..model import Problem, UnitTest
from .problem_sets import load_evalplus_problems
from .recorded_tests import read_recorded_tests
from .samples import read_samples


def codet_dev_problems(codet_dir: str | os.PathLike[str],
                       humaneval_path: str | os.PathLike[str],
                       n_tasks: int | None = None) -> list[Problem]:
    """CodeT's CodeGen-16B HumanEval dev slice as problems without labels: the recorded
    samples as candidates, every distinct valid assert of the recorded test completions as
    tests (DESIGN.md section 6, second row).  The benchmarks' shared real set."""
    root = Path(codet_dir)
    bench = load_evalplus_problems("humaneval", humaneval_path)
    ids = root / "task_ids.json"
    samples = read_samples(root / "codegen16B_code_solution.jsonl", bench, "codet", ids)
    tests = read_recorded_tests(root / "codegen16B_test_case.jsonl", bench, "codet", ids)
    problems = []
    for tid in list(samples)[:n_tasks]:
        prob = replace(bench[tid], candidates=samples[tid], tests=[], rejections=[])
        found, _ = extract_all(prob, tests.get(tid, []), fmt="assert")
        distinct: dict[str, UnitTest] = {}
        for t in found:
            distinct.setdefault(test_key(t), t)
        prob.tests = [replace(t, index=j) for j, t in enumerate(distinct.values())]
        problems.append(prob)
    return problems

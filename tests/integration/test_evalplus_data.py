"""Real HumanEval+ / MBPP+ subsets with samples and recorded tests the evalplus
integration tests write (imported by test_evalplus_harness.py / test_evalplus_hook.py).

Per task, four candidates with the right one never first: ``return None``, the
canonical solution with its output perturbed, the canonical solution, and a program
that only knows the answer for the first base input.  Five recorded unittest-style
completions per task: four correct (one of them only on the first input), one wrong
(it expects the perturbed output).  So vanilla pass@1 is 1/4 per task and the vote
picks the canonical solution (4 tests passed; the others pass at most 1 or 2).

The dataset files are read by path from ../shared/data (never copied into the repo).
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from coderm_evalplus.inputs.problem_sets import read_problem_rows, trim_dataset_file
from coderm_evalplus.inputs.recorded_tests import write_recorded_tests
from coderm_evalplus.inputs.samples import write_samples

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "evalplus"
FILES = {"humaneval": DATA / "HumanEvalPlus-v0.1.10.jsonl",
         "mbpp": DATA / "MbppPlus-v0.2.0.jsonl"}
TASKS = {"humaneval": ["HumanEval/0", "HumanEval/7", "HumanEval/13", "HumanEval/23",
                       "HumanEval/53", "HumanEval/60"],
         "mbpp": ["Mbpp/3", "Mbpp/4", "Mbpp/6", "Mbpp/8", "Mbpp/9", "Mbpp/17"]}
OVERRIDE = {"humaneval": "HUMANEVAL_OVERRIDE_PATH", "mbpp": "MBPP_OVERRIDE_PATH"}

needs_data = pytest.mark.skipif(not all(f.is_file() for f in FILES.values()),
                                reason="shared evalplus data files not present")

PERTURB = '''
_canonical = {entry}


def {entry}(*args):
    r = _canonical(*args)
    if isinstance(r, bool):
        return not r
    if isinstance(r, int):
        return r + 1
    if isinstance(r, str):
        return r + "x"
    if isinstance(r, list):
        return r + [0]
    return None
'''


def perturb(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, list):
        return value + [0]
    return None


def canonical_outputs(row: dict[str, Any]) -> list[Any]:
    """The canonical solution's outputs on the base inputs (trusted code of the dataset)."""
    ns: dict[str, Any] = {}
    exec(row["prompt"] + row["canonical_solution"], ns)  # noqa: S102 - dataset's own code
    fn = ns[row["entry_point"]]
    return [fn(*copy.deepcopy(inp)) for inp in row["base_input"]]


def candidates(row: dict[str, Any], outputs: list[Any]) -> list[str]:
    entry = row["entry_point"]
    canonical = row["prompt"] + row["canonical_solution"]
    first = row["base_input"][0]
    return [
        f"def {entry}(*args):\n    return None\n",
        canonical + "\n" + PERTURB.format(entry=entry),
        canonical,
        f"def {entry}(*args):\n    if list(args) == {first!r}:\n"
        f"        return {outputs[0]!r}\n    return None\n",
    ]


def unittest_completion(entry: str, cases: list[tuple[Any, Any]], name: str) -> str:
    body = "\n".join(f"    def test_{k}(self):\n"
                     f"        self.assertEqual({entry}(*{inp!r}), {out!r})\n"
                     for k, (inp, out) in enumerate(cases))
    return ("Here are the tests.\n\n```python\nimport unittest\n"
            f"from solution import {entry}\n\n\nclass {name}(unittest.TestCase):\n"
            f"{body}\n\nif __name__ == '__main__':\n    unittest.main()\n```\n")


def recorded_tests(row: dict[str, Any], outputs: list[Any]) -> list[str]:
    entry = row["entry_point"]
    pairs = list(zip(row["base_input"], outputs))
    rest = pairs[1:] or pairs
    return [
        unittest_completion(entry, pairs[:1], "TestFirst"),
        unittest_completion(entry, rest[:2], "TestA"),
        unittest_completion(entry, rest[-2:], "TestB"),
        unittest_completion(entry, pairs[:3], "TestC"),
        unittest_completion(entry, [(pairs[-1][0], perturb(pairs[-1][1]))], "TestWrong"),
    ]


@dataclass
class Case:
    dataset: str
    samples: Path
    tests: Path
    trimmed: Path
    tasks: list[str]


def write_case(dataset: str, root: Path) -> Case:
    rows = read_problem_rows(FILES[dataset])
    samples, tests = [], {}
    for tid in TASKS[dataset]:
        outputs = canonical_outputs(rows[tid])
        samples += [{"task_id": tid, "solution": s} for s in candidates(rows[tid], outputs)]
        tests[tid] = recorded_tests(rows[tid], outputs)
    root.mkdir(parents=True, exist_ok=True)
    write_samples(root / "samples.jsonl", samples)
    write_recorded_tests(root / "tests.jsonl", tests)
    trimmed = trim_dataset_file(FILES[dataset], TASKS[dataset], root / f"{dataset}-subset.jsonl")
    return Case(dataset, root / "samples.jsonl", root / "tests.jsonl", trimmed,
                list(TASKS[dataset]))


@contextmanager
def evalplus_env(cache_home: Path) -> Iterator[None]:
    """A private evalplus cache and the MBPP+ memory flag, restored afterwards."""
    saved = {k: os.environ.get(k) for k in ("XDG_CACHE_HOME", "EVALPLUS_MAX_MEMORY_BYTES")}
    os.environ["XDG_CACHE_HOME"] = str(cache_home)
    os.environ["EVALPLUS_MAX_MEMORY_BYTES"] = "-1"
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def last_printed(stdout: str) -> dict[str, float]:
    """evalplus's printed scores of its last run in ``stdout``."""
    from coderm_evalplus.harness.evalplus.grader import parse_printed_scores

    marker = stdout.rfind("(base tests)")
    start = stdout.rfind("\n", 0, marker) + 1 if marker >= 0 else 0
    return parse_printed_scores(stdout[start:])


@needs_data
@pytest.mark.parametrize("dataset", ["humaneval", "mbpp"])
def test_written_case_is_what_the_tests_assume(tmp_path: Path, dataset: str) -> None:
    case = write_case(dataset, tmp_path)
    lines = [json.loads(x) for x in case.samples.read_text().splitlines()]
    assert len(lines) == 4 * len(case.tasks)
    rows = read_problem_rows(case.trimmed)
    assert list(rows) == case.tasks
    # the canonical program (candidate 2) really returns what the tests expect
    for tid in case.tasks:
        ns: dict[str, Any] = {}
        exec([x for x in lines if x["task_id"] == tid][2]["solution"], ns)  # noqa: S102
        row = rows[tid]
        assert [ns[row["entry_point"]](*copy.deepcopy(i)) for i in row["base_input"]] == \
            canonical_outputs(row)

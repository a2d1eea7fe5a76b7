"""CodeT's real recorded files (../shared/data/codet_humaneval_dev) read as they are:
task matching, assert extraction, and labels from HumanEval's own tests through the
sandboxed executor."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from coderm_evalplus.extract import extract_all
from coderm_evalplus.inputs.problem_sets import load_evalplus_problems
from coderm_evalplus.inputs.recorded_tests import read_recorded_test_rows
from coderm_evalplus.inputs.samples import read_samples
from coderm_evalplus.model import Candidate

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
CODET = DATA / "codet_humaneval_dev"
SOLUTIONS = CODET / "codegen16B_code_solution.jsonl"
TESTS = CODET / "codegen16B_test_case.jsonl"
IDS = CODET / "task_ids.json"
HUMANEVAL = DATA / "evalplus" / "HumanEvalPlus-v0.1.10.jsonl"

pytestmark = pytest.mark.skipif(not (SOLUTIONS.exists() and HUMANEVAL.exists()),
                                reason="shared CodeT / EvalPlus data not present")


@pytest.fixture(scope="module")
def problems():
    return load_evalplus_problems("humaneval", HUMANEVAL)


@pytest.fixture(scope="module")
def task_ids():
    return json.loads(IDS.read_text())


@pytest.mark.parametrize("path", [SOLUTIONS, TESTS], ids=["solutions", "tests"])
def test_every_line_maps_to_its_task_by_prompt_matching(problems, task_ids, path):
    reader = read_samples if path == SOLUTIONS else read_recorded_test_rows
    got = reader(path, problems)  # format auto-detected: no task ids in these files
    assert list(got) == task_ids
    assert all(len(v if isinstance(v, list) else v.completions) == 100 for v in got.values())


@pytest.mark.parametrize("path", [SOLUTIONS, TESTS], ids=["solutions", "tests"])
def test_task_id_list_with_and_without_problems(problems, task_ids, path):
    reader = read_samples if path == SOLUTIONS else read_recorded_test_rows
    assert list(reader(path, problems, fmt="codet", task_ids=IDS)) == task_ids
    assert list(reader(path, None, fmt="codet", task_ids=IDS)) == task_ids


def test_candidates_are_prompt_plus_truncated_sample(problems):
    cands = read_samples(SOLUTIONS, problems)
    first_line = json.loads(SOLUTIONS.read_text().splitlines()[0])
    c = cands["HumanEval/0"][0]
    assert c.source.startswith(first_line["prompt"])
    body = c.source[len(first_line["prompt"]):]
    assert not re.search(r"\n(class|def|#|if|print)", body)


def test_asserts_extracted_from_codet_tests_are_valid(problems):
    rows = read_recorded_test_rows(TESTS, problems)
    total = 0
    for tid, task in rows.items():
        tests, rejections = extract_all(problems[tid], task.completions, fmt=task.format)
        # every completion yields tests or exactly one rejection, never both
        origins = {t.origin for t in tests}
        assert origins.isdisjoint(r.origin for r in rejections)
        assert origins | {r.origin for r in rejections} == set(range(100))
        entry = problems[tid].entry_point
        for t in tests:
            compile(t.source, "<test>", "exec")
            assert t.kind == "assert" and re.search(rf"\b{entry}\b", t.source)
        assert {r.reason for r in rejections} <= {"empty", "no_valid_assert"}
        total += len(tests)
    assert total > 3000


def test_labels_from_humaneval_tests_in_the_sandbox(problems):
    from coderm_evalplus.labels import humaneval_labels

    cands = read_samples(SOLUTIONS, problems)
    picked = ["HumanEval/0", "HumanEval/1", "HumanEval/10"]
    jobs = []
    for tid in picked:
        p = problems[tid]
        extra = [Candidate(100, p.prompt + p.meta["row"]["canonical_solution"]),
                 Candidate(101, p.prompt + "    return None\n")]
        jobs.append(dataclasses.replace(p, candidates=cands[tid] + extra))
    labels = humaneval_labels(jobs, time_limit=3.0)
    assert list(labels) == picked
    for tid in picked:
        assert len(labels[tid]) == 102
        assert labels[tid][100] is True, "canonical solution must pass HumanEval's test"
        assert labels[tid][101] is False, "`return None` must fail"
    # Counts measured once with a 10 s limit; correct CodeGen samples here are fast.
    assert [sum(labels[t][:100]) for t in picked] == [65, 2, 3]

"""Offline loading of HumanEval+ / MBPP+ problems and trimmed dataset files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from coderm_evalplus.errors import InputError, UsageError
from coderm_evalplus.inputs.problem_sets import (
    dataset_name,
    load_evalplus_problems,
    read_problem_rows,
    trim_dataset_file,
)

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "evalplus"
HUMANEVAL = DATA / "HumanEvalPlus-v0.1.10.jsonl"
MBPP = DATA / "MbppPlus-v0.2.0.jsonl"

ROWS = [
    {"task_id": "X/0", "prompt": "def f(x):\n", "entry_point": "f", "canonical_solution": "    return x\n",
     "test": "def check(c):\n    assert c(1) == 1\n", "base_input": [[1]], "plus_input": [], "atol": 0},
    {"task_id": "X/1", "prompt": "def g(x):\n", "entry_point": "g", "canonical_solution": "    return -x\n",
     "test": "def check(c):\n    assert c(1) == -1\n", "base_input": [[1]], "plus_input": [], "atol": 0},
]


def write_rows(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_load_from_explicit_path(tmp_path):
    probs = load_evalplus_problems("humaneval", write_rows(tmp_path / "he.jsonl", ROWS))
    assert list(probs) == ["X/0", "X/1"]
    assert probs["X/1"].entry_point == "g" and probs["X/1"].prompt == "def g(x):\n"
    assert probs["X/1"].meta["row"]["canonical_solution"] == "    return -x\n"
    assert probs["X/0"].candidates == [] and probs["X/0"].kind == "function"


def test_load_from_override_env(tmp_path, monkeypatch):
    monkeypatch.setenv("MBPP_OVERRIDE_PATH", str(write_rows(tmp_path / "mbpp.jsonl", ROWS[:1])))
    assert list(load_evalplus_problems("mbpp+")) == ["X/0"]


def test_gzip_file(tmp_path):
    f = tmp_path / "he.jsonl.gz"
    f.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in ROWS).encode()))
    assert list(load_evalplus_problems("humaneval", f)) == ["X/0", "X/1"]


def test_dataset_names():
    assert dataset_name("HumanEval+") == "humaneval" and dataset_name("mbpp") == "mbpp"
    with pytest.raises(UsageError):
        dataset_name("apps")


@pytest.mark.parametrize("bad, field", [
    ({"task_id": "X/2", "prompt": "p"}, "entry_point"),
    ({"task_id": "X/2", "prompt": 3, "entry_point": "f"}, "prompt"),
    (ROWS[0], "task_id"),  # duplicate
])
def test_bad_rows(tmp_path, bad, field):
    f = write_rows(tmp_path / "d.jsonl", [ROWS[0], bad])
    with pytest.raises(InputError) as info:
        read_problem_rows(f)
    assert "d.jsonl:2" in str(info.value) and f"'{field}'" in str(info.value)


def test_trim_dataset_file_keeps_bytes_and_order(tmp_path):
    src = write_rows(tmp_path / "he.jsonl", ROWS)
    dst = trim_dataset_file(src, ["X/1"], tmp_path / "sub" / "he_sub.jsonl")
    assert dst.read_text() == json.dumps(ROWS[1]) + "\n"
    with pytest.raises(InputError) as info:
        trim_dataset_file(src, ["X/1", "X/7"], tmp_path / "x.jsonl")
    assert "X/7" in str(info.value)


@pytest.mark.skipif(not HUMANEVAL.exists(), reason="shared EvalPlus data not present")
def test_real_humaneval_plus_file(tmp_path):
    probs = load_evalplus_problems("humaneval", HUMANEVAL)
    assert len(probs) == 164
    assert probs["HumanEval/0"].entry_point == "has_close_elements"
    assert "def check(candidate)" in probs["HumanEval/0"].meta["row"]["test"]
    sub = trim_dataset_file(HUMANEVAL, ["HumanEval/10", "HumanEval/2"], tmp_path / "he2.jsonl")
    assert list(load_evalplus_problems("humaneval", sub)) == ["HumanEval/2", "HumanEval/10"]


@pytest.mark.skipif(not MBPP.exists(), reason="shared EvalPlus data not present")
def test_real_mbpp_plus_file():
    probs = load_evalplus_problems("mbpp", MBPP)
    assert len(probs) == 378
    assert all(p.entry_point for p in probs.values())
    assert "assertion" in next(iter(probs.values())).meta["row"]


def test_codet_dev_problems_every_distinct_valid_assert(shared_data):
    from coderm_evalplus.execute.runner import test_key
    from coderm_evalplus.inputs.codet_dev import codet_dev_problems

    problems = codet_dev_problems(shared_data / "codet_humaneval_dev",
                                  shared_data / "evalplus" / "HumanEvalPlus-v0.1.10.jsonl",
                                  n_tasks=3)
    assert [p.task_id for p in problems] == ["HumanEval/0", "HumanEval/1", "HumanEval/10"]
    for p in problems:
        assert len(p.candidates) == 100 and all(c.label is None for c in p.candidates)
        assert p.tests and all(t.kind == "assert" for t in p.tests)
        assert [t.index for t in p.tests] == list(range(len(p.tests)))
        assert len({test_key(t) for t in p.tests}) == len(p.tests)  # distinct
        assert all(p.entry_point in t.source for t in p.tests)

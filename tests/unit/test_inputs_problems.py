"""load_select_inputs: the select command's files read in one pass (samples, the problem
set they need, labels, recorded tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coderm_evalplus.errors import InputError
from coderm_evalplus.inputs.problems import load_select_inputs


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_plain_samples_need_no_benchmark(tmp_path: Path) -> None:
    samples = write_jsonl(tmp_path / "s.jsonl", [
        {"task_id": "T/0", "solution": "def helper():\n    pass\n\ndef add(a, b):\n    return a + b\n"},
        {"task_id": "T/0", "solution": "def add(a, b):\n    return a - b\n"},
        {"task_id": "T/1", "solution": "def neg(x):\n    return -x\n"}])
    labels = write_jsonl(tmp_path / "l.jsonl", [{"task_id": "T/0", "labels": [True, False]},
                                                {"task_id": "T/1", "labels": [True]}])
    tests = write_jsonl(tmp_path / "t.jsonl", [
        {"task_id": "T/0", "completions": ["assert add(1, 2) == 3"], "format": "assert"},
        {"task_id": "T/1", "completions": ["assert neg(1) == -1"]}])
    got = load_select_inputs(samples, labels=labels, tests=tests)
    assert got.problem_set is None
    assert [(p.task_id, p.entry_point, len(p.candidates)) for p in got.problems] == \
        [("T/0", "add", 2), ("T/1", "neg", 1)]
    assert [c.label for c in got.problems[0].candidates] == [True, False]
    assert got.completions == {"T/0": ["assert add(1, 2) == 3"], "T/1": ["assert neg(1) == -1"]}
    assert got.formats == {"T/0": "assert", "T/1": "auto"}
    without = load_select_inputs(samples)
    assert without.completions is None and without.problems[0].candidates[0].label is None


def test_tests_for_an_unknown_task_name_the_tests_file(tmp_path: Path) -> None:
    samples = write_jsonl(tmp_path / "s.jsonl", [{"task_id": "T/0", "solution": "x = 1\n"}])
    tests = write_jsonl(tmp_path / "t.jsonl", [{"task_id": "T/9", "completions": ["assert 1"]}])
    with pytest.raises(InputError, match=r"t\.jsonl:1: .*unknown task id 'T/9'"):
        load_select_inputs(samples, tests=tests)


def test_codet_files_load_humaneval_unless_a_task_id_list_names_the_lines(
        shared_data: Path, tmp_path: Path) -> None:
    root = shared_data / "codet_humaneval_dev"
    lines = (root / "codegen16B_code_solution.jsonl").read_text().splitlines()[:2]
    samples = tmp_path / "codet.jsonl"
    samples.write_text("\n".join(lines) + "\n")
    ids = json.loads((root / "task_ids.json").read_text())[:2]
    matched = load_select_inputs(samples)  # lines matched to HumanEval by their prompts
    assert matched.problem_set is not None and len(matched.problem_set) == 164
    assert [p.task_id for p in matched.problems] == ids
    listed_path = tmp_path / "ids.json"
    listed_path.write_text(json.dumps(ids))
    listed = load_select_inputs(samples, task_ids=listed_path)
    assert listed.problem_set is None  # the list says which task each line is
    assert [p.task_id for p in listed.problems] == ids
    assert [p.entry_point for p in listed.problems] == [p.entry_point for p in matched.problems]
    explicit = load_select_inputs(samples, fmt="codet", task_ids=listed_path)
    assert explicit.problem_set is not None  # --format codet always reads the benchmark

"""Readers of samples, recorded tests and labels: formats and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coderm_evalplus.errors import InputError
from coderm_evalplus.inputs.codet import (
    codet_function_names,
    match_codet_prompt,
    truncate_codet_sample,
)
from coderm_evalplus.inputs.labels import attach_labels, load_labels, write_labels
from coderm_evalplus.inputs.recorded_tests import (
    RecordedTask,
    read_recorded_test_rows,
    read_recorded_tests,
    write_recorded_tests,
)
from coderm_evalplus.inputs.samples import read_samples, write_samples
from coderm_evalplus.model import Candidate, Problem

PROBLEMS = {
    "T/0": Problem("T/0", prompt="def add(a, b):\n    \"\"\"Add two numbers.\"\"\"\n",
                   entry_point="add"),
    "T/1": Problem("T/1", prompt="def sub(a, b):\n", entry_point="sub"),
}


def write_lines(path: Path, lines: list) -> Path:
    path.write_text("".join((ln if isinstance(ln, str) else json.dumps(ln)) + "\n"
                            for ln in lines), encoding="utf-8")
    return path


def error_of(fn, *args, **kwargs) -> str:
    with pytest.raises(InputError) as info:
        fn(*args, **kwargs)
    msg = str(info.value)
    assert "\n" not in msg, "errors are one line"
    return msg


# ---------------------------------------------------------------- evalplus samples


def test_evalplus_samples_solution_and_completion(tmp_path):
    f = write_lines(tmp_path / "s.jsonl", [
        {"task_id": "T/0", "solution": "def add(a, b):\n    return a + b\n"},
        "",
        {"task_id": "T/1", "completion": "    return a - b\n"},
        {"task_id": "T/0", "completion": "    return 0\n", "solution": "def add(a, b): return 1\n"},
    ])
    got = read_samples(f, PROBLEMS)
    assert list(got) == ["T/0", "T/1"]
    assert [c.index for c in got["T/0"]] == [0, 1]
    assert got["T/0"][1].source == "def add(a, b): return 1\n"  # solution wins, as in evalplus
    assert got["T/1"][0].source == "def sub(a, b):\n    return a - b\n"
    assert got["T/1"][0].meta["line"] == 3  # blank line counted, skipped


def test_evalplus_sample_directory(tmp_path):
    d = tmp_path / "samples" / "T_0"
    d.mkdir(parents=True)
    for k in (10, 2, 0):
        (d / f"{k}.py").write_text(f"# {k}\n")
    got = read_samples(tmp_path / "samples", PROBLEMS)
    assert [c.source for c in got["T/0"]] == ["# 0\n", "# 2\n", "# 10\n"]


def test_write_samples_round_trip(tmp_path):
    write_samples(tmp_path / "picks.jsonl", {"T/0": "x = 1\n", "T/1": "y = 2\n"})
    got = read_samples(tmp_path / "picks.jsonl")
    assert {t: [c.source for c in v] for t, v in got.items()} == {"T/0": ["x = 1\n"],
                                                                   "T/1": ["y = 2\n"]}


@pytest.mark.parametrize("lines, line, field, words", [
    (["{not json"], 1, None, "not valid JSON"),
    ([{"task_id": "T/0", "solution": "x"}, "[1, 2]"], 2, None, "JSON object"),
    ([{"solution": "x"}], 1, "task_id", "missing field"),
    ([{"task_id": "T/0"}], 1, "solution", "missing field"),
    ([{"task_id": "T/0", "solution": 3}], 1, "solution", "expected a string"),
    (["", {"task_id": "T/9", "solution": "x"}], 2, "task_id", "unknown task id"),
])
def test_samples_errors_name_file_line_field(tmp_path, lines, line, field, words):
    f = write_lines(tmp_path / "bad.jsonl", lines)
    msg = error_of(read_samples, f, PROBLEMS)
    assert f"bad.jsonl:{line}" in msg
    assert words in msg
    if field:
        assert f"'{field}'" in msg


def test_completion_without_problems_is_an_error(tmp_path):
    f = write_lines(tmp_path / "s.jsonl", [{"task_id": "T/0", "completion": "x"}])
    msg = error_of(read_samples, f)
    assert "s.jsonl:1" in msg and "'completion'" in msg


def test_non_utf8_line_is_reported(tmp_path):
    f = tmp_path / "latin.jsonl"
    f.write_bytes(b'{"task_id": "T/0", "solution": "x"}\n{"task_id": "T/0", "solution": "caf\xe9"}\n')
    msg = error_of(read_samples, f, PROBLEMS)
    assert "latin.jsonl:2" in msg and "UTF-8" in msg and "0xe9" in msg


def test_missing_file(tmp_path):
    assert "no such file" in error_of(read_samples, tmp_path / "nope.jsonl")


# ---------------------------------------------------------------- recorded tests


def test_recorded_tests_merge_lines_and_keep_metadata(tmp_path):
    f = write_lines(tmp_path / "t.jsonl", [
        {"task_id": "T/0", "completions": ["a", "b"], "model": "CodeRM-8B", "prompts": "p",
         "seed": 3},
        {"task_id": "T/1", "completions": ["c"]},
        {"task_id": "T/0", "completions": ["d"], "format": "unittest"},
    ])
    assert read_recorded_tests(f, PROBLEMS) == {"T/0": ["a", "b", "d"], "T/1": ["c"]}
    rows = read_recorded_test_rows(f, PROBLEMS)
    assert rows["T/0"].model == "CodeRM-8B" and rows["T/0"].prompts == ["p"]
    assert rows["T/0"].extra == {"seed": 3} and rows["T/0"].lines == [1, 3]
    assert rows["T/0"].format == "unittest" and rows["T/1"].format == "auto"


def test_write_recorded_tests_round_trip(tmp_path):
    f = tmp_path / "out" / "t.jsonl"
    write_recorded_tests(f, {"T/0": ["x", "y"]})
    assert read_recorded_tests(f) == {"T/0": ["x", "y"]}
    write_recorded_tests(f, [RecordedTask("T/1", ["z"], model="m", format="assert"),
                             {"task_id": "T/0", "completions": ["w"], "model": "n"}])
    rows = read_recorded_test_rows(f)
    assert rows["T/1"].completions == ["z"] and rows["T/1"].model == "m"
    assert rows["T/1"].format == "assert" and rows["T/0"].model == "n"
    assert not (f.parent / "t.jsonl.tmp").exists()


@pytest.mark.parametrize("row, field, words", [
    ({"task_id": "T/0", "completions": []}, "completions", "empty list"),
    ({"task_id": "T/0"}, "completions", "missing field"),
    ({"task_id": "T/0", "completions": "abc"}, "completions", "list of strings"),
    ({"task_id": "T/0", "completions": ["a", 1]}, "completions", "item 1"),
    ({"task_id": "X/1", "completions": ["a"]}, "task_id", "unknown task id"),
    ({"task_id": "T/0", "completions": ["a"], "format": "yaml"}, "format", "unknown test format"),
])
def test_recorded_tests_errors(tmp_path, row, field, words):
    f = write_lines(tmp_path / "tests.jsonl", [{"task_id": "T/1", "completions": ["ok"]}, row])
    msg = error_of(read_recorded_tests, f, PROBLEMS)
    assert "tests.jsonl:2" in msg and f"'{field}'" in msg and words in msg


# ---------------------------------------------------------------- CodeT helpers


def test_codet_truncation_at_stop_words():
    sample = "    return a + b\n\n\ndef other():\n    pass\n"
    assert truncate_codet_sample(sample) == "    return a + b\n\n"
    assert truncate_codet_sample("    x = 1\n    # inner comment\n    return x\n#end") == \
        "    x = 1\n    # inner comment\n    return x"
    assert truncate_codet_sample("    return 1\nif __name__:\n") == "    return 1"
    assert truncate_codet_sample("    return 1\nprint(1)") == "    return 1"


def test_codet_function_names_order():
    prompt = "def helper(x):\n    pass\n\ndef main_fn(y):\n    pass\n\n# check the correctness of main_fn\nassert "
    assert codet_function_names(prompt) == ["main_fn", "helper"]
    assert codet_function_names("def a():\n  pass\ndef b():\n  pass\n") == ["b", "a"]


def test_codet_tie_broken_by_similarity():
    problems = {
        "H/53": Problem("H/53", prompt="def add(x: int, y: int):\n    \"\"\"Add two numbers x and y\"\"\"\n",
                        entry_point="add"),
        "H/85": Problem("H/85", prompt="def add(lst):\n    \"\"\"Given a non-empty list of integers lst. "
                        "add the even elements that are at odd indices.\"\"\"\n", entry_point="add"),
    }
    p85 = "def add(lst):\n    \"\"\"Given a non-empty list of integers lst. add the even elements\"\"\"\n"
    p53 = "def add(x: int, y: int):\n    \"\"\"Add two numbers x and y\n    \"\"\"\n    pass\n"
    assert match_codet_prompt(p85, problems) == "H/85"
    assert match_codet_prompt(p53, problems) == "H/53"
    assert match_codet_prompt("def nothing_known():\n", problems) is None


def test_codet_rows_without_task_source_are_an_error(tmp_path):
    f = write_lines(tmp_path / "c.jsonl", [{"prompt": "def add(a, b):\n", "samples": ["    pass"]}])
    msg = error_of(read_samples, f)
    assert "c.jsonl:1" in msg and "task id" in msg


def test_codet_unknown_function_is_an_error(tmp_path):
    f = write_lines(tmp_path / "c.jsonl", [{"prompt": "def add(a, b):\n", "samples": ["  pass"]},
                                           {"prompt": "def mul(a, b):\n", "samples": ["  pass"]}])
    msg = error_of(read_samples, f, PROBLEMS)
    assert "c.jsonl:2" in msg and "'prompt'" in msg and "mul" in msg


def test_codet_empty_samples_is_an_error(tmp_path):
    f = write_lines(tmp_path / "c.jsonl", [{"prompt": "def add(a, b):\n", "samples": []}])
    msg = error_of(read_recorded_tests, f, PROBLEMS)
    assert "c.jsonl:1" in msg and "'samples'" in msg and "empty list" in msg


def test_codet_task_id_list_checked_against_prompts(tmp_path):
    f = write_lines(tmp_path / "c.jsonl", [{"prompt": "def add(a, b):\n", "samples": ["  pass"]},
                                           {"prompt": "def sub(a, b):\n", "samples": ["  pass"]}])
    ids = tmp_path / "ids.json"
    ids.write_text(json.dumps(["T/0", "T/1"]))
    assert list(read_samples(f, PROBLEMS, task_ids=ids)) == ["T/0", "T/1"]
    assert list(read_samples(f, None, task_ids=["T/0", "T/1"])) == ["T/0", "T/1"]
    ids.write_text(json.dumps(["T/1", "T/0"]))
    msg = error_of(read_samples, f, PROBLEMS, task_ids=ids)
    assert "c.jsonl:1" in msg and "T/1" in msg
    ids.write_text(json.dumps(["T/0"]))
    assert "1 task ids" in error_of(read_samples, f, None, task_ids=ids)


def test_codet_test_file_completions_start_with_assert(tmp_path):
    f = write_lines(tmp_path / "c.jsonl", [
        {"prompt": "def add(a, b):\n    pass\n\n# check the correctness of add\nassert ",
         "samples": ["add(1, 1) == 2\n", "\n"]}])
    rows = read_recorded_test_rows(f, PROBLEMS)
    assert rows["T/0"].completions == ["assert add(1, 1) == 2\n", "assert \n"]
    assert rows["T/0"].format == "assert"
    assert read_recorded_tests(f, PROBLEMS, fmt="codet") == {"T/0": rows["T/0"].completions}


def test_codet_lines_in_wrong_format_are_rejected(tmp_path):
    f = write_lines(tmp_path / "c.jsonl", [{"prompt": "def add(a, b):\n", "samples": ["x"]}])
    assert "CodeT line" in error_of(read_recorded_tests, f, PROBLEMS, fmt="recorded")
    assert "CodeT line" in error_of(read_samples, f, PROBLEMS, fmt="evalplus")


# ---------------------------------------------------------------- labels


def test_labels_jsonl_round_trip(tmp_path):
    f = tmp_path / "labels.jsonl"
    write_labels(f, {"T/0": [True, False], "T/1": [False]})
    assert load_labels(f) == {"T/0": [True, False], "T/1": [False]}
    with f.open("a") as fh:
        fh.write(json.dumps({"task_id": "T/1", "labels": [1, 0]}) + "\n")
    assert load_labels(f)["T/1"] == [False, True, False]


@pytest.mark.parametrize("row, field", [
    ({"task_id": "T/0", "labels": [True, "yes"]}, "labels"),
    ({"task_id": "T/0"}, "labels"),
    ({"labels": [True]}, "task_id"),
])
def test_labels_errors(tmp_path, row, field):
    f = write_lines(tmp_path / "labels.jsonl", [{"task_id": "T/1", "labels": []}, row])
    msg = error_of(load_labels, f)
    assert "labels.jsonl:2" in msg and f"'{field}'" in msg


def test_evalplus_eval_results(tmp_path):
    # The structure evalplus 0.3.1's evaluate() writes (results["eval"][task] sorted by
    # completion id, one dict per sample).
    results = {"date": "2025-01-01 00:00", "hash": "abc", "eval": {
        "T/0": [
            {"task_id": "T/0", "solution": "a", "base_status": "pass", "plus_status": "pass",
             "base_fail_tests": [], "plus_fail_tests": []},
            {"task_id": "T/0", "solution": "b", "base_status": "pass", "plus_status": "fail",
             "base_fail_tests": [], "plus_fail_tests": [[1]]},
            {"task_id": "T/0", "solution": "c", "base_status": "fail", "plus_status": "fail",
             "base_fail_tests": [[0]], "plus_fail_tests": []},
        ],
        "T/1": [{"task_id": "T/1", "solution": "d", "base_status": "pass", "plus_status": None,
                 "base_fail_tests": [], "plus_fail_tests": []}],
    }}
    f = tmp_path / "samples_eval_results.json"
    f.write_text(json.dumps(results, indent=2))
    assert load_labels(f) == {"T/0": [True, False, False], "T/1": [True]}
    assert load_labels(f, base_only=True) == {"T/0": [True, True, False], "T/1": [True]}
    f.write_text('{"eval": {"T/0": [{"solution": "x"}]}}')
    assert "base_status" in error_of(load_labels, f)


def test_attach_labels_checks_counts():
    cands = {"T/0": [Candidate(0, "a"), Candidate(1, "b")]}
    attach_labels(cands, {"T/0": [True, False]})
    assert [c.label for c in cands["T/0"]] == [True, False]
    assert "1 labels for 2 candidates" in error_of(attach_labels, cands, {"T/0": [True]}, "l.jsonl")
    assert "no labels" in error_of(attach_labels, cands, {}, "l.jsonl")

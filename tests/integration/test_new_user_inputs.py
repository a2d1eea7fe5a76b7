"""Wrong inputs a new user gives the commands of the README: each stops with one line on
stderr naming the file, the line or task and the field, exit code 2, no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "coderm_evalplus.cli"]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=600,
                          stdin=subprocess.DEVNULL, env=dict(os.environ))


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-500:], proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def small_set(root: Path) -> tuple[Path, list[dict]]:
    samples = write_jsonl(root / "samples.jsonl", [
        {"task_id": f"T/{t}", "solution": f"def f(x):\n    return x + {k}\n"}
        for t in range(2) for k in range(3)])
    tests = [{"task_id": f"T/{t}", "format": "assert",
              "completions": [f"assert f({i}) == {i}" for i in range(3)]} for t in range(2)]
    return samples, tests


def test_a_tests_file_where_no_test_parses_is_an_input_error(tmp_path: Path) -> None:
    samples, tests = small_set(tmp_path)
    for row in tests:
        row["completions"] = ["assert f(1 ==", "def test(:\n    pass"]
    path = write_jsonl(tmp_path / "tests.jsonl", tests)
    proc = run_cli("select", "--samples", str(samples), "--tests", str(path), "--no-cache",
                   "-o", str(tmp_path / "out"))
    line = one_line_error(proc)
    assert f"{path}: task T/0: field 'completions'" in line, line
    assert "none of the 4 test completions" in line and "no_valid_assert" in line, line
    assert not (tmp_path / "out").exists()


def test_generated_tests_none_usable_warn_and_keep_the_run(tmp_path: Path) -> None:
    """A generator's output (here replayed from a file through ``--generator replay:``) is
    already paid for: not one usable test is a warning and a run where every candidate
    ties, not an error that throws the generation away."""
    samples, tests = small_set(tmp_path)
    for row in tests:
        row["completions"] = ["assert f(1 ==", "def test(:\n    pass"]
    path = write_jsonl(tmp_path / "generated.jsonl", tests)
    proc = run_cli("select", "--samples", str(samples), "--generator", f"replay:{path}",
                   "--no-cache", "--no-progress", "-o", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    warning = [ln for ln in proc.stderr.splitlines() if "warning" in ln]
    assert len(warning) == 1 and "none of the 4 test completions" in warning[0], proc.stderr
    assert "every candidate ties" in warning[0] and "Traceback" not in proc.stderr
    rows = json.loads((tmp_path / "out" / "report.json").read_text())["problems"]
    assert [(r["task_id"], r["tests"]) for r in rows] == [("T/0", 0), ("T/1", 0)]


def test_a_task_without_a_usable_test_is_still_run(tmp_path: Path) -> None:
    """CodeT's files have tasks whose every test is rejected; the others still count."""
    samples, tests = small_set(tmp_path)
    tests[1]["completions"] = ["assert f(1 =="]
    path = write_jsonl(tmp_path / "tests.jsonl", tests)
    proc = run_cli("select", "--samples", str(samples), "--tests", str(path), "--no-cache",
                   "--no-progress", "-o", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    rows = json.loads((tmp_path / "out" / "report.json").read_text())["problems"]
    assert [(r["task_id"], r["tests"], r["rejected"]) for r in rows] == [
        ("T/0", 3, 0), ("T/1", 0, 1)]


@pytest.mark.parametrize("target, expected", [
    ("{tmp}/no-such-model", "model directory not found: {tmp}/no-such-model"),
    ("{tmp}/empty", "{tmp}/empty: not a model directory (no config.json"),
    ("{tmp}/broken", "cannot load the model '{tmp}/broken'"),
])
def test_a_transformers_model_that_cannot_load_is_one_line(tmp_path: Path, target: str,
                                                           expected: str) -> None:
    pytest.importorskip("transformers")
    pytest.importorskip("torch")
    (tmp_path / "empty").mkdir()
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.json").write_text("{}")
    samples, tests = small_set(tmp_path)
    proc = run_cli("select", "--samples", str(samples), "--no-cache", "--num-tests", "1",
                   "--generator", "transformers:" + target.format(tmp=tmp_path),
                   "-o", str(tmp_path / "out"))
    line = one_line_error(proc)
    assert line.startswith("coderm-evalplus: error: transformers: "), line
    assert expected.format(tmp=tmp_path) in line, line


def test_tests_and_a_generator_together_is_a_usage_error(tmp_path: Path) -> None:
    """One of the two would be ignored without a word."""
    samples, tests = small_set(tmp_path)
    path = write_jsonl(tmp_path / "tests.jsonl", tests)
    proc = run_cli("select", "--samples", str(samples), "--tests", str(path), "--no-cache",
                   "--generator", "openai:http://127.0.0.1:9/v1", "-o", str(tmp_path / "out"))
    line = one_line_error(proc)
    assert f"--tests {path} and --generator openai:http://127.0.0.1:9/v1 both given" in line


def test_demo_with_a_generator_asks_the_generator(tmp_path: Path) -> None:
    """The demo's recorded tests used to be taken silently instead of the generator's;
    a server that is not there shows that the generator is the one asked."""
    proc = run_cli("demo", "--no-cache", "--generator", "openai:http://127.0.0.1:9/v1")
    line = one_line_error(proc)
    assert "openai: cannot list models at http://127.0.0.1:9/v1/models" in line, line


def test_task_ids_file_that_is_missing_is_named(tmp_path: Path) -> None:
    samples, tests = small_set(tmp_path)
    path = write_jsonl(tmp_path / "tests.jsonl", tests)
    missing = tmp_path / "task_ids.json"
    proc = run_cli("select", "--samples", str(samples), "--tests", str(path), "--no-cache",
                   "--task-ids", str(missing), "-o", str(tmp_path / "out"))
    assert one_line_error(proc) == f"coderm-evalplus: error: {missing}: no such file"


def test_task_ids_without_a_codet_file_is_refused(tmp_path: Path) -> None:
    """It names the task of each line of a CodeT file; with evalplus-format samples and
    recorded tests it used to be ignored without a word."""
    samples, tests = small_set(tmp_path)
    path = write_jsonl(tmp_path / "tests.jsonl", tests)
    ids = tmp_path / "task_ids.json"
    ids.write_text(json.dumps(["T/1", "T/0"]))
    for command in (["select", "--tests", str(path), "-o", str(tmp_path / "out")],
                    ["labels", "--problems", "humaneval", "-o", str(tmp_path / "l.jsonl")]):
        proc = run_cli(*command, "--samples", str(samples), "--task-ids", str(ids),
                       "--no-cache")
        line = one_line_error(proc)
        assert f"--task-ids {ids}: only CodeT files" in line, line
    assert not (tmp_path / "out").exists() and not (tmp_path / "l.jsonl").exists()


LCB = Path(__file__).resolve().parents[1] / "fixtures" / "lcb"


def test_livecodebench_outputs_bad_json_and_empty(tmp_path: Path) -> None:
    text = (LCB / "samples.json").read_text()
    bad = tmp_path / "bad.json"
    bad.write_text(text[:-10])
    empty = tmp_path / "empty.json"
    empty.write_text("\n")
    lines = {}
    for path in (bad, empty):
        proc = run_cli("livecodebench", "--problems", str(LCB / "problems.jsonl"),
                       "--samples", str(path), "--tests", str(LCB / "tests.jsonl"),
                       "--no-cache", "-o", str(tmp_path / "out"))
        lines[path.name] = one_line_error(proc)
    try:
        json.loads(text[:-10])
    except json.JSONDecodeError as exc:
        where = f"{bad}:{exc.lineno}: not valid JSON ({exc.msg} column {exc.colno})"
    assert lines["bad.json"].endswith(where), (lines, where)
    assert lines["empty.json"].endswith(f"{empty}: empty file (expected a JSON list of "
                                        "{question_id, code_list})"), lines


def test_regress_without_the_expected_file_stops_before_replaying(tmp_path: Path) -> None:
    """Outside the repository the default regression/expected.json is not there: say so
    at once (it used to replay every set first, then suggest --update)."""
    proc = subprocess.run([*CLI, "regress"], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL, cwd=tmp_path, env=dict(os.environ))
    line = one_line_error(proc)
    assert "--expected regression/expected.json: no such file" in line, line
    assert proc.stdout == ""  # no score table: nothing was replayed


def test_an_unknown_selector_names_the_option(tmp_path: Path) -> None:
    samples, tests = small_set(tmp_path)
    path = write_jsonl(tmp_path / "tests.jsonl", tests)
    for option, value in (("--selector", "codex"), ("--compare", "coderm,codex")):
        proc = run_cli("select", "--samples", str(samples), "--tests", str(path),
                       "--no-cache", option, value, "-o", str(tmp_path / "out"))
        line = one_line_error(proc)
        assert f"error: {option}: unknown selector 'codex' (registered: b4, coderm," in line


def test_a_folder_that_is_not_a_samples_folder_is_named(tmp_path: Path) -> None:
    samples, tests = small_set(tmp_path)
    path = write_jsonl(tmp_path / "tests.jsonl", tests)
    wrong = tmp_path / "runs"
    (wrong / "out_1" / "picks").mkdir(parents=True)
    (wrong / "out_1" / "picks" / "coderm.jsonl").write_text("")
    proc = run_cli("select", "--samples", str(wrong), "--tests", str(path), "--no-cache",
                   "-o", str(tmp_path / "out"))
    line = one_line_error(proc)
    assert line.endswith(f"{wrong}: field 'samples': not an evalplus samples folder: no "
                         "TASK_ID/N.py file (e.g. HumanEval_0/0.py) in it"), line

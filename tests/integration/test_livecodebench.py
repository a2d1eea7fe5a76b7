"""LiveCodeBench end to end on the fixture set: selection, the real LCB grader, the command
and the custom-runner entry.

The grader tests need LiveCodeBench's grading code (``lcb_runner`` or PyPI
``nvidia-livecodebench``); they skip, saying so, when it is not importable.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from coderm_evalplus.execute.base import Limits
from coderm_evalplus.execute.runner import execute_problems
from coderm_evalplus.harness.livecodebench import cli as lcb_cli
from coderm_evalplus.harness.livecodebench import data as lcb_data
from coderm_evalplus.harness.livecodebench import grader as lcb_grader
from coderm_evalplus.harness.livecodebench import harness as lcb_harness
from coderm_evalplus.harness.livecodebench import programs as lcb_programs
from coderm_evalplus.inputs.recorded_tests import read_recorded_tests
from coderm_evalplus.model import UnitTest
from coderm_evalplus.pipeline import RunConfig

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "lcb"
PROBLEMS, SAMPLES, TESTS = (FIXTURES / n for n in ("problems.jsonl", "samples.json",
                                                     "tests.jsonl"))
EXPECTED = json.loads((FIXTURES / "labels.json").read_text())

needs_grader = pytest.mark.skipif(
    lcb_grader.load_grader() is None,
    reason=f"LiveCodeBench grader not importable (install: {lcb_grader.GRADER_INSTALL})")


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    """One verdict cache for the module: later runs re-use the pairs the first executed."""
    return tmp_path_factory.mktemp("lcb-cache") / "verdicts.sqlite"


def _config(cache: Path, **kw) -> RunConfig:
    return RunConfig(cache_path=cache, progress=False, jobs=2, **kw)


def _inputs():
    problems = lcb_data.load_lcb_problems(PROBLEMS)
    samples = lcb_data.read_custom_output(SAMPLES, problems)
    tests = read_recorded_tests(TESTS, {q: problems[q].to_problem() for q in samples})
    return problems, samples, tests


def test_execution_agrees_with_lcb_labels_on_lcb_tests(cache):
    """Our execution of the benchmark's own test cases gives LCB's verdicts (labels.json,
    which test_real_grader_labels_every_sample checks against the real grader)."""
    problems, samples, _ = _inputs()
    built = lcb_programs.build_problems(problems, samples)
    for p in built:
        lp = problems[p.task_id]
        tests = []
        for i, case in enumerate(lp.public_tests + lp.private_tests):
            if lp.fn_name:
                args = ", ".join(line for line in case["input"].split("\n"))
                body = f"self.assertEqual({lp.fn_name}({args}), {case['output']})"
            else:
                body = f"self.assertEqual(solve({case['input']!r}), {case['output']!r})"
            src = ("import unittest\n\nclass T(unittest.TestCase):\n"
                   f"    def test_case(self):\n        {body}\n")
            tests.append(UnitTest(i, src, "unittest", "T"))
        p.tests = tests
    matrices = execute_problems(built, limits=Limits(time_limit=2.0), cache_path=cache, jobs=2)
    got = {p.task_id: matrices[p.task_id].passed.all(axis=1).tolist() for p in built}
    assert got == EXPECTED


def test_selection_picks_right_codes_without_grader(cache):
    problems, samples, tests = _inputs()
    run = lcb_harness.run_livecodebench(problems, samples, _config(cache), completions=tests,
                                out_dir=None, grade=False)
    assert not run.grader_available and run.vanilla is None
    for qid, code in run.picks.items():
        assert EXPECTED[qid][samples[qid].index(code)], qid  # a right code was picked
    vanilla = np.mean([np.mean(v) for v in EXPECTED.values()])
    assert vanilla < 0.5  # the fixture's samples are mostly wrong
    rows = {r["task_id"]: r for r in run.result.report["problems"]}
    assert rows["cf-abs-diff"]["rejected"] == 1 and rows["lc-count-pairs"]["rejected"] == 1
    # picks carry the sampled code, not the execution program
    assert all("wrapped_function" not in c and "from statistics import" not in c
               for c in run.picks.values())


@needs_grader
def test_real_grader_labels_every_sample_and_grades_picks(cache, tmp_path, capsys):
    problems, samples, tests = _inputs()
    run = lcb_harness.run_livecodebench(problems, samples, _config(cache), completions=tests,
                                out_dir=tmp_path / "out", timeout=3, processes=2)
    assert run.vanilla is not None and run.picks_grade is not None
    assert run.vanilla.graded == EXPECTED
    assert run.vanilla.pass_at_1 == pytest.approx(np.mean([np.mean(v) for v in EXPECTED.values()]))
    assert run.picks_grade.pass_at_1 == 1.0 > run.vanilla.pass_at_1
    summary = run.result.report["livecodebench"]
    assert summary["picks_pass@1"] == 1.0 and summary["vanilla_pass@1"] == run.vanilla.pass_at_1
    # the pipeline's own metrics use the grader's labels
    assert run.result.report["summary"]["selected"] == 1.0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["livecodebench"]["picks_pass@1"] == 1.0
    lcb_cli.print_lcb_summary(run)
    assert "pass@1 of coderm picks 100.00, vanilla pass@1 of all samples 35.00" in \
        capsys.readouterr().out


@needs_grader
def test_command_writes_selected_custom_output(cache, tmp_path, capsys):
    from coderm_evalplus.cli import main

    out = tmp_path / "run"
    code = main(["livecodebench", "--problems", str(PROBLEMS), "--samples", str(SAMPLES),
                 "--tests", str(TESTS), "-o", str(out), "--cache", str(cache),
                 "--no-progress", "--timeout", "3", "--num-process-evaluate", "2"])
    assert code == 0
    picks = json.loads((out / "selected.json").read_text())
    assert [p["question_id"] for p in picks] == sorted(EXPECTED)
    samples = json.loads(SAMPLES.read_text())
    by_q = {s["question_id"]: s["code_list"] for s in samples}
    for p in picks:
        assert len(p["code_list"]) == 1
        assert EXPECTED[p["question_id"]][by_q[p["question_id"]].index(p["code_list"][0])]
    assert json.loads((out / "selected_eval.json").read_text())["pass@1"] == 1.0
    vanilla = json.loads((out / "samples_eval_all.json").read_text())
    assert {r["question_id"]: r["graded_list"] for r in vanilla} == EXPECTED
    assert json.loads((out / "samples_eval.json").read_text())["pass@1"] == pytest.approx(0.35)
    assert "pass@1 of coderm picks 100.00, vanilla pass@1 of all samples 35.00" in \
        capsys.readouterr().out


@needs_grader
def test_custom_runner_entry_writes_lcb_style_files(cache, tmp_path):
    src = tmp_path / "model_outputs.json"
    src.write_text(SAMPLES.read_text())
    proc = subprocess.run(
        [sys.executable, str(ROOT / "hooks" / "livecodebench_runner.py"),
         "--custom_output_file", str(src), "--problems", str(PROBLEMS), "--tests", str(TESTS),
         "--cache", str(cache), "--no-progress", "--timeout", "3",
         "--num_process_evaluate", "2", "--selector", "robust", "--no-vanilla"],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    stem = tmp_path / "model_outputs_robust_codegeneration_output"
    picks = json.loads(stem.with_suffix(".json").read_text())
    assert all(len(p["code_list"]) == 1 for p in picks)
    assert json.loads((tmp_path / f"{stem.name}_eval.json").read_text())["pass@1"] == 1.0
    rows = json.loads((tmp_path / f"{stem.name}_eval_all.json").read_text())
    assert all(r["graded_list"] == [True] for r in rows)
    assert not (tmp_path / "model_outputs_codegeneration_output_eval.json").exists()
    assert "pass@1 of robust picks 100.00" in proc.stdout
    assert (tmp_path / "model_outputs_coderm" / "report.json").exists()


def test_custom_runner_bad_input_is_one_line(tmp_path):
    bad = tmp_path / "out.json"
    bad.write_text(json.dumps([{"question_id": "zzz", "code_list": ["print(1)"]}]))
    proc = subprocess.run(
        [sys.executable, str(ROOT / "hooks" / "livecodebench_runner.py"),
         "--custom_output_file", str(bad), "--problems", str(PROBLEMS), "--tests", str(TESTS)],
        capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"error: {bad}: task zzz: field 'question_id': question not among the problems"]


def test_generator_path_builds_prompts_from_sampled_code(cache):
    """--generator (here: replay of the recorded file) goes through the prompt hook."""
    from coderm_evalplus.generate.base import build_requests

    problems, samples, _ = _inputs()
    built = lcb_programs.build_problems(problems, samples)
    requests = {r.task_id: r for r in build_requests(built, 3)}
    text = requests["abc-sum-multiples"].messages[0]["content"]
    assert "def solve(input_str: str) -> str:" in text and "_CR_PROGRAM" not in text
    run = lcb_harness.run_livecodebench(problems, samples,
                                _config(cache, generator=f"replay:{TESTS}", num_tests=5),
                                completions=None, out_dir=None, grade=False)
    for qid, code in run.picks.items():
        assert EXPECTED[qid][samples[qid].index(code)], qid


STDIN_IDIOMS = {
    "buffer": "import sys\nd = sys.stdin.buffer.read().split()\nprint(int(d[0]) + int(d[1]))",
    "global": "r = []\ndef f(x):\n    global r\n    r.append(x)\nf(sum(map(int, input().split())))\n"
              "print(r[0])",
    "from_sys": "from sys import stdin\nprint(sum(map(int, stdin.readline().split())))",
    "open0": "print(sum(map(int, open(0).read().split())))",
    "iterate": "import sys\nfor line in sys.stdin:\n    print(sum(map(int, line.split())))",
    "readline": "import sys\ninput = sys.stdin.readline\nprint(sum(map(int, input().split())))",
    "main_guard": "def main():\n    print(sum(map(int, input().split())))\n"
                  "if __name__ == '__main__':\n    main()",
    "late_guard": "if __name__ == '__main__':\n    print(sum(map(int, input().split())))\nx = 1",
    "exit": "print(sum(map(int, input().split())))\nexit(0)\nprint('more')",
}


@needs_grader
def test_stdin_idioms_match_the_real_grader():
    """Our stdin execution says what LiveCodeBench's grader says, idiom by idiom."""
    problems = lcb_data.load_lcb_problems(PROBLEMS)
    row = problems["abc-sum-multiples"]
    probe = lcb_data.LCBProblem("sum2", "", "", "atcoder", "2024-01-01", "", "easy",
                           [{"input": "2 3\n", "output": "5\n", "testtype": "stdin"}], [],
                           {}, row.row)
    grades = lcb_grader.grade_code_lists({"sum2": probe}, {"sum2": list(STDIN_IDIOMS.values())},
                                  timeout=3, processes=2)
    ours = []
    for code in STDIN_IDIOMS.values():
        ns = {"__name__": "solution"}
        try:
            exec(lcb_programs.stdin_execution_program(code), ns)
            ours.append(ns["solve"]("2 3\n") == "5")
        except Exception:
            ours.append(False)
    assert dict(zip(STDIN_IDIOMS, ours)) == dict(zip(STDIN_IDIOMS, grades.graded["sum2"]))
    assert sum(ours) >= 5  # the common idioms do work

"""Unit tests for the EvalPlus harness and the evalplus.evaluate start-up hook (no
evalplus run here: see tests/integration/test_evalplus_*.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coderm_evalplus.errors import InputError
from coderm_evalplus.harness.evalplus.cli import argv as flag_argv
from coderm_evalplus.harness.evalplus.cli import pth, selector_flag
from coderm_evalplus.harness.evalplus.data import dataset_overrides
from coderm_evalplus.harness.evalplus.grader import (
    grader_env,
    parse_printed_scores,
    result_path_for,
    scores_from_results,
)
from coderm_evalplus.harness.evalplus.harness import format_comparison
from coderm_evalplus.outdir import default_out_dir, default_picks_path
from coderm_evalplus.plugins import harnesses

REPO = Path(__file__).resolve().parents[2]
PTH_LINE = pth.pth_text()  # the shipped .pth line (package data)

EVALPLUS_STDOUT = (
    "Load from ground-truth from /x.pkl\nReading samples...\n"
    "\x1b[31mhumaneval (base tests)\x1b[0m\n\x1b[31mpass@1:\t0.292\x1b[0m\n"
    "humaneval+ (base + extra tests)\npass@1:\t0.250\npass@10:\t0.900\n")


def test_parse_printed_scores_strips_colours_and_reads_both_sections() -> None:
    assert parse_printed_scores(EVALPLUS_STDOUT) == {
        "base_pass@1": 0.292, "plus_pass@1": 0.25, "plus_pass@10": 0.9}
    assert parse_printed_scores("mbpp (base tests)\npass@1:\t1.000\n") == {"base_pass@1": 1.0}


def test_scores_from_results_match_evalplus_formula() -> None:
    def r(b: str, p: str | None) -> dict:
        return {"base_status": b, "plus_status": p}

    results = {"eval": {"A": [r("pass", "pass"), r("pass", "fail"), r("fail", None)],
                        "B": [r("pass", "pass")]}}
    s = scores_from_results(results)
    assert s["base_pass@1"] == pytest.approx((2 / 3 + 1) / 2)
    assert s["plus_pass@1"] == pytest.approx((1 / 3 + 1) / 2)
    assert "plus_pass@1" not in scores_from_results(results, base_only=True)


def test_result_and_output_paths(tmp_path: Path) -> None:
    s = tmp_path / "run.jsonl"
    assert result_path_for(s) == tmp_path / "run_eval_results.json"
    folder = tmp_path / "samples_dir"
    folder.mkdir()
    assert result_path_for(folder) == folder / "eval_results.json"
    assert default_picks_path(s, "codet") == tmp_path / "run.coderm-codet.jsonl"
    assert default_out_dir(s, "coderm") == tmp_path / "run.coderm-coderm"


def test_grader_env_drops_the_variable_that_crashes_evalplus() -> None:
    env = grader_env({"EVALPLUS_TIMEOUT_PER_TASK": "5", "A": "1"},
                     {"HUMANEVAL_OVERRIDE_PATH": "/d.jsonl"})
    assert "EVALPLUS_TIMEOUT_PER_TASK" not in env
    assert env["A"] == "1" and env["HUMANEVAL_OVERRIDE_PATH"] == "/d.jsonl"


def test_dataset_overrides_trim_a_subset_only(tmp_path: Path) -> None:
    full = tmp_path / "data.jsonl"
    rows = [{"task_id": f"HumanEval/{i}", "prompt": "def f():\n", "entry_point": "f"}
            for i in range(4)]
    full.write_text("".join(json.dumps(r) + "\n" for r in rows))
    env, path = dataset_overrides("humaneval", ["HumanEval/3", "HumanEval/1"], tmp_path, full)
    assert env == {"HUMANEVAL_OVERRIDE_PATH": str(path.resolve())}
    assert [json.loads(x)["task_id"] for x in path.read_text().splitlines()] == \
        ["HumanEval/1", "HumanEval/3"]  # dataset order, bytes unchanged
    env, path = dataset_overrides("humaneval", [r["task_id"] for r in rows], tmp_path / "b",
                                  full)
    assert path == full and env == {"HUMANEVAL_OVERRIDE_PATH": str(full.resolve())}
    with pytest.raises(InputError, match="HumanEval/999"):
        dataset_overrides("humaneval", ["HumanEval/999"], tmp_path, full)


def test_harness_is_registered() -> None:
    assert "evalplus" in harnesses()
    h = harnesses()["evalplus"]()
    assert h.name == "evalplus"


def test_format_comparison_line() -> None:
    report = {"run": {"selector": "coderm"}, "evalplus": {
        "dataset": "mbpp", "selected_plus_pass@1": 0.5,
        "candidates": {"scores": {"plus_pass@1": 0.25}}}}
    assert format_comparison(report) == (
        "coderm-evalplus: mbpp+ pass@1 (evalplus): vanilla 0.2500 -> selected by coderm 0.5000")


# ------------------------------------------------------------------ the hook

@pytest.mark.parametrize("argv, orig, expected", [
    (["/venv/bin/evalplus.evaluate", "--dataset", "humaneval"], [], True),
    (["-m", "--selector"], ["python", "-m", "evalplus.evaluate", "--selector"], True),
    (["-m", "--selector"], ["python", "-m", "evalplus.codegen", "--selector"], False),
    (["/site/evalplus/evaluate.py"], [], True),
    (["-c", "--selector"], ["python", "-c", "evalplus.evaluate", "--selector"], False),
    (["/bin/evalplus.codegen"], [], False),
    ([], [], False),
])
def test_is_evalplus_evaluate(argv: list[str], orig: list[str], expected: bool) -> None:
    assert pth.is_evalplus_evaluate(argv, orig) is expected


def test_split_args_keeps_evalplus_flags_in_order() -> None:
    ours, rest = flag_argv.split_args(
        ["--dataset", "humaneval", "--selector", "codet", "--samples", "s.jsonl",
         "--tests", "t.jsonl", "--num-tests", "7", "--parallel", "3", "--sandbox=docker",
         "--i_just_wanna_run", "--base-only"])
    assert (ours.selector, ours.tests, ours.num_tests, ours.sandbox) == \
        ("codet", "t.jsonl", 7, "docker")
    assert rest == ["--dataset", "humaneval", "--samples", "s.jsonl", "--parallel", "3",
                    "--i_just_wanna_run", "--base-only"]
    assert flag_argv.grader_args(rest) == ["--parallel", "3", "--base-only"]
    assert flag_argv.has_flag(rest, "base_only")


def test_fire_style_flags_and_positionals() -> None:
    assert flag_argv.get_flag(["--dataset=mbpp", "--samples", "a.jsonl"], "dataset") == "mbpp"
    assert flag_argv.get_flag(["mbpp", "a.jsonl", "--parallel", "2"], "samples", 1) == "a.jsonl"
    assert flag_argv.get_flag(["--parallel", "2", "mbpp", "a.jsonl"], "dataset", 0) == "mbpp"
    assert flag_argv.replace_samples(["--dataset", "mbpp", "--samples", "a.jsonl"], "p.jsonl") == \
        ["--dataset", "mbpp", "--samples", "p.jsonl"]
    assert flag_argv.replace_samples(["--samples=a.jsonl"], "p.jsonl") == ["--samples=p.jsonl"]
    assert flag_argv.replace_samples(["mbpp", "a.jsonl"], "p.jsonl") == ["mbpp", "p.jsonl"]


def test_without_selector_the_wrapper_hands_everything_to_fire() -> None:
    seen: list[list[str]] = []
    selector_flag.run_with_selector(lambda: None, ["--dataset", "humaneval", "--samples", "s.jsonl"],
                           seen.append)
    assert seen == [["--dataset", "humaneval", "--samples", "s.jsonl"]]


def test_pth_line_is_one_import_line_naming_the_start_up_module() -> None:
    assert PTH_LINE.count("\n") == 1 and PTH_LINE.startswith("import ")
    assert f"import {pth.__name__} as _h" in PTH_LINE


def _run_pth(argv: list[str], extra_path: list[str]) -> subprocess.CompletedProcess[str]:
    """Execute the .pth line the way site.py does, in a python without site-packages
    (nor PYTHONPATH: the package is found only where ``extra_path`` puts it)."""
    code = (f"import sys; sys.path[:0] = {extra_path!r}; sys.argv = {argv!r}\n"
            f"exec({PTH_LINE!r})\n"
            "print(sorted(m for m in sys.modules if m.startswith('coderm')))")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, "-S", "-c", code], capture_output=True,
                          text=True, timeout=60, cwd="/", env=env)


def test_pth_never_breaks_startup_when_the_package_is_missing() -> None:
    proc = _run_pth(["/bin/evalplus.evaluate", "--selector", "coderm"], [])
    assert proc.returncode == 0
    assert proc.stdout.strip() == "[]"
    assert "--selector hook disabled" in proc.stderr and "Traceback" not in proc.stderr


def test_pth_imports_nothing_without_selector() -> None:
    proc = _run_pth(["/bin/evalplus.evaluate", "--dataset", "humaneval"], [str(REPO)])
    assert proc.returncode == 0 and proc.stdout.strip() == "[]" and proc.stderr == ""


def test_hook_install_uninstall_status(tmp_path: Path) -> None:
    assert pth.installed_pth(tmp_path) is None
    path = pth.install_pth(tmp_path)
    assert path.read_text() == PTH_LINE and pth.installed_pth(tmp_path) == path
    assert pth.uninstall_pth(tmp_path) == path and not path.exists()

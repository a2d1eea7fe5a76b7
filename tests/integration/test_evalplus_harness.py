"""EvalPlus harness on real HumanEval+ / MBPP+ subsets: the picks' score printed by
evalplus itself equals the score our report computes, and selection beats vanilla.

Each test runs evalplus's real grader twice (all candidates, then the picks) in child
processes, against a trimmed dataset file, with a private evalplus cache.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_evalplus_data import FILES, evalplus_env, last_printed, needs_data, write_case

from coderm_evalplus.harness.evalplus.grader import result_path_for, run_evalplus
from coderm_evalplus.harness.evalplus.harness import evaluate_with_selection
from coderm_evalplus.pipeline import RunConfig

pytestmark = [needs_data, pytest.mark.slow]


@pytest.fixture(scope="module")
def cache_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("xdg")


def test_api_humaneval_picks_score_is_evalplus_score(tmp_path: Path, cache_home: Path) -> None:
    case = write_case("humaneval", tmp_path / "he")
    with evalplus_env(cache_home):
        res = evaluate_with_selection(
            "humaneval", case.samples, tests=case.tests, dataset_file=FILES["humaneval"],
            config=RunConfig(selector="coderm", cache_path=tmp_path / "cache.db",
                             progress=False))
    summary = res.report["summary"]
    # evalplus graded every candidate: canonical correct, the three variants wrong
    assert summary["vanilla_pass@1"] == pytest.approx(0.25)
    assert res.candidates is not None and res.candidates["scores"]["plus_pass@1"] == 0.25
    # the picks' score is evalplus's own (printed and in its result file) = our report
    assert res.picks["printed"]["plus_pass@1"] == round(summary["selected_pick"], 3)
    assert res.picks["scores"]["plus_pass@1"] == pytest.approx(summary["selected_pick"])
    assert res.picks["scores"]["tasks"] == len(case.tasks)
    assert summary["selected_pick"] > summary["vanilla_pass@1"]
    assert res.picks_path == case.samples.with_name("samples.coderm-coderm.jsonl")
    picked = [json.loads(x) for x in res.picks_path.read_text().splitlines()]
    assert [p["task_id"] for p in picked] == case.tasks
    written = json.loads((case.samples.with_name("samples.coderm-coderm") / "report.json")
                         .read_text())
    assert written["evalplus"]["selected_plus_pass@1"] == res.selected_plus
    # the subset ran against a trimmed dataset file
    assert written["evalplus"]["dataset_file"].endswith("humaneval-subset.jsonl")


def test_command_mbpp_prints_evalplus_score_equal_to_report(tmp_path: Path,
                                                            cache_home: Path) -> None:
    case = write_case("mbpp", tmp_path / "mbpp")
    out = tmp_path / "out"
    with evalplus_env(cache_home):
        proc = subprocess.run(
            [sys.executable, "-m", "coderm_evalplus.cli", "evalplus", "--dataset", "mbpp",
             "--samples", str(case.samples), "--tests", str(case.tests),
             "--dataset-file", str(FILES["mbpp"]), "--selector", "coderm", "-o", str(out),
             "--no-progress", "--cache", str(tmp_path / "cache.db")],
            capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    printed = last_printed(proc.stdout)  # evalplus's own lines for the picks
    report = json.loads((out / "report.json").read_text())
    assert printed["plus_pass@1"] == round(report["summary"]["selected_pick"], 3)
    assert printed["base_pass@1"] == round(report["evalplus"]["selected_base_pass@1"], 3)
    assert report["summary"]["selected_pick"] > report["summary"]["vanilla_pass@1"]
    assert report["evalplus"]["vanilla_plus_pass@1"] == pytest.approx(
        report["summary"]["vanilla_pass@1"])
    assert "vanilla 0.2500 -> selected by coderm 1.0000" in proc.stdout


def test_stale_result_file_is_not_reused(tmp_path: Path, cache_home: Path) -> None:
    """evalplus silently re-reads an existing *_eval_results.json: we delete it first."""
    case = write_case("humaneval", tmp_path)
    one = tmp_path / "one.jsonl"
    lines = case.samples.read_text().splitlines()
    one.write_text("\n".join(x for x in lines if '"HumanEval/13"' in x) + "\n")
    trimmed = tmp_path / "one-task.jsonl"
    from coderm_evalplus.inputs.problem_sets import trim_dataset_file

    trim_dataset_file(FILES["humaneval"], ["HumanEval/13"], trimmed)
    stale = {"date": "x", "hash": "x", "eval": {"HumanEval/13": [
        {"task_id": "HumanEval/13", "solution": "", "base_status": "pass",
         "plus_status": "pass", "base_fail_tests": [], "plus_fail_tests": []}]}}
    result_path_for(one).write_text(json.dumps(stale))
    with evalplus_env(cache_home):
        run = run_evalplus("humaneval", one,
                           env={**__import__("os").environ,
                                "HUMANEVAL_OVERRIDE_PATH": str(trimmed)}, timeout=240)
    assert "Load from previous results" not in run.stdout
    assert len(run.results["eval"]["HumanEval/13"]) == 4
    assert run.scores["plus_pass@1"] == 0.25 and run.printed["plus_pass@1"] == 0.25
    # returned well before evalplus's 20 s watchdog would have let it exit
    assert run.seconds < 60

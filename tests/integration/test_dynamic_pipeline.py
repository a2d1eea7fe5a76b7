"""``--scaling dynamic`` end to end on the embedded demo set: real extraction, real
sandboxed execution, real selectors; the fixed run fills the verdict cache first so the
dynamic run can be checked column by column against it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from coderm_evalplus import demo
from coderm_evalplus.inputs.labels import apply_labels
from coderm_evalplus.inputs.problem_sets import load_problem_set
from coderm_evalplus.inputs.recorded_tests import read_recorded_tests
from coderm_evalplus.inputs.samples import build_problems
from coderm_evalplus.pipeline import RunConfig, run


def demo_inputs():
    problem_set = load_problem_set(str(demo.problems_path()))
    problems = build_problems(demo.samples_path(), problem_set, "evalplus", None)
    apply_labels(problems, str(demo.labels_path()))
    return problems, read_recorded_tests(demo.tests_path(), problem_set)


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("dyn") / "verdicts.sqlite"


@pytest.fixture(scope="module")
def fixed_run(cache):
    problems, completions = demo_inputs()
    return run(problems, RunConfig(cache_path=cache, progress=False, jobs=2),
               completions=completions)


def test_dynamic_run_spends_at_most_the_budget_and_matches_fixed_verdicts(
        cache, fixed_run, tmp_path):
    problems, completions = demo_inputs()
    budget = 40
    result = run(problems, RunConfig(cache_path=cache, progress=False, jobs=2,
                                     scaling="dynamic", test_budget=budget),
                 completions=completions, out_dir=tmp_path / "out")
    scaling = result.report["scaling"]
    assert scaling["tests_executed"] == sum(len(p.tests) for p in result.problems) <= budget
    assert scaling["tests_generated"] == scaling["tests_executed"]  # replay: drawn = run
    assert result.report["run"]["scaling"] == "dynamic"
    fixed = {p.task_id: p for p in fixed_run.problems}
    for p in result.problems:
        k = len(p.tests)
        m = result.matrices[p.task_id].verdicts
        assert m.shape == (len(p.candidates), k)
        # replay reveals tests in recorded order: same tests, same verdicts as fixed
        assert [t.source for t in p.tests] == [t.source for t in fixed[p.task_id].tests[:k]]
        assert np.array_equal(m, fixed_run.matrices[p.task_id].verdicts[:, :k])
        assert scaling["per_task"][p.task_id]["tests"] == k
    # every test of the fixed run was already cached: nothing new was executed
    assert result.report["cost"]["pairs_executed"] == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert set(report["curves"]) >= {"tests", "dynamic"}
    assert len(report["curves"]["tests"]["m"]) == len(report["curves"]["tests"]["lo"])
    assert sum(b["tasks"] for b in report["scaling"]["buckets"]) == len(problems)
    assert report["test_quality"]["individual"]["acc"] > 0.5
    assert report["summary"]["selected"] is not None


def test_dynamic_without_budget_stops_by_itself_and_keeps_fixed_accuracy(cache, fixed_run):
    problems, completions = demo_inputs()
    result = run(problems, RunConfig(cache_path=cache, progress=False, jobs=2,
                                     scaling="dynamic"), completions=completions)
    spent = result.report["scaling"]["tests_executed"]
    pool = sum(len(p.tests) for p in fixed_run.problems)
    # the demo's pools (7-8 tests) are below the novelty floor's horizon: problems end
    # exhausted or decided, never for lack of budget
    assert spent <= pool
    assert result.report["scaling"]["stopped"].get("budget", 0) == 0
    assert result.report["summary"]["selected"] >= fixed_run.report["summary"]["selected"] - 0.05


@pytest.mark.slow  # a subprocess run of the whole command (~15 s on a loaded machine)
def test_demo_command_dynamic(cache, fixed_run, tmp_path):
    out = tmp_path / "cli"
    done = subprocess.run(
        [sys.executable, "-m", "coderm_evalplus.cli", "demo", "--scaling", "dynamic",
         "--test-budget", "30", "--selector", "codet", "--cache", str(cache),
         "--no-progress", "-o", str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["run"]["selector"] == "codet"
    assert report["scaling"]["tests_executed"] <= 30
    assert report["scaling"]["budget"] == 30


def test_dynamic_refuses_the_oracle(fixed_run):
    from coderm_evalplus.errors import UsageError

    problems, completions = demo_inputs()
    with pytest.raises(UsageError, match="labels"):
        run(problems, RunConfig(selector="oracle", progress=False, scaling="dynamic",
                                cache_path=None), completions=completions)


def test_dynamic_with_a_generator_asks_only_for_what_it_runs(cache, fixed_run):
    """The replay generator (a real registered generator reading recorded completions):
    the dynamic run asks it in chunks and executes the same tests as the fixed run."""
    problems, _ = demo_inputs()
    config = RunConfig(cache_path=cache, progress=False, jobs=2, scaling="dynamic",
                       test_budget=30, generator=f"replay:{demo.tests_path()}")
    result = run(problems, config)
    assert result.report["scaling"]["tests_executed"] <= 30
    # completions are asked for in chunks, before extraction: at least what ran
    assert result.report["scaling"]["tests_generated"] >= \
        result.report["scaling"]["tests_executed"] > 0
    fixed = {p.task_id: p for p in fixed_run.problems}
    for p in result.problems:
        k = len(p.tests)
        assert [t.source for t in p.tests] == [t.source for t in fixed[p.task_id].tests[:k]]
        assert np.array_equal(result.matrices[p.task_id].verdicts,
                              fixed_run.matrices[p.task_id].verdicts[:, :k])


def test_dynamic_with_exact_pruning_runs_only_contenders(cache, fixed_run):
    """--prune exact through the real pipeline: the replay source executes copies of
    the problems holding only the contenders; the others are NOT_RUN in later columns,
    the contenders' verdicts are the fixed run's, and the coderm picks do not change."""
    from coderm_evalplus.model import Verdict
    from coderm_evalplus.scaling import ScalingPolicy, run_dynamic

    # With the default estimate exact pruning removed nobody on the demo (every pair
    # ran, so there is nothing to check); this test pins the estimate it was written for.
    problems, completions = demo_inputs()
    rounds = max(1, -(-len(problems) // 4))
    plain = run_dynamic(problems, RunConfig(cache_path=cache, progress=False, jobs=2,
                                            scaling="dynamic"), completions=completions,
                        policy=ScalingPolicy(gain="voi", round_size=rounds))
    problems, completions = demo_inputs()
    pruned = run_dynamic(problems, RunConfig(cache_path=cache, progress=False, jobs=2,
                                             scaling="dynamic", prune="exact"),
                         completions=completions,
                         policy=ScalingPolicy(gain="voi", round_size=rounds, prune="exact"))
    assert pruned.report["run"]["prune"] == "exact"
    fixed = {p.task_id: fixed_run.matrices[p.task_id].verdicts for p in fixed_run.problems}
    executed = 0
    for p in pruned.problems:
        m = pruned.matrices[p.task_id].verdicts
        k = m.shape[1]
        ran = m != Verdict.NOT_RUN
        executed += int(ran.sum())
        assert np.array_equal(m[ran], fixed[p.task_id][:, :k][ran])
        # a candidate left out once stays out
        assert all(np.all(np.diff(row.astype(int)) <= 0) for row in ran)
    assert pruned.report["scaling"]["pairs_executed"] == executed
    assert executed < sum(len(p.candidates) * len(p.tests) for p in pruned.problems)
    assert pruned.report["summary"]["selected"] == plain.report["summary"]["selected"]


def test_dynamic_with_b4_allocates_by_the_urn_change_estimate(cache, fixed_run):
    """The dynamic mode's default estimate is the urn predictive's change
    (``gain="bootstrap"``, for b4 as for every selector): stops are the value rule's (or
    the pool's), the spend stays in the budget and the verdicts are the fixed run's."""
    problems, completions = demo_inputs()
    result = run(problems, RunConfig(cache_path=cache, progress=False, jobs=2,
                                     scaling="dynamic", selector="b4", test_budget=40),
                 completions=completions)
    scaling = result.report["scaling"]
    assert scaling["policy"]["gain"] == "bootstrap"
    assert scaling["policy"]["urn"] == "fixed"
    assert scaling["tests_executed"] <= 40
    assert set(scaling["stopped"]) <= {"decided", "stable", "exhausted", "budget", "cap"}
    fixed = {p.task_id: fixed_run.matrices[p.task_id].verdicts for p in fixed_run.problems}
    for p in result.problems:
        k = len(p.tests)
        assert np.array_equal(result.matrices[p.task_id].verdicts, fixed[p.task_id][:, :k])

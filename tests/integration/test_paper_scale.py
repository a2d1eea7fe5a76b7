"""benchmarks/paper_scale.py on two tasks: the builder's shapes, its cache, and a run
whose counts add up (real subprocesses: the canonical outputs, the labels, the executor)."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from coderm_evalplus.execute.runner import normalise_source
from coderm_evalplus.model import Verdict

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "paper_scale.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_paper_scale", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(spec.name, None)
    if not module.HUMANEVAL.exists() or not module.CODET.exists():
        pytest.skip(f"{module.HUMANEVAL} or {module.CODET} not found")
    return module


def test_drop_update_mutant_never_advances_and_renaming_keeps_behaviour(bench) -> None:
    src = "def f(n):\n    i = 0\n    while i < n:\n        i += 1\n    return i\n"
    [mutant] = bench.drop_update_mutants(src)
    assert "i += 1" not in mutant and "pass" in mutant
    again = bench.renamed(src, "f", 7)
    assert normalise_source(again) != normalise_source(src)
    env: dict = {}
    exec(again, env)
    assert env["f"](5) == 5


def test_two_tasks_shapes_and_counts(bench) -> None:
    # HumanEval/0 is in the CodeT slice (real samples); HumanEval/2 is not (mutants)
    problems = bench.build(None, 6, 5, seed=0, wrong_share=0.2,
                           task_ids=["HumanEval/0", "HumanEval/2"])
    assert [p.task_id for p in problems] == ["HumanEval/0", "HumanEval/2"]
    assert [p.meta["source"] for p in problems] == ["codet", "mutants"]
    from coderm_evalplus.inputs.problem_sets import load_evalplus_problems
    from coderm_evalplus.inputs.samples import read_samples
    real = read_samples(bench.CODET / "codegen16B_code_solution.jsonl",
                        load_evalplus_problems("humaneval", bench.HUMANEVAL), "codet",
                        bench.CODET / "task_ids.json")["HumanEval/0"]
    assert [c.source for c in problems[0].candidates] == [c.source for c in real[:6]]
    for p in problems:
        assert len(p.candidates) == 6 and len(p.tests) == 5
        assert [t.index for t in p.tests] == list(range(5))
        assert all(t.kind == "assert" and t.source.startswith(f"assert {p.entry_point}(*")
                   for t in p.tests)
        assert sum(t.meta["wrong"] for t in p.tests) == 1  # round(0.2 x 5)
        assert p.labels is not None and len(p.labels) == 6
    # a rebuild with the same seed is the same workload
    again = bench.build(None, 6, 5, seed=0, wrong_share=0.2, task_ids=["HumanEval/2"],
                        label=False)
    assert [c.source for c in again[0].candidates] == [c.source for c in problems[1].candidates]
    assert [t.source for t in again[0].tests] == [t.source for t in problems[1].tests]

    matrices: dict = {}
    report = bench.run(problems, jobs=2, seed=0, matrices_out=matrices)
    assert report["pairs"] == 2 * 6 * 5 == report["tasks"] * 6 * 5
    assert report["distinct_pairs"] <= report["pairs"]
    assert report["pairs_executed"] == report["distinct_pairs"]  # no cache: every one runs
    assert sum(report["verdicts"].values()) == report["pairs"]
    assert report["timeouts"] == sum(g["timeouts"] for g in report["groups"].values())
    assert report["distinct_timeouts"] <= report["timeouts"]
    assert {g: v["pairs"] for g, v in report["groups"].items()} == {"codet": 30,
                                                                     "mutants": 30}
    assert set(report["accuracy_pct"]) >= {"codet", "coderm", "robust"}
    # rows drawn as the canonical solution pass exactly the tests that are not wrong
    mutated = problems[1]
    canonical = [c.index for c in mutated.candidates if c.meta["mutant"] == -1]
    assert canonical, "seed 0 draws the canonical solution at least once in 6 rows"
    right = np.array([not t.meta["wrong"] for t in mutated.tests])
    for i in canonical:
        assert mutated.candidates[i].label
        assert ((matrices[mutated.task_id].verdicts[i] == Verdict.PASS) == right).all()


def test_second_workload_call_reads_the_cache(bench, tmp_path: Path) -> None:
    args = argparse.Namespace(tasks=1, candidates=3, tests=3, seed=1, wrong_share=0.0,
                              cache_dir=str(tmp_path), rebuild=False)
    first, info1 = bench.workload(args)
    second, info2 = bench.workload(args)
    assert (info1["how"], info2["how"]) == ("built", "cached")
    assert Path(info1["file"]).parent == tmp_path
    assert [[c.source for c in p.candidates] for p in first] == \
        [[c.source for c in p.candidates] for p in second]
    assert [[c.label for c in p.candidates] for p in first] == \
        [[c.label for c in p.candidates] for p in second]
    assert [[t.source for t in p.tests] for p in first] == \
        [[t.source for t in p.tests] for p in second]


def test_determinism_row_compares_two_real_runs(bench) -> None:
    # one real-sample task, a handful of pairs: two executor runs (the second with every
    # core busy); the row must account for every pair and pick of both runs
    problems = bench.build(None, 4, 3, seed=0, wrong_share=0.0, task_ids=["HumanEval/0"])
    d = bench.determinism(problems, jobs=1, seed=0)
    assert d["pairs"] == 4 * 3
    assert d["differing_verdicts"] == len(d["moved"])
    assert set(d["differing_picks"]) == set(bench.SELECTORS)
    for run in (d["quiet"], d["loaded"]):
        assert run["cpu_s"] > 0 and run["wall_s"] >= 0
    # these pairs end in milliseconds, far from the 1 s limit: no verdict may move
    assert d["differing_verdicts"] == 0, d["moved"]

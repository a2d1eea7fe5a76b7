"""The oracle allocation's knapsack (``scaling.best_allocation``) against brute force.

benchmarks/scaling.py judges the dynamic target with it, so it must be the exact optimum
under the budget, never overspend, and say so when nothing fits.
"""

from __future__ import annotations

import itertools
import sys

import numpy as np
import pytest

from coderm_evalplus.scaling import best_allocation


def brute_force(curves: dict[str, list[float]], costs: dict[str, list[int]],
                budget: int) -> float:
    best = -np.inf
    tasks = list(curves)
    for combo in itertools.product(*[range(len(curves[t])) for t in tasks]):
        if sum(costs[t][j] for t, j in zip(tasks, combo, strict=True)) <= budget:
            best = max(best, sum(curves[t][j] for t, j in zip(tasks, combo, strict=True)))
    return float(best)


@pytest.mark.parametrize("seed", range(12))
def test_matches_brute_force_on_random_curves(seed: int) -> None:
    rng = np.random.default_rng(seed)
    curves, costs = {}, {}
    for i in range(int(rng.integers(2, 5))):
        n = int(rng.integers(1, 5))
        # non-monotone curves on purpose: more tests can hurt a selector
        curves[f"t{i}"] = [float(x) for x in rng.random(n)]
        costs[f"t{i}"] = [0] + sorted(int(x) * 100 for x in rng.integers(1, 8, n - 1))
    budget = int(rng.integers(0, 20)) * 100
    total, pick = best_allocation(curves, costs, budget)
    assert total == pytest.approx(brute_force(curves, costs, budget))
    assert sum(costs[t][j] for t, j in pick.items()) <= budget
    assert total == pytest.approx(sum(curves[t][j] for t, j in pick.items()))


def test_spends_where_the_curve_rises_and_skips_a_harmful_option() -> None:
    curves = {"flat": [0.3, 0.3, 0.3], "rising": [0.0, 0.5, 1.0], "harmful": [0.8, 0.1, 0.0]}
    costs = {t: [0, 500, 1000] for t in curves}
    total, pick = best_allocation(curves, costs, 1000)
    assert pick == {"flat": 0, "rising": 2, "harmful": 0}
    assert total == pytest.approx(2.1)


def test_costs_not_multiples_of_each_other_are_exact() -> None:
    # gcd 1: 3 + 4 <= 7 fits, 3 + 5 does not
    curves = {"a": [0.0, 1.0], "b": [0.0, 1.0, 1.5]}
    costs = {"a": [0, 3], "b": [0, 4, 5]}
    assert best_allocation(curves, costs, 7) == (pytest.approx(2.0), {"a": 1, "b": 1})
    assert best_allocation(curves, costs, 8) == (pytest.approx(2.5), {"a": 1, "b": 2})


def test_forced_options_and_infeasible_budget() -> None:
    # a problem whose cheapest option costs 200 must take it; a 100 budget cannot
    curves = {"a": [0.2, 0.9], "b": [0.5]}
    costs = {"a": [0, 300], "b": [200]}
    assert best_allocation(curves, costs, 200) == (pytest.approx(0.7), {"a": 0, "b": 0})
    with pytest.raises(ValueError, match="task b"):
        best_allocation(curves, costs, 100)
    with pytest.raises(ValueError, match="same, non-zero length"):
        best_allocation({"a": [0.1]}, {"a": [0, 1]}, 5)
    with pytest.raises(ValueError, match=">= 0"):
        best_allocation(curves, costs, -1)


def test_benchmark_oracle_row_on_a_hand_built_set() -> None:
    """benchmarks/scaling.py's oracle: first batch kept, conservative <= oracle, and
    tests go where they change the pick."""
    import importlib.util
    from pathlib import Path

    from coderm_evalplus.model import Candidate, Problem, Verdict

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "scaling.py"
    spec = importlib.util.spec_from_file_location("bench_scaling_oracle", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # dataclasses look their module up there
    try:
        spec.loader.exec_module(bench)
    finally:
        sys.modules.pop(spec.name, None)

    def prob(task: str, labels: list[bool]) -> Problem:
        return Problem(task_id=task, entry_point="f", candidates=[
            Candidate(index=i, source=f"def f(): return {i}", label=lab)
            for i, lab in enumerate(labels)])
    P, F = Verdict.PASS, Verdict.FAIL
    # "late": a wrong candidate wins the first 10 tests, the right one the next 30
    late = np.full((2, 40), F, dtype=np.int8)
    late[1, :10] = P
    late[0, 10:] = P
    # "settled": the right candidate passes everything from the start
    settled = np.full((2, 40), F, dtype=np.int8)
    settled[0] = P
    s = bench.ScalingSet("toy", [prob("late", [True, False]), prob("settled", [True, False])],
                         {"late": late, "settled": settled})
    orders = [{t: np.arange(40) for t in s.pool}]  # the order is what makes "late" late
    out = bench.oracle_allocation(s, "coderm", orders, 0, 5, 100.0)
    tests = out["oracle"]["tests_at_50"]
    assert tests["settled"] == 5  # the first batch, nothing more
    assert tests["late"] >= 25  # enough for the right candidate to overtake
    assert out["oracle"]["at_50"] == pytest.approx(100.0)
    assert out["conservative"]["at_50"] <= out["oracle"]["at_50"] + 1e-9
    assert out["oracle"]["share_needed"] is not None
    assert out["oracle"]["share_needed"] <= 0.5 + 1e-9

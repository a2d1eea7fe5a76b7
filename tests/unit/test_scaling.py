"""Dynamic test scaling on hand-built outcome matrices: estimator, allocator, early stop.

Verdict columns are revealed through ``MatrixSource`` (or a counting wrapper), the same
way the benchmark simulates runs; selectors are the real registered ones.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytest

from coderm_evalplus.model import Candidate, Problem, Verdict
from coderm_evalplus.plugins import get_selector
from coderm_evalplus.scaling import (
    MatrixSource,
    ScalingPolicy,
    allocate,
    change_estimate,
    difficulty_buckets,
    estimate_difficulty,
    jaccard_distance,
    program_keys,
    vote_locked,
)

P, F = Verdict.PASS, Verdict.FAIL


def problem(task_id: str, sources: list[str], labels: list[bool] | None = None) -> Problem:
    cands = [Candidate(index=i, source=s, label=None if labels is None else labels[i])
             for i, s in enumerate(sources)]
    return Problem(task_id=task_id, entry_point="f", candidates=cands)


def decided_problem(n_tests: int = 40) -> tuple[Problem, np.ndarray]:
    """Two copies of one program pass everything, three others fail everything."""
    p = problem("decided", ["def f(): return 1"] * 2 + [f"def f(): return {i}" for i in (2, 3, 4)])
    m = np.full((5, n_tests), F, dtype=np.int8)
    m[:2] = P
    return p, m


def contested_problem(n_tests: int = 40, seed: int = 1) -> tuple[Problem, np.ndarray]:
    """Six distinct programs; every test passes a random half of them."""
    rng = np.random.default_rng(seed)
    p = problem("contested", [f"def f(): return {i} # {i}" for i in range(6)])
    m = np.where(rng.random((6, n_tests)) < 0.5, P, F).astype(np.int8)
    return p, m


class CountingSource(MatrixSource):
    """Records every column it hands out (to prove nothing else is read)."""

    def __init__(self, matrices: Mapping[str, np.ndarray]) -> None:
        super().__init__(matrices)
        self.revealed: dict[str, int] = {t: 0 for t in matrices}

    def reveal(self, grants):
        out = super().reveal(grants)
        for t, cols in out.items():
            self.revealed[t] += cols.shape[1]
        return out


def coderm():
    return get_selector("coderm").select


# ------------------------------------------------------------------ estimator

def test_difficulty_zero_when_every_candidate_agrees():
    passed = np.ones((4, 6), dtype=bool)
    d = estimate_difficulty(passed, [0, 1, 2, 3])
    assert (d.agreement, d.margin, d.entropy, d.spread, d.pass_sets) == (1.0, 1.0, 0.0, 0.0, 1)
    assert d.score == 0.0


def test_difficulty_orders_split_above_clear_winner():
    clear = np.array([[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [0, 0, 0, 0]], dtype=bool)
    split = np.array([[1, 1, 0, 0], [1, 0, 1, 0], [0, 1, 1, 0], [0, 0, 1, 1]], dtype=bool)
    d_clear = estimate_difficulty(clear, [0, 1, 2])
    d_split = estimate_difficulty(split, [0, 1, 2, 3])
    assert d_clear.margin == 1.0 and d_clear.agreement == 0.75
    assert d_split.pass_sets == 4 and d_split.agreement == 0.25
    assert d_split.score > d_clear.score


def test_jaccard_distance():
    a = np.array([1, 1, 0, 0], dtype=bool)
    assert jaccard_distance(a, a) == 0.0
    assert jaccard_distance(a, np.array([0, 0, 1, 1], dtype=bool)) == 1.0
    assert jaccard_distance(a, np.array([1, 0, 0, 0], dtype=bool)) == 0.5


def test_change_estimate_zero_when_decided_positive_when_contested():
    sel = coderm()
    p, m = decided_problem(10)
    tied = np.array(sel(p, _om(p, m), np.random.default_rng(0)).tied)
    assert change_estimate(p, m, sel, tied, 5, 16, np.random.default_rng(0)) == 0.0
    q, c = contested_problem(10)
    tied = np.array(sel(q, _om(q, c), np.random.default_rng(0)).tied)
    assert change_estimate(q, c, sel, tied, 5, 16, np.random.default_rng(0)) > 0.1


def _om(p, m):
    from coderm_evalplus.model import OutcomeMatrix

    return OutcomeMatrix(p.task_id, m)


# ------------------------------------------------------------------ exact stop

def test_vote_locked_margin_against_remaining_tests():
    p, m = decided_problem(6)
    passed = m == P
    scores = passed.sum(axis=1).astype(float)
    programs = program_keys(p)
    assert programs.tolist() == [0, 0, 1, 2, 3]
    assert vote_locked(passed, scores, programs, remaining=5)  # outsiders trail by 6
    assert not vote_locked(passed, scores, programs, remaining=6)  # could tie the group
    assert not vote_locked(passed, scores, programs, remaining=None)  # unknown pool
    assert not vote_locked(passed, scores * 2, programs, remaining=0)  # not a count vote


def test_vote_locked_needs_one_program_in_the_top_group():
    p, m = decided_problem(6)
    distinct = np.array([0, 1, 2, 3, 4])  # the two top candidates are different programs
    passed = m == P
    assert not vote_locked(passed, passed.sum(axis=1).astype(float), distinct, remaining=0)
    assert program_keys(problem("x", ["a = 1  # c", "a=1", "a = 2"])).tolist() == [0, 0, 1]


def test_decided_problem_stops_exactly_when_pool_cannot_catch_up():
    p, m = decided_problem(12)
    source = CountingSource({p.task_id: m})
    alloc = allocate([p], source, coderm(), budget=100,
                     policy=ScalingPolicy(gain="change", initial=5, batch=1,
                                         min_tests=1000))
    # after 6 tests the outsiders trail by 6 with 6 left: tie possible; after 7, 7 > 5
    assert alloc.states[p.task_id].stopped == "decided"
    assert alloc.states[p.task_id].tests == 7 == source.revealed[p.task_id]


# ------------------------------------------------------------------ allocation

def test_decided_problem_gets_no_more_budget_contested_one_does():
    p, m = decided_problem()
    q, c = contested_problem()
    source = CountingSource({p.task_id: m, q.task_id: c})
    alloc = allocate([p, q], source, coderm(), budget=40,
                     policy=ScalingPolicy(gain="change", initial=5, batch=5, min_tests=5, novelty=0))
    assert alloc.states["decided"].tests == 5
    assert alloc.states["decided"].stopped == "stable"
    assert alloc.states["contested"].tests == 35
    assert alloc.tests_executed == 40 == sum(source.revealed.values())
    assert alloc.pairs_executed == 5 * 5 + 6 * 35


def test_greedy_gives_the_batch_to_the_larger_expected_gain():
    p, m = decided_problem()
    q, c = contested_problem()
    # decided first in problem order: greedy must still pick the contested one
    alloc = allocate([p, q], MatrixSource({p.task_id: m, q.task_id: c}), coderm(),
                     budget=15, policy=ScalingPolicy(gain="bootstrap", initial=5, batch=5,
                                                     min_tests=1000, novelty=0))
    assert alloc.states["decided"].tests == 5
    assert alloc.states["contested"].tests == 10
    assert alloc.states["decided"].gain < alloc.states["contested"].gain


@pytest.mark.parametrize("budget", [0, 3, 7, 12, 33, 1000])
@pytest.mark.parametrize("selector", ["coderm", "codet", "robust", "random"])
def test_budget_never_exceeded_and_counts_match(budget, selector):
    rng = np.random.default_rng(budget)
    mats, problems = {}, []
    for i in range(4):
        n_tests = int(rng.integers(0, 25))
        mats[f"t{i}"] = np.where(rng.random((5, n_tests)) < 0.6, P, F).astype(np.int8)
        problems.append(problem(f"t{i}", [f"def f(): return {j}" for j in range(5)]))
    source = CountingSource(mats)
    alloc = allocate(problems, source, get_selector(selector).select, budget=budget,
                     policy=ScalingPolicy(initial=3, batch=4))
    total = sum(s.tests for s in alloc.states.values())
    assert alloc.tests_executed == total == sum(source.revealed.values()) <= budget
    for t, s in alloc.states.items():
        assert s.tests <= mats[t].shape[1]
        assert np.array_equal(s.verdicts, mats[t][:, :s.tests])  # columns in pool order
        assert s.selection is not None and s.stopped is not None
    if budget >= sum(m.shape[1] for m in mats.values()) and selector == "random":
        # random's pick never moves: every problem stops once allowed (or runs dry)
        assert all(s.stopped in ("stable", "exhausted") for s in alloc.states.values())


def test_initial_round_respects_a_tiny_budget():
    p, m = contested_problem()
    q, c = contested_problem(seed=2)
    q.task_id = "other"
    alloc = allocate([p, q], MatrixSource({p.task_id: m, "other": c}), coderm(), budget=7,
                     policy=ScalingPolicy(initial=5, batch=5))
    assert [s.tests for s in alloc.states.values()] == [5, 2]
    assert alloc.tests_executed == 7


def test_deterministic_for_a_seed():
    def once(seed):
        probs, mats = [], {}
        for i in range(5):
            q, c = contested_problem(30, seed=i)
            q.task_id = f"c{i}"
            probs.append(q)
            mats[q.task_id] = c
        return allocate(probs, MatrixSource(mats), coderm(), budget=80,
                        policy=ScalingPolicy(initial=5, batch=5, resamples=8), seed=seed)

    a, b = once(3), once(3)
    assert [x["k"] for x in a.trace] == [x["k"] for x in b.trace]
    assert {t: s.change for t, s in a.states.items()} == \
        {t: s.change for t, s in b.states.items()}


def test_orders_change_which_columns_are_revealed():
    q, c = contested_problem(10)
    order = list(range(9, -1, -1))
    alloc = allocate([q], MatrixSource({q.task_id: c}, {q.task_id: order}), coderm(),
                     budget=4, policy=ScalingPolicy(initial=4))
    assert np.array_equal(alloc.states[q.task_id].verdicts, c[:, [9, 8, 7, 6]])


def test_difficulty_buckets_split_evenly_and_average():
    probs = [problem(f"t{i}", ["a"]) for i in range(10)]
    diff = {f"t{i}": float(i) for i in range(10)}
    gain = {f"t{i}": float(i % 2) for i in range(10)}
    rows = difficulty_buckets(probs, diff, {"gain": gain}, n_buckets=5)
    assert [r["tasks"] for r in rows] == [2] * 5
    assert rows[0]["difficulty_min"] == 0.0 and rows[-1]["difficulty_max"] == 9.0
    assert all(r["gain"] == 0.5 for r in rows)


def test_policy_rejects_bad_values():
    with pytest.raises(ValueError):
        ScalingPolicy(batch=0)
    with pytest.raises(ValueError):
        ScalingPolicy(gain="magic")
    with pytest.raises(ValueError):
        allocate([], MatrixSource({}), coderm(), budget=-1)


def test_novelty_floor_keeps_a_not_yet_discriminated_problem_alive():
    """Everyone fails the first 5 tests alike; test 6 on separates the programs.  The
    jackknife alone (novelty 0) calls the pick settled; the floor gives it more tests."""
    p = problem("late", [f"def f(): return {i}" for i in range(4)])
    m = np.full((4, 30), F, dtype=np.int8)
    m[0, 5:] = P
    m[1, 5:20] = P
    runs = {}
    for novelty in (0.0, 2.0):
        runs[novelty] = allocate([p], MatrixSource({"late": m}), coderm(), budget=30,
                                 policy=ScalingPolicy(gain="change", initial=5, batch=5, min_tests=5,
                                                      novelty=novelty))
    assert runs[0.0].states["late"].tests == 5
    assert runs[0.0].states["late"].stopped == "stable"
    assert runs[2.0].states["late"].tests > 5
    assert runs[2.0].states["late"].selection.tied == [0]


def test_run_level_fit_sees_every_problem_after_each_round():
    p, m = decided_problem()
    q, c = contested_problem()
    seen: list[dict[str, int]] = []

    def fit(problems, matrices):
        assert {x.task_id for x in problems} == {p.task_id, q.task_id}
        seen.append({t: mat.verdicts.shape[1] for t, mat in matrices.items()})

    alloc = allocate([p, q], MatrixSource({p.task_id: m, q.task_id: c}), coderm(),
                     budget=40, policy=ScalingPolicy(initial=5, batch=5), seed=0, fit=fit)
    assert len(seen) == len(alloc.trace)  # once per round, before the re-selection
    assert seen[0] == {p.task_id: 5, q.task_id: 5}
    assert seen[-1] == {t: s.tests for t, s in alloc.states.items()}


def test_report_judges_each_trace_point_with_the_run_fitted_on_it():
    from coderm_evalplus.scaling import scaling_report

    p, m = decided_problem()
    q, c = contested_problem()
    for prob in (p, q):
        for cand in prob.candidates:
            cand.label = cand.index < 2
    alloc = allocate([p, q], MatrixSource({p.task_id: m, q.task_id: c}), coderm(),
                     budget=40, policy=ScalingPolicy(initial=5, batch=5), seed=0)
    seen: list[dict[str, int]] = []

    def fit(problems, matrices):
        seen.append({t: mat.verdicts.shape[1] for t, mat in matrices.items()})

    out = scaling_report(alloc, coderm(), seed=0, resamples=2, fit=fit)
    trace = out["scaling"]["trace"]
    assert seen[0] == alloc.trace[0]["k"]  # the initial round
    assert seen[1:-1] == [point["k"] for point in alloc.trace
                          if any(point["tests"] == t["tests"] for t in trace)]
    assert seen[-1] == {t: s.tests for t, s in alloc.states.items()}  # ends on the final run

"""Allocation by expected value of information (``scaling.voi``) on hand-built matrices.

The posterior is the real ``b4`` selector's; columns are revealed through
``MatrixSource`` as in the benchmark.  Each case is small enough to check by eye.
"""

from __future__ import annotations

import numpy as np

from coderm_evalplus.model import Candidate, OutcomeMatrix, Problem, Verdict
from coderm_evalplus.plugins import get_selector
from coderm_evalplus.scaling import MatrixSource, ScalingPolicy, allocate, program_keys
from coderm_evalplus.scaling.voi import (
    belief_of,
    lineage_splits,
    model_priors,
    posterior_of,
    predictive_rates,
    value_of_tests,
)

P, F = Verdict.PASS, Verdict.FAIL


def problem(task_id: str, sources: list[str]) -> Problem:
    return Problem(task_id=task_id, entry_point="f",
                   candidates=[Candidate(index=i, source=s) for i, s in enumerate(sources)])


def certain(n_tests: int = 40) -> tuple[Problem, np.ndarray]:
    """Five copies of one program pass every test; three others fail every test."""
    p = problem("certain", ["def f(): return 1"] * 5
                + [f"def f(): return {i}" for i in (2, 3, 4)])
    m = np.full((8, n_tests), F, dtype=np.int8)
    m[:5] = P
    return p, m


def near_tie(n_tests: int = 40) -> tuple[Problem, np.ndarray]:
    """Program A (2 copies) passes every test; program B (4 copies) fails the first one
    and every 3rd test after the 10th; two more fail everything.  After 10 tests B4 puts
    about 0.19 / 0.81 on A / B (more copies against one failed test): a near tie that the
    next tests decide."""
    p = problem("near_tie", ["def f(): return 1"] * 2 + ["def f(): return 2"] * 4
                + ["def f(): return 3", "def f(): return 4"])
    m = np.full((8, n_tests), P, dtype=np.int8)
    m[2:6, 0] = F
    m[2:6, 10::3] = F
    m[6:] = F
    return p, m


def test_b4_exposes_a_posterior_and_coderm_does_not() -> None:
    assert posterior_of(get_selector("b4")) is not None
    assert posterior_of(get_selector("coderm")) is None


def test_certain_pick_has_no_value_and_gets_no_more_tests() -> None:
    b4 = get_selector("b4")
    pc, mc = certain()
    pt, mt = near_tie()
    policy = ScalingPolicy(gain="voi", initial=10, batch=5, round_size=1, min_tests=10)
    alloc = allocate([pc, pt], MatrixSource({"certain": mc, "near_tie": mt}), b4.select,
                     budget=30, policy=policy)
    st = alloc.states
    assert st["certain"].stopped == "decided"
    assert st["certain"].tests == 10  # the first batch only
    assert st["certain"].headroom is not None and st["certain"].headroom < 0.005
    # the one batch past the first went to the near tie, which it decided (B fails
    # test 10): both stop with budget left
    assert st["near_tie"].tests == 15
    assert st["near_tie"].stopped == "decided"
    assert alloc.tests_executed == 25


def test_near_tie_ranks_first_for_the_next_batch() -> None:
    """After the first batches (budget spent) the near tie carries the value and the
    certain problem none; with room for one more batch the near tie gets it."""
    b4 = get_selector("b4")
    pc, mc = certain()
    pt, mt = near_tie()
    policy = ScalingPolicy(gain="voi", initial=10, batch=5, round_size=1, min_tests=40)
    first = allocate([pc, pt], MatrixSource({"certain": mc, "near_tie": mt}), b4.select,
                     budget=20, policy=policy)
    assert first.states["near_tie"].gain > 0.05
    assert first.states["certain"].gain == 0.0
    more = allocate([pt, pc], MatrixSource({"certain": mc, "near_tie": mt}), b4.select,
                    budget=25, policy=policy)
    assert more.states["near_tie"].tests == 15
    assert more.states["certain"].tests == 10


def test_value_is_zero_when_nothing_can_be_correct() -> None:
    """All the posterior mass on "no candidate is correct": no test can help."""
    b4 = get_selector("b4")
    p, m = near_tie()
    v = m[:, :10]
    belief = belief_of(v == P, np.zeros(8), 1.0)
    sel = b4.select(p, OutcomeMatrix(p.task_id, v), np.random.default_rng(0))
    assert value_of_tests(p, v, belief, b4.select, sel.tied, [5, 20], 16,
                      np.random.default_rng(0)) == [0.0, 0.0]


def test_value_grows_with_doubt_between_two_clusters() -> None:
    """Mass split 50/50 between the picked cluster and another is worth more than
    95/5 in the pick's favour."""
    b4 = get_selector("b4")
    p, m = near_tie()
    v = m[:, :10]
    passed = v == P
    sel = b4.select(p, OutcomeMatrix(p.task_id, v), np.random.default_rng(0))
    ids = belief_of(passed, np.zeros(8), 0.0).ids

    def value(masses: dict[int, float]) -> float:
        p_cand = np.array([masses.get(int(c), 0.0) for c in ids])
        b = belief_of(passed, p_cand, 0.0, model_priors(b4.posterior))
        return value_of_tests(p, v, b, b4.select, sel.tied, [20], 64,
                              np.random.default_rng(1), program_keys(p))[0]
    picked, other = int(ids[sel.tied[0]]), int(ids[0])
    assert picked != other
    assert value({picked: 0.5, other: 0.5}) > value({picked: 0.95, other: 0.05}) + 0.05


def test_predictive_rates_follow_agreement() -> None:
    """A cluster that agreed with c on every right test passes the next right test
    more often than one that agreed on none."""
    passed = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 1, 1]], bool)
    b = belief_of(passed, np.array([0.6, 0.3, 0.1]), 0.0)  # Laplace priors
    right, on_right, on_wrong = predictive_rates(b)
    c0 = int(b.ids[0])
    assert right[c0] == (4 + 1) / (6 + 2)
    assert on_right[c0, b.ids[1]] == (4 + 1) / (4 + 2)
    assert on_right[c0, b.ids[2]] == (0 + 1) / (4 + 2)
    assert on_wrong[c0, b.ids[1]] == (2 + 1) / (2 + 2)


def test_lineage_splits_count_tests_that_separated_lookalikes() -> None:
    # candidates 0, 1 agree on all four tests; 2 leaves them at test 1, 3 at test 3
    passed = np.array([[1, 1, 1, 1], [1, 1, 1, 1], [1, 0, 1, 1], [1, 1, 1, 0]], bool)
    b = belief_of(passed, np.full(4, 0.25), 0.0)
    splits = lineage_splits(passed, b.ids)
    assert splits[b.ids[0]] == 2
    assert splits[b.ids[2]] == 1


def test_spend_all_resumes_stopped_problems_fewest_tests_first() -> None:
    """With ``spend_all`` a budget is spent even when every problem stopped early: the
    stopped ones resume (fewest tests first) and keep their first stop reason."""
    b4 = get_selector("b4")
    pc, mc = certain()
    pt, mt = near_tie()
    policy = ScalingPolicy(gain="voi", initial=10, batch=5, round_size=1, spend_all=True)
    alloc = allocate([pc, pt], MatrixSource({"certain": mc, "near_tie": mt}), b4.select,
                     budget=40, policy=policy)
    assert alloc.settled_at == 25  # where the run would have stopped
    assert alloc.tests_executed == 40
    # after the stop the certain problem (10 tests) gets the next batch, then they alternate
    assert alloc.states["certain"].tests == 20
    assert alloc.states["near_tie"].tests == 20
    assert alloc.stop_reasons() == {"decided": 2}

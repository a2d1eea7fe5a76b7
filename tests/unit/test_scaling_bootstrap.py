"""The urn predictive's change estimate (``scaling.bootstrap``) on hand-built matrices,
with the real selectors; columns revealed through ``MatrixSource`` as in the benchmark."""

from __future__ import annotations

import numpy as np

from coderm_evalplus.model import Candidate, Problem, Verdict
from coderm_evalplus.plugins import get_selector
from coderm_evalplus.scaling import MatrixSource, ScalingPolicy, allocate
from coderm_evalplus.scaling.bootstrap import change_of_tests, simulate_columns

P, F = Verdict.PASS, Verdict.FAIL


def problem(task_id: str, sources: list[str]) -> Problem:
    return Problem(task_id=task_id, entry_point="f",
                   candidates=[Candidate(index=i, source=s) for i, s in enumerate(sources)])


def certain(n_tests: int = 20) -> tuple[Problem, np.ndarray]:
    """Three copies of one program pass every test; three others fail every test."""
    p = problem("certain", ["def f(): return 1"] * 3
                + [f"def f(): return {i}" for i in (2, 3, 4)])
    m = np.full((6, n_tests), F, dtype=np.int8)
    m[:3] = P
    return p, m


def contested(n_tests: int = 20) -> tuple[Problem, np.ndarray]:
    """Program A (3 copies) passes the even tests, program B (3 copies) the odd ones and
    test 0 too: B leads by one test, and a resample of the columns may reverse it."""
    p = problem("contested", ["def f(): return 1"] * 3 + ["def f(): return 2"] * 3)
    m = np.full((6, n_tests), F, dtype=np.int8)
    m[:3, 0::2] = P
    m[3:, 1::2] = P
    m[3:, 0] = P
    return p, m


def test_contested_pick_has_a_high_change_and_certain_one_near_zero() -> None:
    for name in ("robust", "b4"):
        sel = get_selector(name)
        pc, mc = certain()
        pt, mt = contested()
        tie_c = sel.select(pc, _om(pc, mc), np.random.default_rng(0)).tied
        tie_t = sel.select(pt, _om(pt, mt), np.random.default_rng(0)).tied
        vc = change_of_tests(pc, mc, sel.select, tie_c, [5, 20], 24, np.random.default_rng(1))
        vt = change_of_tests(pt, mt, sel.select, tie_t, [5, 20], 24, np.random.default_rng(1))
        assert vc == [0.0, 0.0], name  # no resample or novel column lifts a 0/20 over 20/20
        assert vt[1] > 0.2, (name, vt)
        assert vt[1] >= vt[0] > 0.0, (name, vt)  # more tests, more chance to flip


def test_change_is_deterministic_under_a_seed() -> None:
    sel = get_selector("robust")
    pt, mt = contested()
    tie = sel.select(pt, _om(pt, mt), np.random.default_rng(0)).tied
    a = change_of_tests(pt, mt, sel.select, tie, [5, 20], 16, np.random.default_rng(7))
    b = change_of_tests(pt, mt, sel.select, tie, [5, 20], 16, np.random.default_rng(7))
    assert a == b


def test_urn_draws_revealed_columns_and_novel_ones_only_by_alpha() -> None:
    _, m = contested(8)
    cols = simulate_columns(m, 50, np.random.default_rng(3), alpha=0.0)
    seen = {tuple(m[:, j]) for j in range(m.shape[1])}
    assert all(tuple(cols[:, j]) in seen for j in range(50))
    # with no revealed tests every column is novel: copies within a cluster agree
    empty = np.zeros((6, 0), dtype=np.int8)
    cols = simulate_columns(empty, 40, np.random.default_rng(3))
    assert (cols == cols[0]).all()  # one cluster (no tests): it passes or fails whole
    assert {P, F} == set(np.unique(cols[0]).tolist())


def test_allocation_sends_the_next_batch_to_the_contested_problem() -> None:
    sel = get_selector("robust")
    pc, mc = certain(40)
    pt, mt = contested(40)
    policy = ScalingPolicy(initial=10, batch=5, min_tests=10, gain="bootstrap",
                           spend_all=False)
    alloc = allocate([pc, pt], MatrixSource({"certain": mc, "contested": mt}), sel.select,
                     budget=30, policy=policy)
    st = alloc.states
    assert st["certain"].tests == 10 and st["certain"].stopped == "stable"
    assert st["contested"].tests == 20
    assert st["contested"].gain > 0.05


def _om(p: Problem, m: np.ndarray):  # noqa: ANN202 - a one-line helper
    from coderm_evalplus.model import OutcomeMatrix
    return OutcomeMatrix(p.task_id, m)


# ---------------------------------------------------------- the urn's novel columns

def _distinct_columns(k: int, m: int, n: int = 24) -> np.ndarray:
    """``m`` columns with exactly ``k`` distinct pass patterns (pattern j: row j passes)."""
    out = np.full((n, m), F, dtype=np.int8)
    for j in range(m):
        out[j % k, j] = P
    return out


def test_ewens_alpha_solves_the_expected_number_of_patterns() -> None:
    from coderm_evalplus.scaling.bootstrap import ewens_alpha
    alphas = [ewens_alpha(_distinct_columns(k, 20)) for k in (1, 3, 8, 13, 20)]
    assert alphas[0] < 0.01 and alphas[-1] > 1000  # one pattern / every column new
    assert alphas == sorted(alphas)  # more patterns seen, more novelty predicted
    for k, a in zip((3, 8, 13), alphas[1:4], strict=True):
        assert abs(sum(a / (a + i) for i in range(20)) - k) < 1e-3


def test_rate_novel_columns_follow_each_cluster_pass_rate() -> None:
    # every column novel (alpha huge): rows 0-2 passed all 20 tests, rows 3-5 none
    _, m = certain()
    cols = simulate_columns(m, 4000, np.random.default_rng(5), alpha=1e9, novel="rate")
    top, bottom = (cols[0] == P).mean(), (cols[3] == P).mean()
    assert abs(top - 21 / 22) < 0.02 and abs(bottom - 1 / 22) < 0.02  # Laplace rates
    assert (cols[:3] == cols[0]).all()  # a cluster passes or fails whole


def test_split_novel_columns_split_distinct_programs_never_copies() -> None:
    # rows 0-2: three distinct programs that agreed on all 20 tests, but test 0 split
    # their lineage from row 3 (which then failed everything); rows 4-5 copies of one
    p = problem("split", [f"def f(): return {i}" for i in range(4)]
                + ["def f(): return 9"] * 2)
    m = np.full((6, 20), F, dtype=np.int8)
    m[:3] = P
    m[3, 0] = P
    m[4:] = P
    from coderm_evalplus.scaling import program_keys
    cols = simulate_columns(m, 3000, np.random.default_rng(2), alpha=1e9, novel="split",
                            programs=program_keys(p))
    assert (cols[4] == cols[5]).all()  # copies of one program never disagree
    apart = (cols[0] != cols[1]).mean()
    assert 0.0 < apart < 0.2  # splits happen, at the cluster's hazard (2/22, half apart)
    rate = simulate_columns(m, 3000, np.random.default_rng(2), alpha=1e9, novel="rate")
    assert (rate[0] == rate[1]).all()  # without splits the cluster stays whole


def test_balanced_gives_fewest_first_and_stops_the_certain_problem() -> None:
    sel = get_selector("robust")
    pc, mc = certain(60)
    pt, mt = contested(60)
    policy = ScalingPolicy(initial=10, batch=5, min_tests=10, gain="balanced",
                           spend_all=False)
    alloc = allocate([pc, pt], MatrixSource({"certain": mc, "contested": mt}), sel.select,
                     budget=50, policy=policy)
    st = alloc.states
    assert st["certain"].tests == 10 and st["certain"].stopped == "stable"
    assert st["contested"].tests == 40
    # the gain is the fewest-tests order, not the estimate: the contested problem's
    # change estimate is what keeps it active
    assert st["contested"].change > policy.value_threshold


def test_balanced_splits_evenly_where_bootstrap_follows_the_larger_change() -> None:
    """Two problems both still contested, one more than the other: "balanced" gives
    them the same tests (the estimate only stops), "bootstrap" the batches to the
    larger change."""
    sel = get_selector("robust")

    def tilted() -> tuple[Problem, np.ndarray]:  # as contested, B leads by 2 tests
        p = problem("tilted", ["def f(): return 1"] * 3 + ["def f(): return 2"] * 3)
        m = np.full((6, 60), F, dtype=np.int8)
        m[:3, 0::2] = P
        m[3:, 1::2] = P
        m[3:, 0:4:2] = P
        return p, m

    tests = {}
    for gain in ("balanced", "bootstrap"):
        (pt, mt), (pq, mq) = contested(60), tilted()
        alloc = allocate([pt, pq], MatrixSource({"contested": mt, "tilted": mq}),
                         sel.select, budget=60,
                         policy=ScalingPolicy(initial=10, batch=5, min_tests=10, gain=gain))
        tests[gain] = (alloc.states["contested"].tests, alloc.states["tilted"].tests)
    assert tests["balanced"] == (30, 30)
    assert tests["bootstrap"][0] > tests["bootstrap"][1]


def test_policy_rejects_unknown_urn_and_horizon() -> None:
    import pytest
    with pytest.raises(ValueError, match="urn"):
        ScalingPolicy(urn="nope")
    with pytest.raises(ValueError, match="stop_horizon"):
        ScalingPolicy(stop_horizon="forever")


# ------------------------------------------- informative lookahead, floor, weight

def test_informative_columns_are_those_that_split_the_candidates() -> None:
    from coderm_evalplus.scaling.bootstrap import informative_columns, informative_rate
    m = np.array([[P, F, P, F], [P, F, F, Verdict.NOT_RUN], [P, F, F, P]], dtype=np.int8)
    assert informative_columns(m).tolist() == [False, False, True, True]
    assert informative_rate(m) == (2 + 1) / (4 + 2)  # Laplace over the 4 columns


def test_informative_urn_ignores_columns_everyone_fails() -> None:
    # the same informative columns, with three all-fail columns after each: the urn of
    # informative columns is the same urn, so the same draws give the same columns
    _, m = contested(12)
    padded = np.full((6, 48), F, dtype=np.int8)
    padded[:, 0::4] = m
    a = simulate_columns(m, 30, np.random.default_rng(4), informative=True)
    b = simulate_columns(padded, 30, np.random.default_rng(4), informative=True)
    assert (a == b).all()
    # and no draw is a constant column: every copy is of an informative one
    assert all(0 < (a[:, j] == P).sum() < 6 for j in range(30))


def test_informative_novel_column_splits_programs_when_clusters_agree() -> None:
    # one cluster (everyone failed all 10 tests) of two programs, three copies each:
    # every novel informative column separates the two programs, never the copies
    p = problem("flat", ["def f(): return 1"] * 3 + ["def f(): return 2"] * 3)
    m = np.full((6, 10), F, dtype=np.int8)
    from coderm_evalplus.scaling import program_keys
    cols = simulate_columns(m, 200, np.random.default_rng(6), alpha=1.0,
                            programs=program_keys(p), informative=True)
    assert (cols[:3] == cols[0]).all() and (cols[3:] == cols[3]).all()
    assert (cols[0] != cols[3]).all()
    plain = simulate_columns(m, 200, np.random.default_rng(6), alpha=1.0)
    assert (plain == plain[0]).all()  # without it the cluster only passes or fails whole


def test_floor_half_gives_every_other_batch_to_the_fewest_tests() -> None:
    sel = get_selector("robust")
    out = {}
    for floor in ("none", "half"):
        (pc, mc), (pt, mt) = certain(60), contested(60)
        policy = ScalingPolicy(initial=10, batch=5, min_tests=30, gain="bootstrap",
                               spend_all=False, floor=floor)
        alloc = allocate([pc, pt], MatrixSource({"certain": mc, "contested": mt}),
                         sel.select, budget=40, policy=policy)
        out[floor] = (alloc.states["certain"].tests, alloc.states["contested"].tests)
    assert out["none"] == (10, 30)  # the certain pick has no change: greedy skips it
    assert out["half"] == (20, 20)  # greedy, floor, greedy, floor


def test_posterior_weight_scales_the_gain_by_the_chance_some_candidate_is_right() -> None:
    sel = get_selector("robust")
    gains = {}
    for weight in ("none", "posterior"):
        pt, mt = contested(40)
        alloc = allocate([pt], MatrixSource({"contested": mt}), sel.select, budget=10,
                         policy=ScalingPolicy(initial=10, gain="bootstrap", weight=weight))
        gains[weight] = alloc.states["contested"].gain
    pt, mt = contested(40)
    _, p_none = sel.posterior(pt, _om(pt, mt[:, :10]))
    assert gains["none"] > 0.0
    assert abs(gains["posterior"] - gains["none"] * (1.0 - p_none)) < 1e-12


def test_policy_rejects_unknown_floor_and_weight() -> None:
    import pytest
    with pytest.raises(ValueError, match="floor"):
        ScalingPolicy(floor="all")
    with pytest.raises(ValueError, match="weight"):
        ScalingPolicy(weight="labels")


def test_informative_lookahead_keeps_a_problem_everyone_failed_so_far() -> None:
    """Two programs fail the first 10 tests alike, then every later test separates
    them.  The plain urn only copies constant columns (or passes/fails the one cluster
    whole): no change, the problem stops as stable at 10 tests.  The informative urn
    knows an informative test must split the two programs, so it tests on until they
    are apart."""
    sel = get_selector("robust")
    out = {}
    for informative in (False, True):
        p = problem("flat", ["def f(): return 1"] * 3 + ["def f(): return 2"] * 3)
        m = np.full((6, 40), F, dtype=np.int8)
        m[:3, 10:] = P  # program 1 passes every test after the tenth
        alloc = allocate([p], MatrixSource({"flat": m}), sel.select, budget=30,
                         policy=ScalingPolicy(initial=10, batch=5, min_tests=10,
                                              spend_all=False, informative=informative))
        out[informative] = alloc.states["flat"]
    assert out[False].tests == 10 and out[False].stopped == "stable"
    assert len(out[False].selection.tied) == 6  # stopped on a coin between the two
    # one more batch separates them; then the pick is settled and it stops by itself
    assert out[True].tests == 15 and out[True].stopped == "stable"
    assert list(out[True].selection.tied) == [0, 1, 2]

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

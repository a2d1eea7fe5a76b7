"""Candidate pruning in dynamic scaling: only contenders run new tests.

Random and hand-built outcome matrices revealed through ``MatrixSource`` (or a wrapper
that records which rows were asked for); selectors are the real registered ones.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from coderm_evalplus.model import Candidate, OutcomeMatrix, Problem, UnitTest, Verdict
from coderm_evalplus.plugins import get_selector
from coderm_evalplus.scaling import (
    MatrixSource,
    ReplaySource,
    ScalingPolicy,
    allocate,
    bound_contenders,
    exact_contenders,
    kl_bound,
)

P, F, NR = Verdict.PASS, Verdict.FAIL, Verdict.NOT_RUN


def problem(task_id: str, sources: list[str]) -> Problem:
    return Problem(task_id=task_id, entry_point="f",
                   candidates=[Candidate(index=i, source=s) for i, s in enumerate(sources)])


class RowSource(MatrixSource):
    """Records, per reveal, which rows were asked for and how many columns came back."""

    def __init__(self, matrices, orders=None) -> None:
        super().__init__(matrices, orders)
        self.calls: list[tuple[str, list[int] | None, int]] = []

    def reveal(self, grants, rows=None):
        out = super().reveal(grants, rows)
        for t, cols in out.items():
            asked = None if rows is None or t not in rows else [int(i) for i in rows[t]]
            assert cols.shape[0] == (len(self._m[t]) if asked is None else len(asked))
            self.calls.append((t, asked, int(cols.shape[1])))
        return out


def random_set(seed: int, n_problems: int = 6) -> tuple[list[Problem], dict[str, np.ndarray]]:
    """Problems with duplicated programs (identical rows), skewed pass rates and pools."""
    rng = np.random.default_rng(seed)
    problems, mats = [], {}
    for i in range(n_problems):
        n_prog = int(rng.integers(2, 9))
        n_cand = int(rng.integers(n_prog, 16))
        prog = np.concatenate([np.arange(n_prog), rng.integers(0, n_prog, n_cand - n_prog)])
        rng.shuffle(prog)
        k = int(rng.integers(5, 60))
        rates = rng.beta(0.6, 1.0, n_prog)
        behaviour = rng.random((n_prog, k)) < rates[:, None]
        t = f"t{i}"
        mats[t] = np.where(behaviour[prog], P, F).astype(np.int8)
        problems.append(problem(t, [f"def f(): return {j}" for j in prog]))
    return problems, mats


def full_run_policy(prune: str, **kw) -> ScalingPolicy:
    """Every problem gets its whole pool (the allocator only decides who runs it)."""
    # the change gain with a zero threshold and no floor never stops a problem early
    return ScalingPolicy(gain="change", initial=3, batch=4, stop_threshold=0.0, novelty=0.0,
                         resamples=2,
                         prune=prune, **kw)


# ------------------------------------------------------------------ rule 1 (exact)

@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("selector", ["coderm", "codet"])
def test_exact_pruning_never_changes_the_pick(seed, selector):
    """coderm: a candidate that cannot reach the top count is never a top scorer;
    codet: a cluster whose size x (passes + tests left) is below what a contender
    keeps can never be the best cluster.  The tie set equals the full matrix's."""
    problems, mats = random_set(seed)
    sel = get_selector(selector)
    source = RowSource(mats)
    alloc = allocate(problems, source, sel.select, budget=10**6,
                     policy=full_run_policy("exact"), seed=seed)
    for p in problems:
        st = alloc.states[p.task_id]
        full = mats[p.task_id]
        expected = sel.select(p, OutcomeMatrix(p.task_id, full), np.random.default_rng(0))
        got = sel.select(p, OutcomeMatrix(p.task_id, st.verdicts), np.random.default_rng(0))
        assert sorted(got.tied) == sorted(expected.tied), p.task_id
        # contenders ran every column, as the full matrix has it
        assert np.array_equal(st.verdicts[st.alive], full[st.alive, :st.tests])


def test_exact_pruning_saves_pairs_on_a_clear_problem():
    p = problem("clear", [f"def f(): return {i}" for i in range(6)])
    m = np.full((6, 40), F, dtype=np.int8)
    m[:2] = P  # two programs pass everything (the vote cannot stop: two programs tie)
    source = RowSource({"clear": m})
    alloc = allocate([p], source, get_selector("coderm").select, budget=10**6,
                     policy=full_run_policy("exact", max_tests=40))
    st = alloc.states["clear"]
    assert st.tests == 40 and st.stopped == "exhausted"
    # the losers trail by k after k tests: out once k > 40 - k (grants of 4: at k = 23),
    # but the lowest one keeps running as the column statistics' witness
    assert st.alive.tolist() == [True, True, True, False, False, False]
    assert alloc.pairs_executed == 6 * 23 + 3 * 17
    assert (st.verdicts[3:, 23:] == NR).all() and (st.verdicts[:3] != NR).all()


def test_exact_rule_keeps_whoever_can_still_reach_the_top():
    counts = np.array([10, 7, 4, 0])
    passed = np.zeros((4, 10), dtype=bool)
    for i, c in enumerate(counts):
        passed[i, :c] = True
    alive = np.ones(4, dtype=bool)
    assert exact_contenders(passed, alive, 3).tolist() == [True, True, False, False]
    assert exact_contenders(passed, alive, 6).tolist() == [True, True, True, False]
    assert exact_contenders(passed, alive, None).all()  # unknown pool: nobody is out
    # cluster-weighted: three copies of one 4-pass program keep 3 x 4 = 12 for sure,
    # which a 10-pass singleton with no test left cannot reach
    big = np.vstack([passed[:1], passed[2:3], passed[2:3], passed[2:3]])  # 10, 4, 4, 4
    keep = exact_contenders(big, alive, 0, np.array([0, 1, 1, 1]), cluster_weighted=True)
    assert keep.tolist() == [False, True, True, True]
    # three *different* programs passing alike may still split: only their copies count
    keep = exact_contenders(big, alive, 0, np.array([0, 1, 2, 3]), cluster_weighted=True)
    assert keep.all()


# ------------------------------------------------------------------ who runs what

@pytest.mark.parametrize("rule", ["exact", "bound"])
def test_pruned_candidates_are_not_executed_and_pairs_add_up(rule):
    problems, mats = random_set(7, n_problems=5)
    source = RowSource(mats)
    alloc = allocate(problems, source, get_selector("coderm").select, budget=10**6,
                     policy=full_run_policy(rule, delta=0.2, prune_after=5))
    seen_rows: dict[str, set[int]] = {t: set(range(len(m))) for t, m in mats.items()}
    pairs = 0
    pos = {t: 0 for t in mats}
    for t, asked, ncols in source.calls:
        rows = list(range(len(mats[t]))) if asked is None else asked
        # a pruned candidate never comes back
        assert set(rows) <= seen_rows[t]
        seen_rows[t] = set(rows)
        cols = alloc.states[t].verdicts[:, pos[t]:pos[t] + ncols]
        out = np.setdiff1d(np.arange(len(mats[t])), rows)
        assert (cols[out] == NR).all()  # the source never saw those rows
        assert (cols[rows] != NR).all()
        pos[t] += ncols
        pairs += len(rows) * ncols
    assert alloc.pairs_executed == pairs == sum(s.pairs for s in alloc.states.values())
    assert pairs == sum(int((s.verdicts != NR).sum()) for s in alloc.states.values())
    assert alloc.tests_executed == sum(s.tests for s in alloc.states.values())
    assert any(a is not None for _, a, _ in source.calls)  # something was pruned


def test_no_pruning_asks_for_every_row():
    problems, mats = random_set(3, n_problems=3)
    source = RowSource(mats)
    alloc = allocate(problems, source, get_selector("coderm").select, budget=10**6,
                     policy=full_run_policy("none"))
    assert all(a is None for _, a, _ in source.calls)
    assert alloc.pairs_executed == sum(len(mats[t]) * s.tests for t, s in alloc.states.items())
    assert all(s.alive is None for s in alloc.states.values())


def test_replay_source_runs_a_copy_with_only_the_contenders():
    p = problem("r", [f"def f(): return {i}" for i in range(5)])
    tests = [UnitTest(index=j, source=f"assert f() == {j}") for j in range(4)]
    jobs: list[Problem] = []

    def run_tests(batch):
        jobs.extend(batch)
        return {q.task_id: OutcomeMatrix(q.task_id, np.array(
            [[P if c.source.endswith(str(t.index)) else F for t in q.tests]
             for c in q.candidates], dtype=np.int8)) for q in batch}

    src = ReplaySource([p], {"r": tests}, run_tests)
    first = src.reveal({"r": 2})
    assert first["r"].shape == (5, 2) and [c.index for c in jobs[0].candidates] == list(range(5))
    second = src.reveal({"r": 2}, {"r": np.array([1, 3])})
    assert [c.index for c in jobs[1].candidates] == [1, 3]  # only the contenders ran
    assert [t.index for t in jobs[1].tests] == [2, 3]
    assert second["r"].tolist() == [[F, F], [F, P]]  # rows in the order asked
    assert [t.index for t in src.revealed["r"]] == [0, 1, 2, 3]
    assert len(p.candidates) == 5  # the problem itself is untouched


# ------------------------------------------------------------------ rule 2 (bound)

def test_kl_bound_brackets_the_rate_and_matches_the_closed_form_at_zero():
    rate = np.array([0.0, 0.3, 1.0])
    up = kl_bound(rate, 20, math.log(100), True)
    low = kl_bound(rate, 20, math.log(100), False)
    assert (low <= rate + 1e-9).all() and (rate <= up + 1e-9).all()
    # KL(0 || q) = -log(1 - q): q = 1 - exp(-log(1/delta) / n)
    assert up[0] == pytest.approx(1 - math.exp(-math.log(100) / 20), abs=1e-6)
    assert low[2] == pytest.approx(math.exp(-math.log(100) / 20), abs=1e-6)
    # more evidence, tighter
    assert kl_bound(rate, 200, math.log(100), True)[1] < up[1]


def test_bound_drops_a_clear_loser_keeps_tie_and_leader():
    rng = np.random.default_rng(0)
    k = 40
    passed = np.zeros((4, k), dtype=bool)
    passed[0] = rng.random(k) < 0.9  # leader
    passed[1] = passed[0]  # tied copy-behaviour (different program)
    passed[2] = rng.random(k) < 0.05  # clear loser
    passed[3] = rng.random(k) < 0.85  # close second
    scores = passed.sum(axis=1).astype(float)
    alive = np.ones(4, dtype=bool)
    keep = bound_contenders(passed, alive, scores, np.array([0, 1]), np.arange(4), 60, 0.01,
                            cluster_weighted=False)
    assert keep.tolist() == [True, True, False, True]
    # with no tests left to come, only a candidate already behind is dropped; with a
    # huge horizon and little evidence nobody is
    few = bound_contenders(passed[:, :3], alive, passed[:, :3].sum(axis=1).astype(float),
                           np.array([0, 1]), np.arange(4), 1000, 0.01)
    assert few.all()


def test_bound_keeps_a_large_cluster_under_a_cluster_weighted_selector():
    """A low-pass behaviour shared by many samples can win dual agreement: the
    optimistic score uses its cluster size, the leader's floor only its copies."""
    k = 30
    passed = np.zeros((12, k), dtype=bool)
    passed[0, :24] = True  # a singleton passing 24
    passed[1:, :6] = True  # eleven samples sharing one behaviour passing 6
    codet = get_selector("codet")
    sel = codet.select(problem("c", [str(i) for i in range(12)]),
                       OutcomeMatrix("c", np.where(passed, P, F).astype(np.int8)),
                       np.random.default_rng(0))
    keep = bound_contenders(passed, np.ones(12, dtype=bool), np.array(sel.scores),
                            np.array(sel.tied), np.arange(12), 70, 0.3)
    assert keep.all()
    # the same matrix under the vote: the cluster is far behind and goes
    votes = passed.sum(axis=1).astype(float)
    keep = bound_contenders(passed, np.ones(12, dtype=bool), votes, np.array([0]),
                            np.arange(12), 70, 0.3, cluster_weighted=False)
    assert keep.tolist() == [True] + [False] * 11


def test_policy_validates_pruning_options():
    with pytest.raises(ValueError):
        ScalingPolicy(prune="magic")
    with pytest.raises(ValueError):
        ScalingPolicy(delta=0.0)
    with pytest.raises(ValueError):
        ScalingPolicy(max_tests=0)
    with pytest.raises(ValueError):
        ScalingPolicy(cost="money")


def test_max_tests_caps_every_problem():
    problems, mats = random_set(5, n_problems=4)
    alloc = allocate(problems, MatrixSource(mats), get_selector("coderm").select,
                     budget=10**6, policy=full_run_policy("none", max_tests=10))
    for t, st in alloc.states.items():
        assert st.tests <= 10
        if st.stopped != "decided":  # the vote's exact stop may come first
            assert st.tests == min(10, mats[t].shape[1])
            assert st.stopped == ("cap" if mats[t].shape[1] > 10 else "exhausted")
    assert any(s.stopped == "cap" for s in alloc.states.values())


# ------------------------------------------------------------ Bayesian selectors

def test_robust_selector_counts_not_run_as_failed():
    sel = get_selector("robust")
    m = np.where(np.random.default_rng(2).random((6, 20)) < 0.5, P, F).astype(np.int8)
    p = problem("r", [str(i) for i in range(6)])
    m2 = m.copy()
    m2[5, 10:] = NR
    m3 = m.copy()
    m3[5, 10:] = F
    again = sel.select(replace(p), OutcomeMatrix("r", m2), np.random.default_rng(0))
    failed = sel.select(replace(p), OutcomeMatrix("r", m3), np.random.default_rng(0))
    assert again.tied == failed.tied and again.scores == failed.scores

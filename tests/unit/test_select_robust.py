"""The recommended selector: B4's posterior at the published priors, per problem only."""

from __future__ import annotations

import numpy as np
import pytest

from coderm_evalplus.model import Candidate, OutcomeMatrix, Problem
from coderm_evalplus.select.b4 import B4Selector
from coderm_evalplus.select.coderm import CodeRMSelector
from coderm_evalplus.select.codet import CodeTSelector
from coderm_evalplus.select.robust import RobustSelector


def build(groups: list[tuple[int, str]], task: str = "T/0"
          ) -> tuple[Problem, OutcomeMatrix, list[bool]]:
    """groups of (copies, pass pattern); the first group is the correct behaviour."""
    rows, labels = [], []
    for g, (copies, pattern) in enumerate(groups):
        for _ in range(copies):
            rows.append([0 if ch == "1" else 1 for ch in pattern])  # 0 = PASS
            labels.append(g == 0)
    cands = [Candidate(i, f"c{i}", label=lab) for i, lab in enumerate(labels)]
    return (Problem(task, candidates=cands),
            OutcomeMatrix(task, np.array(rows, dtype=np.int8)), labels)


def accuracy(selector, problem, matrix, labels) -> float:
    sel = selector.select(problem, matrix, np.random.default_rng(0))
    return float(np.mean([labels[i] for i in sel.tied]))


def test_noisy_tests_robust_dissents_from_the_vote():
    # 5 valid tests and 10 wrong ones; the popular wrong behaviour passes 2 valid + 7
    # wrong = 9, the correct one (6 copies) the 5 valid: the vote is fooled, robust is not
    p, m, lab = build([(6, "11111" "0000000000"), (2, "11000" "1111111000"),
                       (1, "10000" "0000000111"), (1, "01100" "0000000000")])
    assert accuracy(CodeRMSelector(), p, m, lab) == 0.0
    assert accuracy(RobustSelector(), p, m, lab) == 1.0


def test_good_tests_robust_follows_the_vote_where_dual_agreement_fails():
    p, m, lab = build([(3, "11111111"), (5, "11111100"), (2, "11000000")])
    assert accuracy(CodeTSelector(), p, m, lab) == 0.0
    assert accuracy(CodeRMSelector(), p, m, lab) == 1.0
    assert accuracy(RobustSelector(), p, m, lab) == 1.0


def test_same_picks_and_posterior_as_b4_at_the_published_priors():
    rng = np.random.default_rng(5)
    for trial in range(5):
        v = np.where(rng.random((30, 12)) < 0.4, 0, 1).astype(np.int8)
        v[: 4 + trial] = np.where(np.arange(12) < 9, 0, 1)
        p = Problem("R/0", candidates=[Candidate(i, "x") for i in range(30)])
        om = OutcomeMatrix("R/0", v)
        a = RobustSelector().select(p, om, np.random.default_rng(0))
        b = B4Selector(beta_0=1e4, alpha_xy=1e3).select(p, om, np.random.default_rng(0))
        assert a.tied == b.tied and a.index == b.index and a.selector == "robust"
        probs, none = RobustSelector().posterior(p, om)
        assert probs.shape == (30,) and 0.0 <= none <= 1.0
        assert int(np.argmax(probs)) in a.tied


def test_a_pick_does_not_depend_on_the_other_tasks_of_the_run():
    from coderm_evalplus.pipeline import select_all

    small = [(2, "10"), (6, "11"), (2, "01")]
    noisy = {f"N/{i}": [(3, "1100"), (3, "0011")] for i in range(6)}
    clean = {f"C/{i}": [(3, "1111"), (3, "1100")] for i in range(6)}
    picks = []
    for others in ({}, noisy, clean):
        problems, matrices = [], {}
        for tid, groups in {"small": small, **others}.items():
            p, m, _ = build(groups, tid)
            problems.append(p)
            matrices[tid] = m
        out = select_all(problems, matrices, ["robust"], seed=0)
        picks.append(out["robust"]["small"].tied)
    assert picks[0] == picks[1] == picks[2]


def test_ties_are_reported_and_seeded():
    p, m, _ = build([(2, "1100"), (2, "0011")])  # symmetric: both clusters tie
    picks = [RobustSelector().select(p, m, np.random.default_rng(s)) for s in range(20)]
    assert all(s.tied == [0, 1, 2, 3] for s in picks)
    assert len({s.index for s in picks}) > 1
    again = [RobustSelector().select(p, m, np.random.default_rng(s)).index for s in range(20)]
    assert again == [s.index for s in picks]


def test_zero_candidates_zero_tests_and_options():
    with pytest.raises(ValueError, match="no candidates"):
        RobustSelector().select(Problem("T/2"), OutcomeMatrix("T/2", np.zeros((0, 2), np.int8)),
                                np.random.default_rng(0))
    with pytest.raises(TypeError):
        RobustSelector(threshold=0.7)
    p0 = Problem("T/1", candidates=[Candidate(i, "x") for i in range(3)])
    m0 = OutcomeMatrix("T/1", np.zeros((3, 0), dtype=np.int8))
    assert RobustSelector().select(p0, m0, np.random.default_rng(0)).tied == [0, 1, 2]
